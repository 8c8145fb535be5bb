"""Authlib grants and extensions, configured for SMART App Launch 2.2 and Backend Services.

What Authlib's defaults get wrong for SMART and is fixed here (security.md 4.2): PKCE accepts
``plain`` and lets confidential clients skip it; the refresh grant does not rotate; the code and
refresh grants do not accept public or private_key_jwt clients; scope subset checks ignore the
SMART grammar.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, InvalidScopeError, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode
from authlib.oidc.core.util import create_half_hash

from fhir_server.auth.accounts import Account, get_account
from fhir_server.auth.keys import ID_TOKEN_SECONDS, sign_id_token
from fhir_server.auth.scopes import ScopeSet
from fhir_server.auth.tokens import LaunchContext, StoredCode, StoredToken, claim_code, rotate, save_code
from fhir_server.auth.tokens import usable_refresh_token as find_refresh

USER_AUTH_METHODS = ["client_secret_basic", "private_key_jwt", "none"]


@dataclass(frozen=True)
class AuthorizedUser:
    """The user behind a grant, with what they granted and their launch context."""

    account: Account
    scope: str
    context: LaunchContext
    auth_time: int


class S256Only(CodeChallenge):  # type: ignore[misc]
    """PKCE with S256 only, required of every client (public and confidential)."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: Any) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge': PKCE is required.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'.")
        super().validate_code_verifier(grant, result)


class SmartOpenID(OpenIDCode):  # type: ignore[misc]
    """id_token (RS256, kid of the active key) with ``sub`` and ``fhirUser`` when openid is granted."""

    def __init__(self, server: Any) -> None:
        super().__init__(require_nonce=False)
        self.server = server

    def exists_nonce(self, nonce: str, request: Any) -> bool:  # noqa: ARG002
        return False  # nonces are optional in SMART; codes are single-use anyway

    def generate_user_info(self, user: AuthorizedUser, scope: str) -> dict[str, Any]:
        info: dict[str, Any] = {"sub": user.account.id}
        if user.account.fhir_user and "fhirUser" in ScopeSet.parse(scope):
            info["fhirUser"] = f"{self.server.config.fhir_base}/{user.account.fhir_user}"
        return info

    def encode_id_token(self, token: dict[str, Any], request: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.server.config.issuer,
            "aud": request.client.get_client_id(),
            "iat": now,
            "exp": now + ID_TOKEN_SECONDS,
        }
        if request.authorization_code:
            claims.update(self.get_authorization_code_claims(request.authorization_code))
        at_hash = create_half_hash(token["access_token"], "RS256")
        if at_hash is not None:
            claims["at_hash"] = at_hash.decode()
        claims.update(self.generate_user_info(request.user, token["scope"]))
        return sign_id_token(self.server.engine, claims)


class SmartAudience:
    """``aud`` must name this FHIR server (SMART A3), else no code reaches the app."""

    def __init__(self, server: Any) -> None:
        self.server = server

    def __call__(self, grant: Any) -> None:
        grant.register_hook("after_validate_authorization_request_payload", self.check)

    def check(self, grant: Any, _result: Any) -> None:
        data = grant.request.payload.data
        audience = data.get("aud") or data.get("resource")
        if audience is None or audience.rstrip("/") != self.server.config.fhir_base:
            raise InvalidRequestError("'aud' must be this FHIR server's base URL.")


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = USER_AUTH_METHODS

    def save_authorization_code(self, code: str, request: Any) -> None:
        user: AuthorizedUser = request.user
        data = request.payload.data
        save_code(
            self.server.engine,
            code,
            client_id=request.client.get_client_id(),
            account_id=user.account.id,
            redirect_uri=data.get("redirect_uri") or request.client.get_default_redirect_uri(),
            scope=user.scope,
            code_challenge=data["code_challenge"],
            nonce=data.get("nonce"),
            context=user.context,
            auth_time_us=user.auth_time * 1_000_000,
            lifetime_s=self.server.config.code_seconds,
        )

    def query_authorization_code(self, code: str, client: Any) -> StoredCode | None:
        return claim_code(self.server.engine, code, client.get_client_id())

    def delete_authorization_code(self, authorization_code: StoredCode) -> None:
        """Nothing to do: the code was marked used when it was claimed."""

    def authenticate_user(self, authorization_code: StoredCode) -> AuthorizedUser | None:
        with self.server.engine.connect() as connection:
            account = get_account(connection, authorization_code.account_id)
        if account is None or not account.active:
            return None
        return AuthorizedUser(
            account, authorization_code.scope, authorization_code.context, authorization_code.auth_time
        )


class RefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    """Refresh with rotation: every use returns a new refresh token; reuse revokes the family."""

    TOKEN_ENDPOINT_AUTH_METHODS = USER_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> StoredToken | None:
        return find_refresh(self.server.engine, refresh_token)

    def _validate_token_scope(self, token: StoredToken) -> None:
        requested = self.request.payload.scope
        if requested and not ScopeSet.parse(token.scope).covers(ScopeSet.parse(requested)):
            raise InvalidScopeError("The requested scope exceeds the original grant.")

    def authenticate_user(self, refresh_token: StoredToken) -> AuthorizedUser | None:
        if refresh_token.account_id is None:
            return None
        with self.server.engine.connect() as connection:
            account = get_account(connection, refresh_token.account_id)
        if account is None or not account.active:
            raise InvalidGrantError("The account of this grant is no longer active.")
        return AuthorizedUser(account, refresh_token.scope, refresh_token.context, refresh_token.issued_us // 1_000_000)

    def create_token_response(self) -> Any:
        # Claim the old token first: of two concurrent uses, exactly one wins.
        if not rotate(self.server.engine, self.request.refresh_token):
            raise InvalidGrantError("The refresh token was already used.")
        return super().create_token_response()

    def revoke_old_credential(self, refresh_token: StoredToken) -> None:
        """Nothing to do: ``rotate`` already retired it."""


class BackendGrant(grants.ClientCredentialsGrant):  # type: ignore[misc]
    """SMART Backend Services: client_credentials with private_key_jwt; no refresh tokens."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["private_key_jwt"]

    def validate_token_request(self) -> None:
        super().validate_token_request()
        requested = self.request.payload.scope
        if not requested:
            raise InvalidRequestError("Missing 'scope'.")
        granted = ScopeSet.parse(requested).intersect(self.request.client.allowed)
        granted = ScopeSet(tuple(s for s in granted.resources if s.context == "system"))
        if not granted:
            raise InvalidScopeError("None of the requested scopes is authorized for this client.")
        self.request.scope = granted.render()

    def create_token_response(self) -> Any:
        token = self.generate_token(scope=self.request.scope, include_refresh_token=False)
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER

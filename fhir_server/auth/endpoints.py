"""Token introspection (RFC 7662 + SMART) and revocation (RFC 7009) on Authlib's endpoint classes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import sqlalchemy as sa
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from fhir_server.auth.accounts import get_account
from fhir_server.auth.grant import TokenAuthenticator
from fhir_server.auth.scopes import ScopeSet
from fhir_server.auth.tokens import StoredToken, find_token, revoke_family, revoke_one

US = 1_000_000


def bearer_client_auth(engine: sa.Engine, audience: str) -> Callable[[Any, Any], Any]:
    """Client authentication by a live SMART access token (SMART: introspection callers may use one)."""
    authenticator = TokenAuthenticator(engine, audience)

    def authenticate(query_client: Any, request: Any) -> Any:
        scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        grant = authenticator.authenticate(value.strip())
        return query_client(grant.client_id) if grant else None

    return authenticate


class SmartIntrospection(IntrospectionEndpoint):  # type: ignore[misc]
    """Answers ``{"active": false}`` for anything not live; echoes scope, client and launch context."""

    CLIENT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic", "private_key_jwt", "bearer_token"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> StoredToken | None:  # noqa: ARG002
        found = find_token(self.server.engine, token_string)
        if found is None or found.audience != self.server.config.fhir_base:
            return None
        if found.account_id is not None:
            with self.server.engine.connect() as connection:
                account = get_account(connection, found.account_id)
            if account is None or not account.active:
                return None
        return found

    def check_permission(self, token: StoredToken, client: Any, request: Any) -> bool:  # noqa: ARG002
        return True  # any authenticated client may introspect (SMART token-introspection page)

    def introspect_token(self, token: StoredToken) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "active": True,
            "scope": token.scope,
            "client_id": token.client_id,
            "exp": token.expires_us // US,
            "iat": token.issued_us // US,
            "token_type": "Bearer" if token.kind == "access" else "refresh_token",
            **token.context.response_fields(),
        }
        if token.account_id is not None:
            with self.server.engine.connect() as connection:
                account = get_account(connection, token.account_id)
            scopes = ScopeSet.parse(token.scope)
            if account is not None and "openid" in scopes:
                payload["iss"] = self.server.config.issuer
                payload["sub"] = account.id
                if account.fhir_user and "fhirUser" in scopes:
                    payload["fhirUser"] = f"{self.server.config.fhir_base}/{account.fhir_user}"
        return payload


class SmartRevocation(RevocationEndpoint):  # type: ignore[misc]
    """Revoking a refresh token ends the whole grant; revoking an access token ends that token."""

    CLIENT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic", "private_key_jwt", "none"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> StoredToken | None:  # noqa: ARG002
        return find_token(self.server.engine, token_string)

    def revoke_token(self, token: StoredToken, request: Any) -> None:  # noqa: ARG002
        if token.kind == "refresh":
            revoke_family(self.server.engine, token.family_id)
        else:
            revoke_one(self.server.engine, token.id)

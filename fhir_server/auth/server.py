"""The Authlib authorization server, framework-free: requests come in as plain values, responses
leave as ``OAuthResponse`` (status, JSON body or empty, headers); fhir_server/api renders them.

Authlib is synchronous: the HTTP layer reads the body first, then calls these in a worker thread.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749.requests import OAuth2Payload

from fhir_server.auth.assertion import SmartClientAssertion
from fhir_server.auth.clients import Client, get_client
from fhir_server.auth.common import new_id
from fhir_server.auth.config import AuthConfig
from fhir_server.auth.endpoints import SmartIntrospection, SmartRevocation, bearer_client_auth
from fhir_server.auth.grants import (
    AuthorizedUser,
    BackendGrant,
    CodeGrant,
    RefreshGrant,
    S256Only,
    SmartAudience,
    SmartOpenID,
)
from fhir_server.auth.jwks_fetch import JwksFetcher
from fhir_server.auth.scopes import ScopeSet
from fhir_server.auth.tokens import Issued, LaunchContext, new_token_values, store_tokens

log = logging.getLogger("fhir_server.auth")
Pairs = Iterable[tuple[str, str]]


@dataclass(frozen=True)
class OAuthResponse:
    """What to send back: a JSON object (token, error, introspection) or a redirect."""

    status: int
    body: dict[str, Any] | None
    headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def location(self) -> str | None:
        return next((value for name, value in self.headers if name.lower() == "location"), None)


@dataclass(frozen=True)
class AuthEvent:
    """An authentication event for the audit trail: ``login`` (the login page), ``token`` (the token
    endpoint, any grant) or ``logout`` (revocation). Never carries a password, a secret or a token."""

    action: str
    success: bool
    client_id: str | None = None
    username: str | None = None
    account_id: str | None = None
    fhir_user: str | None = None
    role: str | None = None
    address: str | None = None
    grant_type: str | None = None
    error: str | None = None


class _Headers(dict[str, str]):
    """Case-insensitive header lookup (Authlib asks for "Authorization")."""

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, pairs: Pairs) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for name, value in pairs:
            self._datalist[name].append(value)
        self._data = {name: values[0] for name, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class PlainRequest(OAuth2Request):  # type: ignore[misc]
    """An OAuth2Request built from values the HTTP layer read; ``uri`` is the public endpoint URL,
    so Authlib's transport check applies to how clients reach us, not to the proxy hop."""

    def __init__(self, method: str, uri: str, headers: Mapping[str, str], query: Pairs = (), form: Pairs = ()) -> None:
        super().__init__(method, uri, headers=_Headers({k.lower(): v for k, v in headers.items()}))
        query, form = list(query), list(form)
        self.payload = _Payload([*query, *form])
        # First value wins everywhere, as in the payload (a repeated parameter cannot say two things).
        self._args = dict(reversed(query))
        self._form = dict(reversed(form))

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class SmartServer(AuthorizationServer):  # type: ignore[misc]
    """Authorization code (+PKCE S256, OpenID), refresh with rotation, client credentials, introspection, revocation."""

    def __init__(self, engine: sa.Engine, config: AuthConfig) -> None:
        super().__init__()
        self.engine = engine
        self.config = config
        self.register_token_generator("default", self._generate_token)
        fetcher = JwksFetcher(loopback_http=config.jwks_loopback_http)
        self.register_client_auth_method("private_key_jwt", SmartClientAssertion(engine, config.token_url, fetcher))
        self.register_client_auth_method("bearer_token", bearer_client_auth(engine, config.fhir_base))
        self.register_grant(CodeGrant, [S256Only(), SmartOpenID(self), SmartAudience(self)])
        self.register_grant(RefreshGrant)
        self.register_grant(BackendGrant)
        self.register_endpoint(SmartIntrospection(self))
        self.register_endpoint(SmartRevocation(self))
        # Installed by the HTTP layer: auth knows no storage, so the audit trail is a callback.
        self.on_event: Callable[[AuthEvent], None] | None = None

    # Authlib's framework hooks.
    def query_client(self, client_id: str) -> Client | None:
        return get_client(self.engine, client_id)

    def create_oauth2_request(self, request: Any) -> PlainRequest:
        assert isinstance(request, PlainRequest)
        return request

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> OAuthResponse:
        return OAuthResponse(status, body if isinstance(body, dict) else None, list(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:  # noqa: ARG002
        log.debug("oauth signal %s", name)

    def emit(self, event: AuthEvent) -> None:
        """Hand an authentication event to the audit trail (a failing trail never fails the login)."""
        if self.on_event is None:
            return
        try:
            self.on_event(event)
        except Exception:
            log.exception("could not audit the %s event", event.action)

    def _audit(self, action: str, request: PlainRequest, response: OAuthResponse, address: str | None) -> None:
        if self.on_event is None:
            return
        success = response.status == 200
        client = getattr(request, "client", None)
        user: AuthorizedUser | None = getattr(request, "user", None) if success else None
        error = (response.body or {}).get("error") if not success else None
        self.emit(
            AuthEvent(
                action,
                success,
                client_id=client.get_client_id() if client is not None else _claimed_client(request),
                username=user.account.username if user else None,
                account_id=user.account.id if user else None,
                fhir_user=user.account.fhir_user if user else None,
                role=user.account.role if user else None,
                address=address,
                grant_type=request.form.get("grant_type") if action == "token" else None,
                error=str(error) if error else None,
            )
        )

    def _generate_token(
        self,
        grant_type: str,
        client: Client,  # noqa: ARG002
        user: AuthorizedUser | None = None,
        scope: str | None = None,
        expires_in: int | None = None,  # noqa: ARG002 - lifetimes come from the settings
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        backend = grant_type == "client_credentials"
        seconds = self.config.backend_seconds if backend else self.config.access_seconds
        # Refresh tokens only for offline_access, never for backend services (SMART B7).
        refresh = include_refresh_token and user is not None and "offline_access" in ScopeSet.parse(scope)
        issued = new_token_values(refresh)
        token: dict[str, Any] = {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": seconds,
            "scope": scope or "",
        }
        if issued.refresh_token:
            token["refresh_token"] = issued.refresh_token
        if user is not None:
            token.update(user.context.response_fields())
        return token

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        if request.authorization_code is not None:
            family = request.authorization_code.family_id
        elif request.refresh_token is not None:
            family = request.refresh_token.family_id
        else:
            family = new_id()
        user: AuthorizedUser | None = request.user
        store_tokens(
            self.engine,
            Issued(token["access_token"], token.get("refresh_token")),
            family_id=family,
            client_id=request.client.get_client_id(),
            account_id=user.account.id if user else None,
            scope=token["scope"],
            context=user.context if user else LaunchContext(),
            audience=self.config.fhir_base,
            access_seconds=int(token["expires_in"]),
            refresh_seconds=self.config.refresh_seconds,
        )

    # Entry points for the HTTP layer.
    def token(self, headers: Mapping[str, str], form: Pairs, address: str | None = None) -> OAuthResponse:
        """POST /token (``address``: the caller's IP, for the audit trail)."""
        try:
            request = PlainRequest("POST", self.config.token_url, headers, form=form)
        except OAuth2Error as error:
            return self.handle_response(*error())
        response: OAuthResponse = self.create_token_response(request)
        self._audit("token", request, response, address)
        return _with_basic_challenge(response, headers)

    def endpoint(self, name: str, headers: Mapping[str, str], form: Pairs, address: str | None = None) -> OAuthResponse:
        """POST /introspect (``introspection``) or /revoke (``revocation``, audited as a logout)."""
        url = self.config.introspect_url if name == "introspection" else self.config.revoke_url
        try:
            request = PlainRequest("POST", url, headers, form=form)
        except OAuth2Error as error:
            return self.handle_response(*error())
        response: OAuthResponse = self.create_endpoint_response(name, request)
        if name == "revocation":
            self._audit("logout", request, response, address)
        return _with_basic_challenge(response, headers)


def _claimed_client(request: PlainRequest) -> str | None:
    # The client_id a refused request claimed (form field or HTTP Basic user name; never the secret).
    claimed = request.form.get("client_id")
    scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
    if claimed is None and scheme.lower() == "basic":
        try:
            claimed = base64.b64decode(value.strip(), validate=True).decode().partition(":")[0] or None
        except (binascii.Error, UnicodeDecodeError):
            return None
    return claimed


def _with_basic_challenge(response: OAuthResponse, headers: Mapping[str, str]) -> OAuthResponse:
    # RFC 6749 5.2: a 401 to a client that used the Authorization header names the scheme.
    authorization = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    if response.status == 401 and authorization.lower().startswith("basic"):
        return OAuthResponse(401, response.body, [*response.headers, ("WWW-Authenticate", 'Basic realm="fhir-server"')])
    return response

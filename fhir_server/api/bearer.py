"""Bearer tokens on the FHIR API: 401 without a live token, the grant for everything else (security.md 5.3 step 1).

A pure ASGI middleware, so the check costs one indexed lookup and nothing else. The capability
statement, the SMART discovery document and the API description stay public.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from fhir_server.auth.grant import Grant, TokenAuthenticator
from fhir_server.auth.scopes import ScopeSet
from fhir_server.errors import Unauthorized
from fhir_server.i18n import pick_language
from fhir_server.interactions.context import Principal
from fhir_server.model.json import dumps

PUBLIC_PATHS = frozenset(
    {"/fhir/metadata", "/fhir/.well-known/smart-configuration", "/fhir/openapi.json", "/fhir/docs"}
)
MIN_BREAK_GLASS_REASON = 10


class BearerMiddleware:
    """Puts the request's Grant in ``scope['state']['grant']``, or answers 401 with an OperationOutcome."""

    def __init__(self, app: ASGIApp, *, authenticator: TokenAuthenticator, realm: str, default_language: str) -> None:
        self.app = app
        self.authenticator = authenticator
        self.realm = realm
        self.default_language = default_language

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or not path.startswith("/fhir")
            or path in PUBLIC_PATHS
            or scope["method"] == "OPTIONS"
        ):
            await self.app(scope, receive, send)
            return
        authorization = ""
        language_header = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"accept-language":
                language_header = value.decode("latin-1")
        kind, _, token = authorization.partition(" ")
        grant = self.authenticator.authenticate(token.strip()) if kind.lower() == "bearer" and token else None
        if grant is None:
            await self._unauthorized(
                send, presented=bool(token), language=pick_language(language_header, self.default_language)
            )
            return
        scope.setdefault("state", {})["grant"] = grant
        await self.app(scope, receive, send)

    async def _unauthorized(self, send: Send, *, presented: bool, language: str) -> None:
        error = Unauthorized("auth-invalid-token" if presented else "auth-required", code="login")
        challenge = f'Bearer realm="{self.realm}"' + (', error="invalid_token"' if presented else "")
        body = dumps(error.outcome(language))
        headers = [
            (b"content-type", b"application/fhir+json; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"www-authenticate", challenge.encode()),
        ]
        await send({"type": "http.response.start", "status": 401, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def principal_from(grant: Grant | None, *, auth_enabled: bool, break_glass: str | None) -> Principal:
    """The interaction layer's Principal for a request's grant."""
    if grant is None:
        # Authorization disabled: the local, unrestricted caller. Enabled but no grant (a public
        # path): nothing may be read.
        return Principal() if not auth_enabled else Principal(kind="anonymous", scopes=ScopeSet())
    patient = grant.patient
    if patient is None and grant.fhir_user and grant.fhir_user.startswith("Patient/"):
        patient = grant.fhir_user.split("/", 1)[1]
    reason = break_glass.strip() if break_glass else None
    return Principal(
        kind="client" if grant.is_system else "user",
        subject=grant.fhir_user,
        scopes=grant.scopes,
        role=grant.role,
        patient=patient,
        client_id=grant.client_id,
        account_id=grant.account_id,
        break_glass=reason if grant.role == "doctor" and reason and len(reason) >= MIN_BREAK_GLASS_REASON else None,
    )

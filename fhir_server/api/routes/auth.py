"""HTTP endpoints of the SMART authorization server: discovery, authorize pages, token, introspect,
revoke, JWKS, style, and EHR launch creation. Authlib and the database are synchronous: each call
reads the request first, then runs the work in the thread pool.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from fhir_server.api.auth_pages import render_page
from fhir_server.api.auth_patients import StoragePatients
from fhir_server.api.cors import SmartCorsMiddleware
from fhir_server.api.deps import language_of
from fhir_server.api.routes import auth_admin, auth_reset
from fhir_server.auth import pending
from fhir_server.auth.accounts import find_account
from fhir_server.auth.clients import get_client, origin_of, registered_origins
from fhir_server.auth.config import AuthConfig
from fhir_server.auth.discovery import openid_configuration, smart_configuration, style
from fhir_server.auth.flow import AuthorizeFlow, ErrorPage, FormPage, Outcome, Redirect
from fhir_server.auth.grant import TokenAuthenticator
from fhir_server.auth.keys import public_jwks
from fhir_server.auth.policy import STAFF_ROLES
from fhir_server.auth.server import AuthEvent, OAuthResponse, SmartServer
from fhir_server.auth.tokens import create_launch
from fhir_server.errors import Forbidden, Unauthorized
from fhir_server.interactions.auditing import record_authentication
from fhir_server.settings import Settings
from fhir_server.storage.repository import SqlStorage

router = APIRouter(include_in_schema=False)
BROWSER_COOKIE = "fhir_auth_browser"
SMART_CONFIGURATION = "/fhir/.well-known/smart-configuration"


@dataclass(frozen=True)
class AuthRuntime:
    """The authorization server's objects, built once per application."""

    config: AuthConfig
    server: SmartServer
    flow: AuthorizeFlow
    authenticator: TokenAuthenticator


def install_auth(app: FastAPI, settings: Settings, storage: SqlStorage) -> AuthRuntime:
    """Mount the auth routes and the CORS policy; ``app.state.auth.authenticator`` checks bearer tokens."""
    config = AuthConfig.from_settings(settings)
    server = SmartServer(storage.engine, config)
    runtime = AuthRuntime(
        config=config,
        server=server,
        flow=AuthorizeFlow(storage.engine, server, StoragePatients(storage, settings)),
        authenticator=TokenAuthenticator(storage.read_engine, settings.base_url),
    )
    server.on_event = partial(_audit, settings.base_url)
    app.state.auth = runtime
    app.include_router(router)
    auth_admin.install(app, settings, runtime)  # /auth/admin/users
    auth_reset.install(app, settings, runtime)  # /auth/forgot, /auth/reset
    app.add_middleware(
        SmartCorsMiddleware,
        open_paths=frozenset(
            {
                SMART_CONFIGURATION,
                "/fhir/metadata",
                "/auth/.well-known/openid-configuration",
                "/auth/jwks",
                "/auth/style.json",
            }
        ),
        api_prefixes=("/fhir", "/auth/token", "/auth/introspect", "/auth/revoke"),
        configured_origins=frozenset(settings.cors_origins),
        registered_origins=lambda: registered_origins(storage.engine),
    )
    return runtime


def _audit(base_url: str, event: AuthEvent) -> None:
    record_authentication(
        base_url,
        event.action,
        event.success,
        username=event.username,
        account_id=event.account_id,
        fhir_user=event.fhir_user,
        role=event.role,
        client_id=event.client_id,
        address=event.address,
        grant_type=event.grant_type,
        error=event.error,
    )


def _audited_step(
    runtime: AuthRuntime, fields: dict[str, str], chosen: list[str], browser: str, address: str
) -> Outcome:
    """A step of the authorize pages; a login attempt (success, failure, throttled) is audited."""
    current = None
    if fields.get("action") == "login":
        current = pending.load(runtime.server.engine, fields["txn"], fields.get("csrf", ""), browser)
    outcome = runtime.flow.step(fields, chosen, browser, address)
    if current is None or current.account_id is not None:
        return outcome  # not a login attempt: a stale page, or a user already logged in
    refused = isinstance(outcome, FormPage) and outcome.kind == "login" and outcome.status in (401, 429)
    username = fields.get("username", "")
    account = None if refused else find_account(runtime.server.engine, username)
    event = AuthEvent(
        "login",
        not refused,
        client_id=current.client_id,
        username=username[:150] or None,
        account_id=account.id if account else None,
        fhir_user=account.fhir_user if account else None,
        role=account.role if account else None,
        address=address,
        error=(outcome.message if isinstance(outcome, FormPage) else None) if refused else None,
    )
    runtime.server.emit(event)
    return outcome


def _runtime(request: Request) -> AuthRuntime:
    runtime: AuthRuntime = request.app.state.auth
    return runtime


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body).encode(), status, headers=headers, media_type="application/json")


def _oauth(response: OAuthResponse) -> Response:
    headers = {name: value for name, value in response.headers if name.lower() != "content-type"}
    return _json(response.body or {}, response.status, headers)


async def _form_pairs(request: Request) -> list[tuple[str, str]]:
    form = await request.form()
    return [(name, value) for name, value in form.multi_items() if isinstance(value, str)]


@router.get(SMART_CONFIGURATION)
async def smart_configuration_document(request: Request) -> Response:
    # JSON whatever the Accept header says (SMART D2).
    return _json(smart_configuration(_runtime(request).config))


@router.get("/auth/.well-known/openid-configuration")
async def openid_configuration_document(request: Request) -> Response:
    return _json(openid_configuration(_runtime(request).config))


@router.get("/auth/jwks")
async def jwks(request: Request) -> Response:
    keys = await run_in_threadpool(public_jwks, _runtime(request).server.engine)
    return _json(keys, headers={"Cache-Control": "public, max-age=300"})


@router.get("/auth/style.json")
async def style_document() -> Response:
    return _json(style())


def _render(request: Request, outcome: Outcome, secure: bool) -> Response:
    if isinstance(outcome, Redirect):
        headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
        return RedirectResponse(outcome.location, 302, headers=headers)
    return render_page(outcome, language_of(request), secure)


def _same_origin(request: Request, config: AuthConfig) -> bool:
    # A second CSRF line: browsers send Origin on POST; it must be this server.
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return origin in (origin_of(config.issuer), origin_of(str(request.base_url)))


@router.api_route("/auth/authorize", methods=["GET", "POST"])
async def authorize(request: Request) -> Response:
    runtime = _runtime(request)
    secure = runtime.config.issuer.startswith("https://")
    cookie = request.cookies.get(BROWSER_COOKIE)
    browser = cookie or secrets.token_urlsafe(24)
    outcome: Outcome
    if request.method == "POST":
        pairs = await _form_pairs(request)
        fields: dict[str, str] = {}
        for name, value in pairs:
            fields.setdefault(name, value)
        if "txn" in fields:
            if not _same_origin(request, runtime.config):
                outcome = ErrorPage(403, "auth-session-expired")
            else:
                chosen = [value for name, value in pairs if name == "scope"]
                address = request.client.host if request.client else "-"
                outcome = await run_in_threadpool(_audited_step, runtime, fields, chosen, browser, address)
        else:  # authorize by POST (SMART authorize-post)
            params = [*request.query_params.multi_items(), *pairs]
            outcome = await run_in_threadpool(runtime.flow.begin, "POST", params, browser)
    else:
        outcome = await run_in_threadpool(runtime.flow.begin, "GET", list(request.query_params.multi_items()), browser)
    response = _render(request, outcome, secure)
    if cookie is None:
        response.set_cookie(
            BROWSER_COOKIE, browser, max_age=3600, path="/auth", secure=secure, httponly=True, samesite="lax"
        )
    return response


@router.post("/auth/token")
async def token(request: Request) -> Response:
    pairs = await _form_pairs(request)
    response = await run_in_threadpool(_runtime(request).server.token, dict(request.headers), pairs, _address(request))
    return _oauth(response)


@router.post("/auth/introspect")
async def introspect(request: Request) -> Response:
    pairs = await _form_pairs(request)
    response = await run_in_threadpool(_runtime(request).server.endpoint, "introspection", dict(request.headers), pairs)
    return _oauth(response)


@router.post("/auth/revoke")
async def revoke(request: Request) -> Response:
    pairs = await _form_pairs(request)
    response = await run_in_threadpool(
        _runtime(request).server.endpoint, "revocation", dict(request.headers), pairs, _address(request)
    )
    return _oauth(response)


@router.post("/auth/launch")
async def launch(request: Request) -> Response:
    """EHR launch: a staff member's frontend asks for a ``launch`` id to open an app in context."""
    runtime = _runtime(request)
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    grant = await run_in_threadpool(
        runtime.authenticator.authenticate, value.strip() if scheme.lower() == "bearer" else None
    )
    if grant is None or grant.role not in STAFF_ROLES:
        raise Unauthorized("auth-token-required", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    fields = dict(await _form_pairs(request))
    client = await run_in_threadpool(get_client, runtime.server.engine, fields.get("client_id", ""))
    if client is None or not client.launch_allowed:
        raise Forbidden("auth-launch-not-allowed")
    raw = await run_in_threadpool(
        lambda: create_launch(
            runtime.server.engine,
            client.client_id,
            account_id=grant.account_id,
            patient=fields.get("patient") or None,
            encounter=fields.get("encounter") or None,
            lifetime_s=runtime.config.launch_seconds,
        )
    )
    body: dict[str, Any] = {"launch": raw, "iss": runtime.config.fhir_base}
    if client.launch_uri:
        body["launch_url"] = f"{client.launch_uri}?{urlencode({'iss': runtime.config.fhir_base, 'launch': raw})}"
    return _json(body, headers={"Cache-Control": "no-store"})

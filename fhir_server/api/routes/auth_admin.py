"""The admin user API (JSON, not FHIR): /auth/admin/users, for administrators' bearer tokens only.

    GET    /auth/admin/users[?role=&active=true|false]   {"users": [user, ...]}
    POST   /auth/admin/users                              201 user (+ "password" when generated)
    GET    /auth/admin/users/{username}                   user
    PATCH  /auth/admin/users/{username}                   {"email": ...} -> user
    POST   /auth/admin/users/{username}/deactivate        user (tokens revoked at once; never your own)
    POST   /auth/admin/users/{username}/reactivate        user
    PUT    /auth/admin/users/{username}/role              {"role", "fhirUser"?} -> user (never your own)
    POST   /auth/admin/users/{username}/password          {"password"?} -> user (+ "password" when generated)
    POST   /auth/admin/send-activation                    {"allPending": true} | {"usernames": [...]}, "lang"?
                                                          -> {"sent", "withoutEmail", "notPending"}

Errors are OAuth-style JSON, ``{"error": ..., "error_description": ...}``, the description in Spanish
or English by Accept-Language. The rules live in fhir_server/auth/admin.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from fhir_server.api.deps import context_of, language_of
from fhir_server.auth import admin
from fhir_server.auth.grant import Grant
from fhir_server.errors import FhirError, Invalid
from fhir_server.i18n import translate
from fhir_server.interactions.staff_status import set_staff_active
from fhir_server.settings import Settings

if TYPE_CHECKING:
    from fhir_server.api.routes.auth import AuthRuntime

router = APIRouter(prefix="/auth/admin", include_in_schema=False)
MAX_BODY = 16 * 1024
# FHIR issue codes of the errors raised below -> OAuth-style error codes (RFC 6749 5.2, RFC 6750 3.1).
_OAUTH_ERRORS = {
    "invalid": "invalid_request",
    "login": "invalid_token",
    "security": "insufficient_scope",
    "forbidden": "forbidden",
    "not-found": "not_found",
    "conflict": "conflict",
}
Work = Callable[[sa.Engine, Grant, dict[str, Any]], tuple[int, dict[str, Any]]]


def install(app: FastAPI, settings: Settings, runtime: AuthRuntime) -> None:  # noqa: ARG001
    """Mount the admin API (it reads the authenticator and engine from ``app.state.auth``)."""
    app.include_router(router)


def _json(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    # no-store: bodies may carry a generated password.
    all_headers = {"Cache-Control": "no-store", "Pragma": "no-cache", **(headers or {})}
    return Response(json.dumps(body, ensure_ascii=False).encode(), status, all_headers, "application/json")


def _error(error: FhirError, language: str) -> Response:
    issue = error.issues[0]
    body = {
        "error": _OAUTH_ERRORS.get(issue.code, "invalid_request"),
        "error_description": translate(issue.message, language, issue.params),
    }
    headers = dict(error.headers)
    if issue.code == "security":
        headers["WWW-Authenticate"] = 'Bearer error="insufficient_scope"'
    return _json(body, error.status, headers)


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _parse(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    if len(raw) > MAX_BODY:
        raise Invalid("auth-admin-bad-json")
    try:
        body = json.loads(raw)
    except ValueError:
        raise Invalid("auth-admin-bad-json") from None
    if not isinstance(body, dict):
        raise Invalid("auth-admin-bad-json")
    return body


async def _handle(request: Request, work: Work) -> Response:
    """Authenticate the administrator, then run ``work`` in the thread pool (auth is synchronous)."""
    language = language_of(request)
    runtime: AuthRuntime = request.app.state.auth
    raw = await request.body()
    try:
        grant = await run_in_threadpool(runtime.authenticator.authenticate, _bearer(request))
        caller = admin.require_administrator(grant)
        status, body = await run_in_threadpool(work, runtime.server.engine, caller, _parse(raw))
    except FhirError as error:
        return _error(error, language)
    headers = {"Location": f"/auth/admin/users/{quote(body['username'])}"} if status == 201 else None
    return _json(body, status, headers)


def _with_password(user: dict[str, Any], password: str | None) -> dict[str, Any]:
    return {**user, "password": password} if password is not None else user


@router.get("/users")
async def list_users(request: Request) -> Response:
    role, active = request.query_params.get("role"), request.query_params.get("active")
    return await _handle(
        request, lambda engine, _caller, _body: (200, {"users": admin.list_users(engine, role, active)})
    )


@router.post("/users")
async def create_user(request: Request) -> Response:
    def work(engine: sa.Engine, caller: Grant, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        user, password = admin.create_user(engine, caller, body)
        return 201, _with_password(user, password)

    return await _handle(request, work)


@router.get("/users/{username}")
async def get_user(request: Request, username: str) -> Response:
    return await _handle(request, lambda engine, _caller, _body: (200, admin.get_user(engine, username)))


@router.patch("/users/{username}")
async def update_user(request: Request, username: str) -> Response:
    return await _handle(request, lambda engine, caller, body: (200, admin.update_user(engine, caller, username, body)))


def _switch(request: Request, username: str, active: bool) -> Work:
    """Switch the account, then its Practitioner and PractitionerRoles, to ``active``."""

    def work(engine: sa.Engine, caller: Grant, _body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        user = admin.set_active(engine, caller, username, active)
        set_staff_active(request.app.state.storage, context_of(request), user.get("fhirUser"), active)
        return 200, user

    return work


@router.post("/users/{username}/deactivate")
async def deactivate_user(request: Request, username: str) -> Response:
    return await _handle(request, _switch(request, username, False))


@router.post("/users/{username}/reactivate")
async def reactivate_user(request: Request, username: str) -> Response:
    return await _handle(request, _switch(request, username, True))


@router.put("/users/{username}/role")
async def change_role(request: Request, username: str) -> Response:
    return await _handle(request, lambda engine, caller, body: (200, admin.change_role(engine, caller, username, body)))


@router.post("/users/{username}/password")
async def reset_password(request: Request, username: str) -> Response:
    def work(engine: sa.Engine, caller: Grant, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        user, password = admin.reset_password(engine, caller, username, body)
        return 200, _with_password(user, password)

    return await _handle(request, work)


@router.post("/send-activation")
async def send_activation(request: Request) -> Response:
    """Activation links for accounts pending activation (imported ones), through the reset mail sink."""
    language = language_of(request)

    def work(_engine: sa.Engine, caller: Grant, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, admin.send_activation(request.app.state.password_resets, caller, body, language)

    return await _handle(request, work)

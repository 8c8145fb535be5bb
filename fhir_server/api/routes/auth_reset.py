"""Forgot / reset password pages: GET+POST /auth/forgot and GET+POST /auth/reset?token=...

HTML forms like the authorize pages: CSRF token bound to a browser cookie (fhir_server/auth/forms.py)
plus an Origin check, no-store, no referrer (the reset URL carries the token). The work is in
fhir_server/auth/resets.py; ``app.state.password_resets`` is the service (tests swap its clock).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from fhir_server.api.auth_pages import forgot_page, message_page, reset_page
from fhir_server.api.deps import language_of
from fhir_server.auth.clients import origin_of
from fhir_server.auth.forms import issue_form_token, spend_form_token
from fhir_server.auth.resets import PasswordResets, ResetOutcome
from fhir_server.settings import Settings

if TYPE_CHECKING:
    from fhir_server.api.routes.auth import AuthRuntime

router = APIRouter(include_in_schema=False)
FORM_COOKIE = "fhir_auth_forms"


def install(app: FastAPI, settings: Settings, runtime: AuthRuntime) -> None:
    """Build the reset service from the settings and mount the pages."""
    app.state.password_resets = PasswordResets.from_settings(runtime.server.engine, settings)
    app.include_router(router)


def _resets(request: Request) -> PasswordResets:
    resets: PasswordResets = request.app.state.password_resets
    return resets


def _secure(resets: PasswordResets) -> bool:
    return resets.public_url.startswith("https://")


def _browser(request: Request) -> tuple[str, bool]:
    """This browser's id (True when it is new and the response must set the cookie)."""
    cookie = request.cookies.get(FORM_COOKIE)
    return (cookie, False) if cookie else (secrets.token_urlsafe(24), True)


def _remember(response: Response, browser: str, new: bool, secure: bool) -> Response:
    if new:
        response.set_cookie(
            FORM_COOKIE, browser, max_age=3600, path="/auth", secure=secure, httponly=True, samesite="lax"
        )
    return response


def _same_origin(request: Request, resets: PasswordResets) -> bool:
    # A second CSRF line: browsers send Origin on POST; it must be this server.
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return origin in (origin_of(resets.public_url), origin_of(str(request.base_url)))


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}


async def _csrf_ok(request: Request, resets: PasswordResets, fields: dict[str, str], purpose: str) -> bool:
    browser = request.cookies.get(FORM_COOKIE, "")
    if not _same_origin(request, resets):
        return False
    return await run_in_threadpool(spend_form_token, resets.engine, fields.get("csrf", ""), browser, purpose)


async def _forgot_form(request: Request, message: str | None = None, status: int = 200) -> Response:
    resets = _resets(request)
    browser, new = _browser(request)
    csrf = await run_in_threadpool(issue_form_token, resets.engine, browser, "forgot")
    page = forgot_page(language_of(request), csrf, secure=_secure(resets), message=message, status=status)
    return _remember(page, browser, new, _secure(resets))


@router.get("/auth/forgot")
async def forgot(request: Request) -> Response:
    return await _forgot_form(request)


@router.post("/auth/forgot")
async def forgot_submit(request: Request) -> Response:
    resets = _resets(request)
    language = language_of(request)
    fields = await _form(request)
    if not await _csrf_ok(request, resets, fields, "forgot"):
        return await _forgot_form(request, "auth-form-expired", 403)
    address = request.client.host if request.client else "-"
    accepted = await run_in_threadpool(resets.request, fields.get("identifier", ""), address, language)
    if not accepted:
        page = message_page(language, "auth-forgot-throttled", secure=_secure(resets), status=429)
        page.headers["Retry-After"] = str(resets.limits.window_us // 1_000_000)
        return page
    # Word for word the same whether or not the account exists.
    return message_page(language, "auth-forgot-sent", secure=_secure(resets))


async def _reset_form(
    request: Request,
    token: str,
    message: str | None = None,
    params: dict[str, object] | None = None,
    status: int = 200,
) -> Response:
    resets = _resets(request)
    language = language_of(request)
    target = await run_in_threadpool(resets.account_for, token)
    if target is None:
        return message_page(language, "auth-reset-bad-link", secure=_secure(resets), status=400, link_forgot=True)
    browser, new = _browser(request)
    csrf = await run_in_threadpool(issue_form_token, resets.engine, browser, "reset")
    page = reset_page(
        language, token, csrf, target.username, secure=_secure(resets), message=message, params=params, status=status
    )
    return _remember(page, browser, new, _secure(resets))


@router.get("/auth/reset")
async def reset(request: Request) -> Response:
    return await _reset_form(request, request.query_params.get("token", ""))


@router.post("/auth/reset")
async def reset_submit(request: Request) -> Response:
    resets = _resets(request)
    fields = await _form(request)
    token = fields.get("token", "")
    if not await _csrf_ok(request, resets, fields, "reset"):
        return await _reset_form(request, token, "auth-form-expired", status=403)
    result = await run_in_threadpool(resets.complete, token, fields.get("password", ""), fields.get("confirmation", ""))
    if result.outcome is ResetOutcome.DONE:
        return message_page(language_of(request), "auth-reset-done", secure=_secure(resets))
    return await _reset_form(request, token, result.message, result.params, status=400)

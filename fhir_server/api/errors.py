"""Exception handlers: every error leaves as an OperationOutcome, never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from fhir_server.api.deps import language_of, request_id_of
from fhir_server.api.negotiation import FHIR_JSON
from fhir_server.errors import (
    FhirError,
    Internal,
    Invalid,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
)
from fhir_server.model.json import dumps

log = logging.getLogger("fhir_server.errors")


def error_response(request: Request, error: FhirError) -> Response:
    """The OperationOutcome response for an error, in the caller's language."""
    body = dumps(error.outcome(language_of(request)))
    return Response(body, error.status, headers=error.headers, media_type=f"{FHIR_JSON}; charset=utf-8")


async def _fhir_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FhirError)
    if exc.status >= 500:
        log.warning("request %s failed: %s", request_id_of(request), exc.issues[0].message)
    return error_response(request, exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    path = request.url.path
    error: FhirError
    if exc.status_code == 405:
        error = MethodNotAllowed("method-not-allowed", method=request.method, path=path)
        allow = (exc.headers or {}).get("allow")
        if allow:
            error.headers["Allow"] = allow
    elif exc.status_code == 413:
        error = PayloadTooLarge("body-too-large", limit=request.app.state.settings.max_body_bytes)
    elif exc.status_code == 404:
        error = NotFound("unknown-route", path=path)
    else:
        error = Invalid("bad-parameter", name="request", value=str(exc.detail))
    return error_response(request, error)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    location = ".".join(str(p) for p in first.get("loc", ()))
    return error_response(request, Invalid("bad-parameter", name=location, value=first.get("msg", "")))


async def _unexpected(request: Request, exc: Exception) -> Response:
    request_id = request_id_of(request)
    log.error("request %s: unexpected %s", request_id, type(exc).__name__, exc_info=exc)
    return error_response(request, Internal("internal-error", request_id=request_id))


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers, most specific first (Starlette resolves them by class hierarchy)."""
    app.add_exception_handler(FhirError, _fhir_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)

"""Result -> HTTP response: FHIR headers, Prefer, _summary/_elements, _pretty, media type."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fhir_server.api.deps import language_of
from fhir_server.api.negotiation import preferences, query_value, response_media_type, wants_pretty
from fhir_server.errors import Issue, operation_outcome
from fhir_server.interactions.context import Result
from fhir_server.model.instants import http_date, weak_etag
from fhir_server.model.json import dumps, loads
from fhir_server.model.summary import select_elements, summarize


def render_json(
    request: Request,
    body: bytes | dict[str, Any],
    status: int = 200,
    headers: dict[str, str] | None = None,
    media_type: str | None = None,
) -> Response:
    """A FHIR JSON response; stored bytes pass through untouched unless _pretty asks otherwise."""
    if isinstance(body, bytes):
        content = dumps(loads(body), pretty=True) if wants_pretty(request) else body
    else:
        content = dumps(body, pretty=wants_pretty(request))
    media = media_type or response_media_type(request)
    return Response(content, status, headers=headers, media_type=f"{media}; charset=utf-8")


def _headers(result: Result) -> dict[str, str]:
    headers = dict(result.headers)
    if result.version is not None:
        headers["ETag"] = weak_etag(result.version)
    if result.last_modified is not None:
        headers["Last-Modified"] = http_date(result.last_modified)
    if result.location is not None:
        headers["Location"] = result.location
        headers["Content-Location"] = result.location
    return headers


def _shaped(request: Request, body: bytes) -> bytes | dict[str, Any]:
    summary = query_value(request, "_summary")
    elements = query_value(request, "_elements")
    if summary in (None, "false") and not elements:
        return body
    resource = loads(body)
    if elements:
        return select_elements(resource, [e.strip() for e in elements.split(",") if e.strip()])
    return summarize(resource, summary or "false")


def read_response(request: Request, result: Result) -> Response:
    """A read/vread answer, honouring _summary and _elements."""
    media = response_media_type(request)
    body = result.body if isinstance(result.body, bytes) else b"{}"
    return render_json(request, _shaped(request, body), result.status, _headers(result), media)


def write_response(request: Request, result: Result, message: str) -> Response:
    """A create/update/patch answer, honouring Prefer: return=minimal|representation|OperationOutcome."""
    media = response_media_type(request)
    headers = _headers(result)
    prefer = preferences(request).return_
    if prefer == "minimal":
        return Response(status_code=result.status, headers=headers)
    if prefer == "OperationOutcome" or result.body is None:
        names = _names(result)
        outcome = operation_outcome([Issue("informational", message, names, "information")], language_of(request))
        return render_json(request, outcome, result.status, headers, media)
    return render_json(request, result.body, result.status, headers, media)


def _names(result: Result) -> dict[str, Any]:
    location = result.location or ""
    parts = location.split("/")
    if len(parts) >= 4 and parts[-2] == "_history":
        return {"type": parts[-5], "id": parts[-4], "version": parts[-1]}
    return {}


def outcome_response(request: Request, result: Result) -> Response:
    """An answer whose body is an informational OperationOutcome (delete) or a Bundle."""
    media = response_media_type(request)
    headers = _headers(result)
    if result.body is not None:
        return render_json(request, result.body, result.status, headers, media)
    issues = [result.info] if result.info is not None else []
    return render_json(request, operation_outcome(issues, language_of(request)), result.status, headers, media)

"""Content negotiation: _format, Accept, Content-Type, Prefer and _pretty."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from fhir_server.errors import NotAcceptable, UnsupportedMediaType
from fhir_server.header_cache import kept_per_header

FHIR_JSON = "application/fhir+json"
JSON_PATCH = "application/json-patch+json"
_JSON_TYPES = {FHIR_JSON, "application/json", "application/json+fhir", "text/json"}
_FORMAT_ALIASES = {
    "json": FHIR_JSON,
    "application/json": "application/json",
    "text/json": FHIR_JSON,
    FHIR_JSON: FHIR_JSON,
    "application/json+fhir": FHIR_JSON,
}


def _media_types(header: str) -> list[tuple[str, float]]:
    types = []
    for part in header.split(","):
        media, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media.strip():
            types.append((media.strip().lower(), quality))
    return types


def response_media_type(request: Request) -> str:
    """The media type to answer with (406 when the client accepts no JSON)."""
    requested = query_value(request, "_format")
    if requested is not None:
        media = _FORMAT_ALIASES.get(requested.strip().lower().split(";")[0].replace(" ", "+"))
        if media is None:
            raise NotAcceptable("not-acceptable", format=requested)
        return media
    accept = request.headers.get("accept")
    if not accept:
        return FHIR_JSON
    return _accepted(accept)


@kept_per_header
def _accepted(accept: str) -> str:
    acceptable = [m for m, q in _media_types(accept) if q > 0]
    if FHIR_JSON in acceptable or "application/json+fhir" in acceptable:
        return FHIR_JSON
    if "application/json" in acceptable or "text/json" in acceptable:
        return "application/json"
    if any(m in ("*/*", "application/*", "text/*") or m.endswith("+json") for m in acceptable):
        return FHIR_JSON
    raise NotAcceptable("not-acceptable", format=accept)


def require_body_type(request: Request, allowed: frozenset[str] = frozenset(_JSON_TYPES)) -> str:
    """The body's media type if allowed (415 otherwise). A missing Content-Type is read as JSON."""
    header = request.headers.get("content-type")
    if header is None:
        return FHIR_JSON
    media = header.split(";")[0].strip().lower()
    if media not in allowed:
        raise UnsupportedMediaType("unsupported-media-type", content_type=media, expected=", ".join(sorted(allowed)))
    return media


def query_value(request: Request, name: str) -> str | None:
    """A query parameter's value as ``request.query_params.get`` gives it; a request without a query string
    answers without parsing one."""
    return request.query_params.get(name) if request.scope.get("query_string") else None


def wants_pretty(request: Request) -> bool:
    """True when _pretty=true."""
    return (query_value(request, "_pretty") or "").lower() == "true"


@dataclass(frozen=True, slots=True)
class Preferences:
    return_: str = "representation"
    strict: bool = False
    respond_async: bool = False


def preferences(request: Request) -> Preferences:
    """The Prefer header: return=minimal|representation|OperationOutcome, handling, respond-async."""
    header = request.headers.get("prefer")
    if not header:
        return _NO_PREFERENCES
    return_, strict, respond_async = "representation", False, False
    for part in header.replace(";", ",").split(","):
        name, _, value = part.strip().partition("=")
        value = value.strip().strip('"')
        if name == "return" and value in ("minimal", "representation", "OperationOutcome"):
            return_ = value
        elif name == "handling":
            strict = value == "strict"
        elif name == "respond-async":
            respond_async = True
    return Preferences(return_, strict, respond_async)


_NO_PREFERENCES = Preferences()  # frozen: one instance serves every request without the header

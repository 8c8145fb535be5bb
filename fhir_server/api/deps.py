"""Per-request objects from the application state: settings, storage, context."""

from __future__ import annotations

from starlette.requests import Request

from fhir_server.api.bearer import principal_from
from fhir_server.api.negotiation import preferences
from fhir_server.i18n import pick_language
from fhir_server.interactions.context import RequestContext
from fhir_server.settings import Settings
from fhir_server.storage.repository import SqlStorage


def settings_of(request: Request) -> Settings:
    """The application's settings."""
    settings: Settings = request.app.state.settings
    return settings


def storage_of(request: Request) -> SqlStorage:
    """The application's storage."""
    storage: SqlStorage = request.app.state.storage
    return storage


def language_of(request: Request) -> str:
    """es or en, from Accept-Language (the settings' default otherwise)."""
    settings: Settings | None = getattr(request.app.state, "settings", None)
    default = settings.default_language if settings else "es"
    return pick_language(request.headers.get("accept-language"), default)


def request_id_of(request: Request) -> str:
    """The id the middleware gave this request."""
    return str(request.scope.get("state", {}).get("request_id", "-"))


def context_of(request: Request) -> RequestContext:
    """The interaction context of a request."""
    settings = settings_of(request)
    return RequestContext(
        base_url=settings.base_url,
        language=language_of(request),
        zone=settings.zone,
        request_id=request_id_of(request),
        strict_handling=preferences(request).strict,
        default_page_size=settings.default_page_size,
        max_page_size=settings.max_page_size,
        clinic_profiles=settings.clinic_profiles,
        care_window_days=settings.care_relationship_days,
        principal=principal_from(
            request.scope.get("state", {}).get("grant"),
            auth_enabled=settings.auth_enabled,
            break_glass=request.headers.get("x-break-glass"),
        ),
    )


def query_pairs(request: Request) -> list[tuple[str, str]]:
    """The query string as ordered (name, value) pairs (repeats kept)."""
    return list(request.query_params.multi_items())

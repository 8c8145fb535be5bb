"""What every interaction receives about its request, independent of HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from fhir_server.auth.scopes import ScopeSet
from fhir_server.errors import Issue
from fhir_server.settings import Settings


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, and what they may do.

    ``kind``: ``anonymous`` (authorization disabled: unrestricted), ``user`` (staff or patient with a
    SMART token), ``client`` (Backend Services token) or ``system`` (the server itself: loaders,
    internal writes). ``scopes`` None means unrestricted. ``patient`` is the patient whose
    compartment bounds ``patient/`` scopes (launch context, or the patient's own record).
    """

    kind: str = "anonymous"
    subject: str | None = None  # fhirUser: Practitioner/x or Patient/y
    scopes: ScopeSet | None = None
    role: str | None = None
    patient: str | None = None
    client_id: str | None = None
    account_id: str | None = None
    break_glass: str | None = None  # the reason given for emergency access, when given

    @property
    def unrestricted(self) -> bool:
        return self.scopes is None


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Per-request facts an interaction may need."""

    base_url: str
    language: str
    zone: tzinfo
    request_id: str = "-"
    principal: Principal = field(default_factory=Principal)
    strict_handling: bool = False
    default_page_size: int = 20
    max_page_size: int = 1000
    clinic_profiles: str = "claimed"
    care_window_days: int = 365
    # False: the caller audits its writes in batches (bulk import, docs/adr/0013), not one by one.
    audit_writes: bool = True
    # Facts computed once per request (the care relationship); never part of equality.
    memo: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(slots=True)
class Result:
    """An interaction's answer: status, body and the FHIR headers the HTTP layer renders.

    ``body`` is stored JSON bytes (passed through untouched) or a dict to serialise.
    """

    status: int
    body: bytes | dict[str, Any] | None = None
    version: int | None = None
    last_modified: int | None = None
    location: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    info: Issue | None = None  # an informational OperationOutcome when there is no resource


def system_context(settings: Settings, request_id: str = "-") -> RequestContext:
    """The server writing as itself (loaders, importers): no user, the clinic's zone and profile mode."""
    return RequestContext(
        base_url=settings.base_url,
        language=settings.default_language,
        zone=settings.zone,
        request_id=request_id,
        principal=Principal(kind="system"),
        clinic_profiles=settings.clinic_profiles,
    )

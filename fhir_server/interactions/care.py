"""The care relationship: the patients a practitioner has appointments or encounters with, lately or soon.

Computed once per request from the stored Appointments (any participant) and Encounters (any
participant) that name the practitioner or one of their PractitionerRoles, within the window the
settings give (``FHIR_CARE_RELATIONSHIP_DAYS``, counted back from today; future ones count too).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from fhir_server.interactions.context import RequestContext
from fhir_server.model.json import loads
from fhir_server.search.patient_refs import patients_of
from fhir_server.search.query import SearchQuery, parse_query
from fhir_server.search.registry import r4_registry
from fhir_server.storage.records import Page

MAX_ROWS = 1000


class CareSource(Protocol):
    """A SqlStorage or an open Writer: anything that searches current resources."""

    def search(self, query: SearchQuery) -> Page: ...


def _query(ctx: RequestContext, type_name: str, params: list[tuple[str, str]]) -> SearchQuery:
    return parse_query(
        type_name,
        [*params, ("_count", str(MAX_ROWS))],
        registry=r4_registry(),
        zone=ctx.zone,
        base_url=ctx.base_url,
        default_count=MAX_ROWS,
        max_count=MAX_ROWS,
        strict=True,
    )


def _patients(source: CareSource, query: SearchQuery) -> set[str]:
    found: set[str] = set()
    for row in source.search(query).rows:
        if row.content is not None:
            found |= patients_of(loads(row.content))
    return found


def care_patients(ctx: RequestContext, source: CareSource) -> frozenset[str]:
    """Ids of the patients the calling practitioner cares for (memoised for the request)."""
    cached = ctx.memo.get("care")
    if isinstance(cached, frozenset):
        return cached
    subject = ctx.principal.subject
    patients: set[str] = set()
    if subject and subject.startswith("Practitioner/"):
        roles = source.search(_query(ctx, "PractitionerRole", [("practitioner", subject)])).rows
        actors = ",".join([subject, *(f"PractitionerRole/{row.id}" for row in roles)])
        since = (datetime.now(ctx.zone) - timedelta(days=ctx.care_window_days)).date().isoformat()
        patients |= _patients(source, _query(ctx, "Appointment", [("actor", actors), ("date", f"ge{since}")]))
        patients |= _patients(source, _query(ctx, "Encounter", [("participant", actors), ("date", f"ge{since}")]))
    result = frozenset(patients)
    ctx.memo["care"] = result
    return result

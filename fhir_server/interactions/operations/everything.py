"""Patient/$everything: a patient's whole record as a searchset Bundle, paged by ``_count``.

https://hl7.org/fhir/R4/patient-operation-everything.html. ``Patient/{id}/$everything`` names the
patient; ``Patient/$everything`` is the caller's own (the token's patient context). The content is the
patient, every resource of its compartment and the practitioners, roles, locations, organisations and
medications they reference, de-duplicated, in primary-key order. Authorization as for a search: the
patient must be visible (404 otherwise), types outside the caller's scopes are left out, granular
scopes narrow the SQL, and every returned resource passes the final visibility check. A doctor
without a care relationship with the patient (and no break-glass reason) gets 404: this is the record.
"""

from __future__ import annotations

from fhir_server.errors import Invalid, NotFound
from fhir_server.interactions.access import visible
from fhir_server.interactions.audited import Seen
from fhir_server.interactions.bundles import bundle, full_url, page_url, resource_fragment
from fhir_server.interactions.care import care_patients
from fhir_server.interactions.context import RequestContext, Result
from fhir_server.interactions.everything_plan import (
    REFERENCED_TYPES,
    Request,
    member_types,
    narrowing,
    parse_request,
    referenced_types,
)
from fhir_server.interactions.operations import Params, operation
from fhir_server.interactions.writes import gone_error
from fhir_server.model.references import is_valid_id
from fhir_server.storage.everything import EverythingQuery
from fhir_server.storage.records import Page, Stored
from fhir_server.storage.repository import SqlStorage


def _patient(storage: SqlStorage, ctx: RequestContext, res_id: str | None) -> Stored:
    """The patient whose record is asked for (404 unknown or not the caller's to see, 410 deleted)."""
    if res_id is None:
        res_id = ctx.principal.patient
        if res_id is None:
            raise Invalid("everything-no-patient", code="required")
    stored = storage.read("Patient", res_id) if is_valid_id(res_id) else None
    if stored is None or not visible(ctx, storage, stored):
        raise NotFound("not-found", type="Patient", id=res_id)
    if stored.deleted:
        raise gone_error(stored)
    if _needs_care(ctx) and stored.id not in care_patients(ctx, storage):
        raise NotFound("not-found", type="Patient", id=res_id)
    return stored


def _needs_care(ctx: RequestContext) -> bool:
    principal = ctx.principal
    return principal.scopes is not None and principal.role == "doctor" and not principal.break_glass


def _query(ctx: RequestContext, request: Request, patient: Stored) -> EverythingQuery:
    members = member_types(ctx, request, patient.id)
    wants_patient = request.types is None or "Patient" in request.types
    return EverythingQuery(
        patient_pk=patient.pk,
        patient_id=patient.id,
        member_types=members,
        referenced_types=referenced_types(ctx, request, patient.id),
        include_patient=wants_patient and (request.since is None or patient.last_updated >= request.since),
        window=request.window,
        since=request.since,
        narrowing=narrowing(ctx, members),
        count=request.count,
        after_pk=request.after_pk,
    )


def _entries(ctx: RequestContext, rows: list[Stored]) -> list[dict[str, object]]:
    return [
        {
            "fullUrl": full_url(ctx, row),
            "resource": resource_fragment(row),
            "search": {"mode": "include" if row.type in REFERENCED_TYPES else "match"},
        }
        for row in rows
    ]


def _links(ctx: RequestContext, path: str, request: Request, page: Page) -> list[tuple[str, str]]:
    current = request.link_params + ([("_cursor", str(request.after_pk))] if request.after_pk is not None else [])
    links = [("self", page_url(ctx, path, current)), ("first", page_url(ctx, path, request.link_params))]
    if page.next_cursor is not None:
        links.append(("next", page_url(ctx, path, [*request.link_params, ("_cursor", page.next_cursor)])))
    return links


def everything(
    storage: SqlStorage, ctx: RequestContext, _type: str | None, res_id: str | None, params: Params
) -> Result:
    """One page of the patient's record (the whole record when it fits in ``_count``)."""
    request = parse_request(ctx, params)
    patient = _patient(storage, ctx, res_id)
    page = storage.everything(_query(ctx, request, patient))
    rows = page.rows
    if ctx.principal.scopes is not None:
        rows = [row for row in rows if visible(ctx, storage, row, "s")]
    seen = ctx.memo.get("audit")
    if isinstance(seen, Seen):
        # The event names the patients whose data went out; ids are enough for it.
        named = storage.compartment_patients(rows) | {patient.id}
        seen.rows = [Stored(0, "Patient", pid, 0, 0, False, None) for pid in sorted(named)]
    path = f"Patient/{res_id}/$everything" if res_id is not None else "Patient/$everything"
    total = len(rows) if page.total is not None else None
    links = _links(ctx, path, request, page)
    return Result(200, bundle("searchset", _entries(ctx, rows), total=total, links=links))


operation("Patient", "everything", "instance")(everything)
operation("Patient", "everything", "type")(everything)

"""Encounter/{id}/$record-vitals: the nurse's form becomes the vital-signs panel, its members and the BMI.

One transaction: the Observations (each checked against its clinic profile, every problem reported
against the form field it came from), the Encounter moved to ``triaged`` with the nurse as a
participant, and its Appointment moved to ``arrived``. Answers a Bundle (collection) with the panel
first, then its members and the Encounter.
"""

from __future__ import annotations

from typing import Any

from fhir_server.errors import Conflict, Issue, NotFound, Unprocessable
from fhir_server.interactions.conformance import profile_issues
from fhir_server.interactions.context import RequestContext, Result
from fhir_server.interactions.operations import Params, operation
from fhir_server.interactions.vitals_form import bmi_issue, observations, parse_form
from fhir_server.interactions.writes import create_in, put_in
from fhir_server.model.canonical import V3_PARTICIPATION
from fhir_server.model.json import loads
from fhir_server.model.references import RefKind, parse_reference
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.writer import Writer

CLOSED = frozenset({"finished", "cancelled", "entered-in-error"})
TO_TRIAGE = frozenset({"planned", "arrived"})
TO_ARRIVE = frozenset({"booked", "pending", "checked-in"})


def _reference(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("reference")
    return value if isinstance(value, str) and value else None


def _encounter(writer: Writer, res_id: str) -> dict[str, Any]:
    stored = writer.current("Encounter", res_id)
    if stored is None or stored.deleted or stored.content is None:
        raise NotFound("not-found", type="Encounter", id=res_id)
    encounter: dict[str, Any] = loads(stored.content)
    if encounter.get("status") in CLOSED:
        raise Conflict("vitals-encounter-closed", expression=["Encounter.status"], status=encounter.get("status"))
    subject = parse_reference(_reference(encounter.get("subject")) or "")
    if subject is None or subject.kind is not RefKind.RELATIVE or subject.type != "Patient":
        raise Unprocessable("vitals-encounter-subject", expression=["Encounter.subject"])
    return encounter


def _triaged(encounter: dict[str, Any], performer: str | None, when: str) -> dict[str, Any]:
    updated = dict(encounter)
    if encounter.get("status") in TO_TRIAGE:
        history = [*encounter.get("statusHistory", []), {"status": encounter["status"], "period": {"end": when}}]
        updated.update(status="triaged", statusHistory=history)
    updated.setdefault("period", {"start": when})
    participants = list(encounter.get("participant", []))
    if performer and not any(_reference(p.get("individual")) == performer for p in participants):
        kind = {"coding": [{"system": V3_PARTICIPATION, "code": "PART", "display": "participation"}]}
        participants.append({"type": [kind], "individual": {"reference": performer}})
        updated["participant"] = participants
    return updated


def _arrive(writer: Writer, ctx: RequestContext, encounter: dict[str, Any]) -> None:
    for item in encounter.get("appointment", []):
        ref = parse_reference(_reference(item) or "")
        if ref is None or ref.kind is not RefKind.RELATIVE or ref.type != "Appointment" or not ref.id:
            continue
        stored = writer.current("Appointment", ref.id)
        if stored is None or stored.deleted or stored.content is None:
            continue
        appointment = loads(stored.content)
        if appointment.get("status") in TO_ARRIVE:
            put_in(writer, ctx, {**appointment, "status": "arrived"}, ref.id, None)


def _form_issues(writer: Writer, built: list[dict[str, Any]], source: dict[str, str]) -> list[Issue]:
    issues = []
    for observation in built:
        field = source.get(observation["id"], "hasMember")
        for issue in profile_issues(writer, observation, observation["meta"]["profile"]):
            issues.append(
                Issue(
                    issue.code,
                    issue.message,
                    issue.params,
                    issue.severity,
                    (field, *issue.expression),
                    issue.diagnostics,
                )
            )
    return issues


@operation("Encounter", "record-vitals", "instance")
def record_vitals(
    storage: SqlStorage, ctx: RequestContext, type_name: str | None, res_id: str | None, params: Params
) -> Result:
    """Write the panel, members, BMI and status changes in one transaction; a Bundle of what was written."""
    del type_name
    assert res_id is not None
    form = parse_form(params, ctx.zone)
    problem = bmi_issue(form)
    if problem is not None:
        raise Unprocessable(issues=[problem])
    performer = _reference((params.get("performer") or params.get("enfermero") or [None])[0])

    def work(writer: Writer) -> Result:
        encounter = _encounter(writer, res_id)
        common: dict[str, Any] = {
            "subject": {"reference": _reference(encounter["subject"])},
            "encounter": {"reference": f"Encounter/{res_id}"},
            "effectiveDateTime": form.when,
        }
        if performer:
            common["performer"] = [{"reference": performer}]
        built = observations(form, common)
        writer.pending.update({f"Observation/{o['id']}": o for o in built})
        issues = _form_issues(writer, built, form.source)
        if any(issue.severity in ("error", "fatal") for issue in issues):
            raise Unprocessable(issues=issues)
        written = [create_in(writer, ctx, observation, new_id=observation["id"]) for observation in built]
        updated = put_in(writer, ctx, _triaged(encounter, performer, form.when), res_id, None)
        _arrive(writer, ctx, encounter)
        entries = [written[-1], *written[:-1], updated]
        bundle = {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [
                {
                    "fullUrl": r.location.split("/_history")[0] if r.location else None,
                    "resource": loads(r.body) if isinstance(r.body, bytes) else r.body,
                }
                for r in entries
            ],
        }
        return Result(200, bundle)

    return storage.write(work)

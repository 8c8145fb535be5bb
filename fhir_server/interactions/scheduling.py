"""Scheduling rules that run with every write of an Appointment.

Before saving: the Slots it books must exist and be bookable; an appointment given only slots takes
its start and end from them. After saving: each Slot it touches is ``busy`` while an active
appointment claims it and ``free`` otherwise. Overlaps themselves are refused by the database
(``storage/claims.py``).
"""

from __future__ import annotations

from typing import Any

from fhir_server.errors import Conflict, Unprocessable
from fhir_server.interactions.context import RequestContext
from fhir_server.model.json import loads
from fhir_server.model.references import RefKind, parse_reference
from fhir_server.storage.claims import claims_of
from fhir_server.storage.records import Stored
from fhir_server.storage.writer import Writer

CANCELLATION_REASONS = "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason"
UNBOOKABLE = frozenset({"busy-unavailable", "busy-tentative", "entered-in-error"})


def _slot_ids(appointment: dict[str, Any] | None) -> list[str]:
    ids = []
    for slot in (appointment or {}).get("slot", []):
        ref = parse_reference(slot.get("reference", "")) if isinstance(slot, dict) else None
        if ref is not None and ref.kind is RefKind.RELATIVE and ref.type == "Slot" and ref.id:
            ids.append(ref.id)
    return ids


def before_save(writer: Writer, resource: dict[str, Any], res_id: str) -> dict[str, Any]:
    """The resource to store: an Appointment checked against its Slots and timed from them; a Slot
    written as ``free`` while an active appointment holds it stays ``busy``."""
    if resource.get("resourceType") == "Slot":
        if resource.get("status") == "free" and writer.is_claimed(f"Slot/{res_id}"):
            return {**resource, "status": "busy"}
        return resource
    if resource.get("resourceType") != "Appointment":
        return resource
    slots = []
    for slot_id in _slot_ids(resource):
        stored = writer.current("Slot", slot_id)
        if stored is None or stored.deleted or stored.content is None:
            raise Unprocessable(
                "slot-missing", code="not-found", expression=["Appointment.slot"], slot=f"Slot/{slot_id}"
            )
        slot = loads(stored.content)
        if slot.get("status") in UNBOOKABLE:
            raise Conflict(
                "slot-unavailable", expression=["Appointment.slot"], slot=f"Slot/{slot_id}", status=slot.get("status")
            )
        slots.append(slot)
    if slots and ("start" not in resource or "end" not in resource):
        resource = {**resource, "start": min(s["start"] for s in slots), "end": max(s["end"] for s in slots)}
    return resource


def after_save(writer: Writer, ctx: RequestContext, saved: Stored, previous: Stored | None) -> None:
    """Slots an Appointment booked or released follow it: busy while claimed, free otherwise."""
    if saved.type != "Appointment":
        return
    now = loads(saved.content) if saved.content else None
    before = loads(previous.content) if previous is not None and previous.content else None
    # A slot this very appointment claims is busy: no need to ask the database.
    claimed_now = {actor for actor, _, _ in claims_of(now, writer.context.zone)} if now is not None else set()
    for slot_id in dict.fromkeys(_slot_ids(now) + _slot_ids(before)):
        stored = writer.current("Slot", slot_id)
        if stored is None or stored.deleted or stored.content is None:
            continue
        slot = loads(stored.content)
        if slot.get("status") in UNBOOKABLE:
            continue
        actor = f"Slot/{slot_id}"
        status = "busy" if actor in claimed_now or writer.is_claimed(actor) else "free"
        if slot.get("status") != status:
            writer.save({**slot, "status": status}, slot_id, "PUT", stored)
    del ctx


# Appointment state machine (legacy-domain.md C.5): fulfilled, cancelled and noshow are final;
# corrections go through entered-in-error.
FINAL = frozenset({"fulfilled", "cancelled", "noshow"})
ACTIVE = frozenset({"arrived", "checked-in"})
PATIENT_CANCEL = {"coding": [{"system": CANCELLATION_REASONS, "code": "pat", "display": "Patient"}]}


def check_transition(ctx: RequestContext, resource: dict[str, Any], current: Stored | None) -> dict[str, Any]:
    """409 for a change out of a final status; a patient's cancellation carries reason ``pat``."""
    if resource.get("resourceType") != "Appointment":
        return resource
    new = resource.get("status")
    old = loads(current.content).get("status") if current is not None and current.content else None
    if old in FINAL and new not in (old, "entered-in-error"):
        raise Conflict("appointment-final", expression=["Appointment.status"], old=old, new=new)
    if new == "cancelled" and old != "cancelled" and "cancelationReason" not in resource:
        if ctx.principal.role == "paciente":
            return {**resource, "cancelationReason": PATIENT_CANCEL}
        if old in ACTIVE:
            raise Unprocessable(
                "appointment-cancel-reason", code="required", expression=["Appointment.cancelationReason"]
            )
    return resource

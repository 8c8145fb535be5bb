"""The time an active Appointment claims for each of its actors, kept in ``appointment_claim``.

The table's constraint (exclusion on PostgreSQL, trigger on SQLite) is the guarantee; the lookup
before inserting only finds the colliding appointment so the 409 can name it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, delete, or_, select

from fhir_server.errors import Conflict
from fhir_server.model.datetimes import BadDate, date_range
from fhir_server.model.instants import to_datetime
from fhir_server.model.references import RefKind, parse_reference
from fhir_server.storage import driver
from fhir_server.storage.schema import appointment_claim, resource

ACTIVE = frozenset({"proposed", "pending", "booked", "arrived", "checked-in"})
CLAIMING_TYPES = frozenset({"Patient", "Practitioner", "Location", "Slot"})
_MOST_COLLISIONS = 100  # enough to name one: the 409 names the first actor that collides
_DROP = delete(appointment_claim).where(appointment_claim.c.resource_pk == bindparam("pk"))


@dataclass(frozen=True, slots=True)
class Collision:
    actor: str
    appointment_id: str
    start_us: int
    end_us: int


def _clock(us: int, zone: tzinfo) -> str:
    return to_datetime(us).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def double_booking(found: Collision, zone: tzinfo) -> Conflict:
    """The 409 naming what the new appointment collides with."""
    return Conflict(
        "double-booking",
        code="conflict",
        expression=["Appointment.participant"],
        actor=found.actor,
        other=f"Appointment/{found.appointment_id}",
        start=_clock(found.start_us, zone),
        end=_clock(found.end_us, zone),
    )


def _instant(value: Any, zone: tzinfo, end: bool) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        low, high = date_range(value, zone)
    except BadDate:
        return None
    return high if end and len(value) <= 10 else low


def claims_of(appointment: dict[str, Any], zone: tzinfo) -> list[tuple[str, int, int]]:
    """(actor, start, end) the appointment claims: none unless active and timed."""
    if appointment.get("status") not in ACTIVE:
        return []
    start = _instant(appointment.get("start"), zone, end=False)
    end = _instant(appointment.get("end"), zone, end=True)
    if start is None or end is None or end <= start:
        return []
    actors = []
    for participant in appointment.get("participant", []):
        if not isinstance(participant, dict) or participant.get("status") == "declined":
            continue
        if participant.get("required") == "information-only":
            continue
        actor = participant.get("actor")
        actors.append(actor.get("reference") if isinstance(actor, dict) else None)
    actors += [s.get("reference") for s in appointment.get("slot", []) if isinstance(s, dict)]
    claims: list[tuple[str, int, int]] = []
    for reference in actors:
        ref = parse_reference(reference) if isinstance(reference, str) else None
        if ref is not None and ref.kind is RefKind.RELATIVE and ref.type in CLAIMING_TYPES:
            key = f"{ref.type}/{ref.id}"
            if all(key != c[0] for c in claims):
                claims.append((key, start, end))
    return claims


def collision(connection: Connection, pk: int | None, claims: list[tuple[str, int, int]]) -> Collision | None:
    """The first existing claim another appointment holds that these claims overlap (in the claims' order).

    One statement for all the actors: a booking claims three or four, and each round trip waits."""
    params: dict[str, Any] = {"pk": pk, "most": _MOST_COLLISIONS}
    for position, (actor, start, end) in enumerate(claims):
        params.update({f"actor_{position}": actor, f"start_{position}": start, f"end_{position}": end})
    rows = driver.fetch(connection, _collision_query(len(claims), pk is not None), params)
    found = {row[0]: Collision(row[0], row[1], row[2], row[3]) for row in rows}
    return next((found[actor] for actor, _, _ in claims if actor in found), None)


@lru_cache(maxsize=32)  # bounded: a client chooses how many participants an appointment has
def _collision_query(count: int, other_than_pk: bool) -> Select[Any]:
    """The lookup for ``count`` claims, built once per count (bookings claim three or four)."""
    claim = appointment_claim
    overlaps = [
        and_(
            claim.c.actor == bindparam(f"actor_{n}"),
            claim.c.start_us < bindparam(f"end_{n}"),
            claim.c.end_us > bindparam(f"start_{n}"),
        )
        for n in range(count)
    ]
    stmt = (
        select(claim.c.actor, resource.c.res_id, claim.c.start_us, claim.c.end_us)
        .join(resource, resource.c.pk == claim.c.resource_pk)
        .where(or_(*overlaps))
        .limit(bindparam("most"))
    )
    return stmt.where(claim.c.resource_pk != bindparam("pk")) if other_than_pk else stmt


def sync(
    connection: Connection, pk: int, appointment: dict[str, Any] | None, zone: tzinfo, *, new: bool = False
) -> None:
    """Replace the claims of an appointment (none when deleted or no longer active); ``new``: it has none yet."""
    if not new:
        driver.run(connection, _DROP, {"pk": pk})
    claims = claims_of(appointment, zone) if appointment is not None else []
    if not claims:
        return
    found = collision(connection, pk, claims)
    if found is not None:
        raise double_booking(found, zone)
    rows = [(pk, actor, start, end) for actor, start, end in claims]
    driver.insert_values(connection, appointment_claim, ("resource_pk", "actor", "start_us", "end_us"), rows)

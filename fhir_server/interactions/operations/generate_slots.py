"""Schedule/{id}/$generate-slots: free Slots from weekly opening hours, in the clinic time zone.

Inputs (Parameters): ``start`` and ``end`` (dates, inclusive), ``slotMinutes`` (default 30),
``availableTime`` (repeatable: ``daysOfWeek``, ``availableStartTime``, ``availableEndTime``) and
``break`` (repeatable: ``start``, ``end`` times). Without ``availableTime`` the hours come from the
schedule's Location (hoursOfOperation) or PractitionerRole (availableTime). Slots that would overlap
one the schedule already has are skipped, so running it twice creates nothing new.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from fhir_server.errors import Invalid, NotFound
from fhir_server.interactions.bundles import bundle
from fhir_server.interactions.context import RequestContext, Result
from fhir_server.interactions.operations import Params, operation
from fhir_server.interactions.writes import location
from fhir_server.model.ids import new_id
from fhir_server.model.json import loads
from fhir_server.model.references import RefKind, parse_reference
from fhir_server.search.query import parse_query
from fhir_server.search.registry import r4_registry
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.writer import Writer

MAX_SLOTS = 5000
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Window = tuple[set[str], time, time]


def _one(params: Params, name: str, default: Any = None) -> Any:
    values = params.get(name) or []
    if not values:
        if default is None:
            raise Invalid("operation-parameter", code="required", name=name)
        return default
    return values[0]


def _date(params: Params, name: str) -> date:
    try:
        return date.fromisoformat(str(_one(params, name)))
    except ValueError:
        raise Invalid("operation-parameter", code="value", name=name) from None


def _time(value: Any, name: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise Invalid("operation-parameter", code="value", name=name) from None


def _windows(items: list[dict[str, Any]], start_key: str, end_key: str) -> list[Window]:
    windows = []
    for item in items:
        days = set(item.get("daysOfWeek", DAYS))
        if item.get("allDay"):
            windows.append((days, time(0), time(23, 59, 59)))
        elif item.get(start_key) and item.get(end_key):
            windows.append((days, _time(item[start_key], start_key), _time(item[end_key], end_key)))
    return windows


def _actor_hours(writer: Writer, schedule: dict[str, Any]) -> list[Window]:
    for actor in schedule.get("actor", []):
        ref = parse_reference(actor.get("reference", "")) if isinstance(actor, dict) else None
        if ref is None or ref.kind is not RefKind.RELATIVE or ref.type not in ("Location", "PractitionerRole"):
            continue
        stored = writer.current(str(ref.type), str(ref.id))
        if stored is None or stored.content is None:
            continue
        owner = loads(stored.content)
        if ref.type == "Location":
            return _windows(owner.get("hoursOfOperation", []), "openingTime", "closingTime")
        return _windows(owner.get("availableTime", []), "availableStartTime", "availableEndTime")
    return []


def _periods(
    ctx: RequestContext, first: date, last: date, windows: list[Window], breaks: list[tuple[time, time]], minutes: int
) -> list[tuple[datetime, datetime]]:
    periods = []
    step = timedelta(minutes=minutes)
    day = first
    while day <= last:
        code = DAYS[day.weekday()]
        for days, opening, closing in windows:
            if code not in days:
                continue
            cursor = datetime.combine(day, opening, ctx.zone)
            closes = datetime.combine(day, closing, ctx.zone)
            while cursor + step <= closes:
                end = cursor + step
                pause = next((b for b in breaks if cursor.time() < b[1] and end.time() > b[0]), None)
                if pause is None:
                    periods.append((cursor, end))
                    cursor = end
                else:
                    cursor = datetime.combine(day, pause[1], ctx.zone)
        day += timedelta(days=1)
    return periods


def _existing(writer: Writer, ctx: RequestContext, schedule_id: str, first: date, last: date) -> list[tuple[str, str]]:
    query = parse_query(
        "Slot",
        [
            ("schedule", f"Schedule/{schedule_id}"),
            ("start", f"ge{first.isoformat()}"),
            ("start", f"le{last.isoformat()}"),
            ("_count", str(MAX_SLOTS)),
        ],
        registry=r4_registry(),
        zone=ctx.zone,
        base_url=ctx.base_url,
        default_count=MAX_SLOTS,
        max_count=MAX_SLOTS,
        strict=True,
    )
    slots = [loads(s.content) for s in writer.search(query).rows if s.content]
    return [(s["start"], s["end"]) for s in slots]


@operation("Schedule", "generate-slots", "instance")
def generate_slots(
    storage: SqlStorage, ctx: RequestContext, type_name: str | None, res_id: str | None, params: Params
) -> Result:
    """Create the free Slots of a Schedule between two dates; answers a Bundle of the new Slots."""
    del type_name
    first, last = _date(params, "start"), _date(params, "end")
    minutes = int(_one(params, "slotMinutes", 30))
    if last < first or not 5 <= minutes <= 480 or (last - first).days > 366:
        raise Invalid("operation-parameter", code="value", name="start/end/slotMinutes")
    breaks = [
        (_time(_one(b, "start"), "break.start"), _time(_one(b, "end"), "break.end"))
        for b in params.get("break", [])
        if isinstance(b, dict)
    ]
    # Parts arrive as lists of values; daysOfWeek stays a list, the times become single values.
    given = [
        {k: v if k == "daysOfWeek" else v[0] for k, v in p.items()}
        for p in params.get("availableTime", [])
        if isinstance(p, dict)
    ]

    def work(writer: Writer) -> list[Any]:
        stored = writer.current("Schedule", str(res_id))
        if stored is None or stored.deleted or stored.content is None:
            raise NotFound("not-found", type="Schedule", id=res_id)
        windows = _windows(given, "availableStartTime", "availableEndTime") if given else []
        windows = windows or _actor_hours(writer, loads(stored.content))
        if not windows:
            raise Invalid("no-opening-hours", code="required")
        periods = _periods(ctx, first, last, windows, breaks, minutes)
        if len(periods) > MAX_SLOTS:
            raise Invalid("too-many-slots", code="too-costly", count=len(periods), limit=MAX_SLOTS)
        taken = [
            (datetime.fromisoformat(s), datetime.fromisoformat(e))
            for s, e in _existing(writer, ctx, str(res_id), first, last)
        ]
        fresh = [(s, e) for s, e in periods if not any(s < te and e > ts for ts, te in taken)]
        slots = [
            {
                "resourceType": "Slot",
                "schedule": {"reference": f"Schedule/{res_id}"},
                "status": "free",
                "start": s.isoformat(),
                "end": e.isoformat(),
            }
            for s, e in fresh
        ]
        return writer.create_many([(slot, _new_id(), "POST") for slot in slots])

    created = storage.write(work)
    entries = [
        {"fullUrl": location(ctx, s).rsplit("/_history", 1)[0], "resource": loads(s.content or b"{}")} for s in created
    ]
    return Result(200, bundle("collection", entries, total=len(entries)))


def _new_id() -> str:
    return new_id()

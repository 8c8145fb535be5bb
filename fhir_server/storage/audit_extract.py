"""An AuditEvent's ``audit_index`` row read straight from the event (ADR 0019), without index rows.

The audit trail stores several AuditEvents per request, and extracting each one's index rows
(``indexing.index_rows``) and then fitting them into slots (``audit_rows.compact``) was the largest
share of the trail's time. AuditEvents index only what an auditor searches by
(``search.registry.AUDIT_PARAMETERS``), all at fixed paths, so the slots are filled from those paths
with the per-type extractors' own value rules. An event of any other shape (a ``meta`` with
tags or profiles, an element of an unexpected JSON type, more values than slots) gets None and goes
the generic way; tests compare both ways on every shape the server builds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any

from fhir_server.model.instants import from_datetime
from fhir_server.storage.audit_rows import COLUMNS, slot_starts
from fhir_server.storage.params import date, reference, token
from fhir_server.storage.params.common import ExtractContext

_STAMPED_META = frozenset({"versionId", "lastUpdated"})
_ACTION, _OUTCOME, _TYPE, _SUBTYPE, _AGENT, _ENTITY, _DATE = (
    slot_starts(kind, param)
    for kind, param in (
        ("token", "action"),
        ("token", "outcome"),
        ("token", "type"),
        ("token", "subtype"),
        ("reference", "agent"),
        ("reference", "entity"),
        ("date", "date"),
    )
)


# Events share their agents, type, subtypes and time (the same objects: the trail builds one set per
# request and keeps each caller's agents): values are kept per object, with the objects so their ids
# stay their own. Like indexing's ``like``, this relies on nothing changing a resource once it is handed
# to the writer. Bounded: cleared when full.
_KEPT_MAX = 256
Values = list[tuple[Any, ...] | None]
_kept: dict[tuple[object, ...], tuple[tuple[object, ...], ExtractContext, Any]] = {}


def _by_identity(tag: str, objects: tuple[Any, ...], context: ExtractContext, compute: Callable[..., Any]) -> Any:
    """``compute(*objects, context)``, kept for these very objects."""
    key = (tag, *map(id, objects), id(context))
    kept = _kept.get(key)
    if kept is not None and kept[1] is context and all(a is b for a, b in zip(kept[0], objects, strict=True)):
        return kept[2]
    found = compute(*objects, context)
    if len(_kept) >= _KEPT_MAX:
        _kept.clear()
    _kept[key] = (objects, context, found)
    return found


class _Unfit(Exception):
    """The event has a shape or a number of values the slots do not take."""


def audit_slots(pk: int, event: dict[str, Any], context: ExtractContext) -> list[Any] | None:
    """The event's ``audit_index`` row (values in column order), or None to index it the generic way."""
    meta = event.get("meta")
    if meta is not None and (not isinstance(meta, dict) or not _STAMPED_META.issuperset(meta)):
        return None
    try:
        values = _shared_slots(event, context)
        _fill(values, _ENTITY, _references(event.get("entity"), "what", context))
    except _Unfit:
        return None
    values[0] = pk
    return values


# Everything but the entities is filled once per set of those parts: a search's events differ only in
# their entities.
_SHARED_PARTS = ("action", "outcome", "type", "subtype", "agent", "recorded")


def _shared_slots(event: dict[str, Any], context: ExtractContext) -> list[Any]:
    parts = tuple(event.get(name) for name in _SHARED_PARTS)
    template: list[Any] = _by_identity("shared", parts, context, _template)
    return template.copy()


def _template(
    action: Any, outcome: Any, type_: Any, subtype: Any, agent: Any, recorded: Any, context: ExtractContext
) -> list[Any]:
    values: list[Any] = [None] * len(COLUMNS)
    _put(values, _ACTION[0], _code_values(action))
    _put(values, _OUTCOME[0], _code_values(outcome))
    # Type, subtypes and agents repeat across requests as well (the recorded time does not).
    _fill(values, _TYPE, _by_identity("type", (type_,), context, _type_values))
    _fill(values, _SUBTYPE, _by_identity("subtype", (subtype,), context, _subtype_values))
    _fill(values, _AGENT, _by_identity("agent", (agent,), context, _agent_values))
    _fill(values, _DATE, _dates(recorded, context))
    return values


def _put(values: list[Any], start: int, value: tuple[Any, ...] | None) -> None:
    if value is not None:
        values[start : start + len(value)] = value


def _fill(values: list[Any], starts: tuple[int, ...], found: list[tuple[Any, ...] | None]) -> None:
    """Distinct values into consecutive slots, in document order (as the extractors keep them)."""
    if len(found) < 2:  # most parameters hold one value
        if found:
            _put(values, starts[0], found[0])
        return
    seen: set[tuple[Any, ...]] = set()
    for value in found:
        if value is None or value in seen:
            continue
        if len(seen) == len(starts):
            raise _Unfit
        start = starts[len(seen)]
        seen.add(value)
        values[start : start + len(value)] = value


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Unfit
    return value


def _code_values(value: Any) -> tuple[Any, ...] | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Unfit
    return _code_tuple(value)


@lru_cache(maxsize=64)  # an action or an outcome: a handful of codes
def _code_tuple(code: str) -> tuple[Any, ...] | None:
    return token.token_values(None, code)


def _coding_values(coding: Any) -> tuple[Any, ...] | None:
    if coding is None:
        return None
    if not isinstance(coding, dict):
        raise _Unfit
    return token.token_values(coding.get("system"), coding.get("code"), coding.get("display"))


def _type_values(coding: Any, _context: ExtractContext) -> Values:
    return [_coding_values(coding)]


def _subtype_values(codings: Any, _context: ExtractContext) -> Values:
    return [_coding_values(c) for c in _items(codings)]


def _agent_values(agents: Any, context: ExtractContext) -> Values:
    return _references(agents, "who", context)


def _references(items: Any, key: str, context: ExtractContext) -> Values:
    found: Values = []
    for item in _items(items):
        if not isinstance(item, dict):
            raise _Unfit
        target = item.get(key)
        if target is None:
            continue
        if not isinstance(target, dict):
            raise _Unfit
        text = target.get("reference")
        if len(target) == 1 and type(text) is str and len(text) <= _CACHED_REFERENCE and _HISTORY not in text:
            found.append(_bare_reference(text, context))
        else:
            found.append(reference.reference_values(target, context))
    return found


# An entity names its patient by a bare reference, which repeats in every event about that patient
# (a resource's versioned reference seldom repeats: not kept).
_CACHED_REFERENCE = 256
_HISTORY = "/_history/"


@lru_cache(maxsize=4096)
def _bare_reference(text: str, context: ExtractContext) -> tuple[Any, ...] | None:
    return reference.reference_values({"reference": text}, context)


def _dates(recorded: Any, context: ExtractContext) -> Values:
    if recorded is None:
        return []
    if not isinstance(recorded, str):
        raise _Unfit
    at = _utc_instant_us(recorded)
    if at is not None:
        return [(at, at + 1)]
    return [tuple(r) for r in date.extract_ranges([(recorded, "instant")], context)]


_UTC_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


def _utc_instant_us(text: str) -> int | None:
    """Microseconds of an instant written as the trail writes it (UTC, to the microsecond), else None.
    Its range is that microsecond: what the date extractor finds, without its general parse."""
    if len(text) != 27 or _UTC_INSTANT.fullmatch(text) is None:
        return None
    try:
        return from_datetime(datetime.fromisoformat(text))
    except ValueError:
        return None

"""Date parameters: values as [low, high) microsecond ranges; prefixes eq ne gt lt ge le sa eb ap."""

from __future__ import annotations

from datetime import tzinfo
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Table

from fhir_server.model.datetimes import BadDate, date_range
from fhir_server.model.instants import now_us
from fhir_server.search.expressions import Node
from fhir_server.search.values_parse import DateValue
from fhir_server.storage.params.common import ExtractContext, Row, ordered_predicate

# Open period ends: far enough to compare with any real date, small enough for BIGINT.
MIN_US = -(2**62)
MAX_US = 2**62
_DAY_US = 86_400_000_000
_DATE_TYPES = frozenset({"date", "dateTime", "instant"})


def _range(text: Any, context: ExtractContext) -> tuple[int, int] | None:
    if not isinstance(text, str):
        return None
    if len(text) <= _CACHED_DATE_LENGTH:
        try:
            return _cached_range(text, context.zone)
        except TypeError:  # a zone that cannot be hashed
            pass
    return _parsed_range(text, context.zone)


# Every FHIR date fits; the Observations of one visit share their time, so parsing repeats a lot.
_CACHED_DATE_LENGTH = 40


@lru_cache(maxsize=4096)
def _cached_range(text: str, zone: tzinfo) -> tuple[int, int] | None:
    return _parsed_range(text, zone)


def _parsed_range(text: str, zone: tzinfo) -> tuple[int, int] | None:
    try:
        return date_range(text, zone)
    except BadDate:
        return None


def _ranges(node: Node, context: ExtractContext) -> list[tuple[int, int]]:
    value, type_name = node
    if type_name in _DATE_TYPES:
        found = _range(value, context)
        return [found] if found else []
    if not isinstance(value, dict):
        return []
    if type_name == "Period":
        start, end = _range(value.get("start"), context), _range(value.get("end"), context)
        if start is None and end is None:
            return []
        return [(start[0] if start else MIN_US, end[1] if end else MAX_US)]
    if type_name == "Timing":
        events = value.get("event")
        ranges = [r for r in (_range(e, context) for e in events) if r] if isinstance(events, list) else []
        repeat = value.get("repeat")
        bounds = repeat.get("boundsPeriod") if isinstance(repeat, dict) else None
        if isinstance(bounds, dict):
            ranges += _ranges((bounds, "Period"), context)
        return ranges
    return []


def extract(nodes: list[Node], context: ExtractContext) -> list[Row]:
    """One row per date, dateTime, instant, Period or Timing event."""
    return [{"low": low, "high": high} for low, high in extract_ranges(nodes, context)]


def extract_ranges(nodes: list[Node], context: ExtractContext) -> list[tuple[int, int]]:
    """The distinct [low, high) ranges of the nodes, in order."""
    return sorted({r for node in nodes for r in _ranges(node, context)})


def approximate_bounds(value: DateValue) -> tuple[int, int]:
    """The query range widened by 10% of its distance from now (at least one day), for ``ap``."""
    distance = abs(now_us() - (value.low + value.high) // 2)
    margin = max(distance // 10, _DAY_US)
    return value.low - margin, value.high + margin


def range_predicate(low: ColumnElement[Any], high: ColumnElement[Any], value: DateValue) -> ColumnElement[bool]:
    """Prefix semantics for a stored range against the query value."""
    return ordered_predicate(low, high, value.prefix, value.low, value.high, approximate_bounds(value))


def predicate(table: Table | Any, _modifier: str | None, value: DateValue) -> ColumnElement[bool]:
    return range_predicate(table.c.low, table.c.high, value)


def instant_predicate(column: ColumnElement[Any], value: DateValue) -> ColumnElement[bool]:
    """Prefix semantics for a column holding one instant (the range [v, v + 1))."""
    return range_predicate(column, column + 1, value)


def sort_value(table: Table | Any, descending: bool) -> Any:
    return table.c.high if descending else table.c.low

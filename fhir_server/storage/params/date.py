"""Date search: prefixes (eq ne gt lt ge le sa eb ap) over half-open microsecond ranges."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, not_, or_

from fhir_server.model.instants import now_us
from fhir_server.search.query import DateValue

_DAY_US = 86_400_000_000


def approximate_bounds(value: DateValue) -> tuple[int, int]:
    """The query range widened by 10% of its distance from now (at least one day), for ``ap``."""
    distance = abs(now_us() - (value.low + value.high) // 2)
    margin = max(distance // 10, _DAY_US)
    return value.low - margin, value.high + margin


def range_predicate(
    low: ColumnElement[int], high: ColumnElement[int], value: DateValue
) -> ColumnElement[bool]:
    """Prefix semantics of FHIR search for a stored range [low, high) against the query range."""
    q_low, q_high = value.low, value.high
    prefix = value.prefix
    if prefix == "eq":
        return and_(low >= q_low, high <= q_high)
    if prefix == "ne":
        return not_(and_(low >= q_low, high <= q_high))
    if prefix == "gt":
        return high > q_high
    if prefix == "lt":
        return low < q_low
    if prefix == "ge":
        return or_(high > q_high, and_(low >= q_low, high <= q_high))
    if prefix == "le":
        return or_(low < q_low, and_(low >= q_low, high <= q_high))
    if prefix == "sa":
        return low >= q_high
    if prefix == "eb":
        return high <= q_low
    a_low, a_high = approximate_bounds(value)
    return and_(high > a_low, low < a_high)


def instant_predicate(column: ColumnElement[int], value: DateValue) -> ColumnElement[bool]:
    """Prefix semantics for a column holding one instant (the range [v, v + 1))."""
    return range_predicate(column, column + 1, value)

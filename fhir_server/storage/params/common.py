"""What the per-type parameter modules share: extraction context and range comparisons."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, not_, or_

Row = dict[str, Any]
# Rows already computed while indexing one resource, keyed by the id of the element they came from
# (and what was computed): parameters of a type often read the same elements (code, value[x]).
# Each entry holds its element too, so the id cannot be reused by another object meanwhile.
Shared = dict[tuple[Any, ...], tuple[object, list[Row]]]


def shared_rows(
    shared: Shared, value: object, type_name: str, kind: object, compute: Callable[[], list[Row]]
) -> list[Row]:
    """``compute()`` once per element and kind; the rows are shared, so callers must not change them."""
    key = (id(value), type_name, kind)
    found = shared.get(key)
    if found is None:
        found = shared[key] = (value, compute())
    return found[1]


@dataclass(frozen=True, slots=True)
class ExtractContext:
    """Facts extraction needs beyond the resource: the clinic zone and the server's own base URL."""

    zone: tzinfo
    base_url: str


def ordered_predicate(
    low: ColumnElement[Any],
    high: ColumnElement[Any],
    prefix: str,
    q_low: int | Decimal,
    q_high: int | Decimal,
    approx: tuple[int | Decimal, int | Decimal],
) -> ColumnElement[bool]:
    """FHIR prefix semantics for a stored range [low, high) against the query range [q_low, q_high)."""
    if prefix == "eq":
        # low < q_high follows from the others; stated, it bounds the index range scan on low.
        return and_(low >= q_low, low < q_high, high <= q_high)
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
    return and_(high > approx[0], low < approx[1])


def point_predicate(
    column: ColumnElement[Any], prefix: str, value: Decimal, q_low: Decimal, q_high: Decimal
) -> ColumnElement[bool]:
    """FHIR prefix semantics for a stored point value (numbers, quantities)."""
    if prefix == "eq":
        return and_(column >= q_low, column < q_high)
    if prefix == "ne":
        return not_(and_(column >= q_low, column < q_high))
    if prefix == "gt":
        return column > value
    if prefix == "lt":
        return column < value
    if prefix == "ge":
        return column >= value
    if prefix == "le":
        return column <= value
    if prefix == "sa":
        return column >= q_high
    if prefix == "eb":
        return column < q_low
    margin = abs(value) / 10
    return and_(column >= value - margin, column <= value + margin)

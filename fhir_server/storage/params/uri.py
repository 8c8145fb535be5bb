"""URI parameters: exact match; :below (the stored URI starts with the value), :above (the reverse)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table, and_, literal

from fhir_server.search.expressions import Node
from fhir_server.search.values import prefix_upper_bound
from fhir_server.storage.params.common import ExtractContext, Row

MAX_INDEXED = 255


def extract(nodes: list[Node], _context: ExtractContext) -> list[Row]:
    """One row per URI (canonical versions stay in the value)."""
    return [{"value": v[:MAX_INDEXED]} for v in dict.fromkeys(v for v, _ in nodes if isinstance(v, str) and v)]


def predicate(table: Table | Any, modifier: str | None, value: str) -> ColumnElement[bool]:
    if modifier == "below":
        return and_(table.c.value >= value, table.c.value < prefix_upper_bound(value))
    if modifier == "above":
        # The stored URI is a prefix of the value.
        return literal(value).like(table.c.value.concat("%"))
    return table.c.value == value


def sort_value(table: Table | Any) -> Any:
    return table.c.value

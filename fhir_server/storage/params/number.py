"""Number parameters: decimal values compared with the precision of the query value."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table

from fhir_server.search.expressions import Node
from fhir_server.search.values import to_decimal
from fhir_server.search.values_parse import NumberValue
from fhir_server.storage.params.common import ExtractContext, Row, point_predicate


def extract(nodes: list[Node], _context: ExtractContext) -> list[Row]:
    """One row per number (a Range contributes its low and high values)."""
    rows = []
    for value, type_name in nodes:
        if type_name == "Range" and isinstance(value, dict):
            for end in ("low", "high"):
                bound = value.get(end)
                number = to_decimal(bound.get("value")) if isinstance(bound, dict) else None
                if number is not None:
                    rows.append({"value": number, "low": number, "high": number})
            continue
        number = to_decimal(value)
        if number is not None:
            rows.append({"value": number, "low": number, "high": number})
    return rows


def predicate(table: Table | Any, _modifier: str | None, value: NumberValue) -> ColumnElement[bool]:
    return point_predicate(table.c.value, value.prefix, value.value, value.low, value.high)


def sort_value(table: Table | Any) -> Any:
    return table.c.value

"""Quantity parameters: value with prefixes, optional system|code, UCUM units compared canonically."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, or_

from fhir_server.search.expressions import QUANTITY_TYPES, Node
from fhir_server.search.ucum import UCUM_SYSTEM, canonical
from fhir_server.search.values import to_decimal
from fhir_server.search.values_parse import QuantityValue
from fhir_server.storage.params.common import ExtractContext, Row, Shared, point_predicate, shared_rows


def _row(value: Decimal, system: Any, code: Any, unit: Any) -> Row:
    system = system if isinstance(system, str) else None
    code = code if isinstance(code, str) else (unit if isinstance(unit, str) else None)
    row: Row = {
        "system": system,
        "code": code,
        "value": value,
        "low": value,
        "high": value,
        "canonical_code": None,
        "canonical_low": None,
        "canonical_high": None,
    }
    if code and system in (UCUM_SYSTEM, None):
        converted = canonical(value, code)
        if converted is not None:
            row["canonical_code"] = converted[1]
            row["canonical_low"] = row["canonical_high"] = converted[0]
    return row


def _node_rows(value: dict[str, Any], type_name: str) -> list[Row]:
    number = to_decimal(value.get("value"))
    if number is None:
        return []
    if type_name in QUANTITY_TYPES:
        return [_row(number, value.get("system"), value.get("code"), value.get("unit"))]
    if type_name == "Money":
        return [_row(number, "urn:iso:std:iso:4217", value.get("currency"), None)]
    return []


def extract(nodes: list[Node], _context: ExtractContext, shared: Shared | None = None) -> list[Row]:
    """One row per Quantity (and Money, with its currency as the code)."""
    rows = []
    for value, type_name in nodes:
        if not isinstance(value, dict):
            continue
        if shared is None:
            rows += _node_rows(value, type_name)
        else:
            found = shared_rows(shared, value, type_name, "quantity", partial(_node_rows, value, type_name))
            rows += [dict(row) for row in found]
    return rows


def predicate(table: Table | Any, _modifier: str | None, value: QuantityValue) -> ColumnElement[bool]:
    """Matches on the canonical UCUM value when the query unit converts, else on the stated unit."""
    converted = canonical(value.value, value.code) if value.code and value.system in (UCUM_SYSTEM, None) else None
    if converted is not None and value.code is not None:
        factor = converted[0] / value.value if value.value else None
        low, high = canonical(value.low, value.code), canonical(value.high, value.code)
        if factor is not None and low is not None and high is not None:
            canonical_match = and_(
                table.c.canonical_code == converted[1],
                point_predicate(table.c.canonical_low, value.prefix, converted[0], low[0], high[0]),
            )
            return or_(canonical_match, _stated(table, value)) if value.system is None else canonical_match
    return _stated(table, value)


def _stated(table: Any, value: QuantityValue) -> ColumnElement[bool]:
    conditions = [point_predicate(table.c.value, value.prefix, value.value, value.low, value.high)]
    if value.code is not None:
        conditions.append(table.c.code == value.code)
    if value.system is not None:
        conditions.append(table.c.system == value.system)
    return and_(*conditions)


def sort_value(table: Table | Any) -> Any:
    return table.c.value

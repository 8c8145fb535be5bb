"""Token parameters: system|code matching; :not, :text, :of-type, :below/:above (hierarchical codes)."""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, or_

from fhir_server.search.expressions import Node
from fhir_server.search.values import fold, prefix_upper_bound
from fhir_server.search.values_parse import StringValue, TokenValue
from fhir_server.storage.params.common import ExtractContext, Row, Shared, shared_rows

MAX_INDEXED = 255
# Code systems whose hierarchy is spelled in the code (ICD-10 and its Spanish CIE-10 editions):
# J45 subsumes J45.0 and J45.9.
PREFIX_HIERARCHIES = frozenset(
    {
        "http://hl7.org/fhir/sid/icd-10",
        "http://hl7.org/fhir/sid/icd-10-cm",
        "http://hl7.org/fhir/sid/icd-10-es",
        "urn:oid:2.16.840.1.113883.6.3",
    }
)


def _row(system: Any, code: Any, text: Any = None, type_system: Any = None, type_code: Any = None) -> Row:
    return {
        "system": system if isinstance(system, str) else None,
        "code": code[:MAX_INDEXED] if isinstance(code, str) else None,
        "text": fold(text)[:MAX_INDEXED] if isinstance(text, str) and text.strip() else None,
        "type_system": type_system,
        "type_code": type_code,
    }


def token_values(system: Any, code: Any, text: Any = None) -> tuple[Any, Any, Any] | None:
    """(system, code, text) as a row of a code or Coding holds them; None when no row is indexed (no code, no text)."""
    row = _row(system, code, text)
    if row["code"] is None and row["text"] is None:
        return None
    return (row["system"], row["code"], row["text"])


def _codings(value: dict[str, Any]) -> list[dict[str, Any]]:
    codings = value.get("coding")
    return [c for c in codings if isinstance(c, dict)] if isinstance(codings, list) else []


def _rows(node: Node) -> list[Row]:
    value, type_name = node
    if isinstance(value, bool):
        return [_row(None, "true" if value else "false")]
    if isinstance(value, str):
        return [_row(None, value)]
    if not isinstance(value, dict):
        return []
    if type_name == "Coding":
        return [_row(value.get("system"), value.get("code"), value.get("display"))]
    if type_name == "CodeableConcept":
        # :text matches CodeableConcept.text or any Coding.display: the text gets a row of its own.
        text = value.get("text")
        rows = [_row(c.get("system"), c.get("code"), c.get("display")) for c in _codings(value)]
        return [*rows, _row(None, None, text)] if isinstance(text, str) else rows
    if type_name == "Identifier":
        identifier_type = value.get("type")
        if not isinstance(identifier_type, dict):
            identifier_type = {}
        types = _codings(identifier_type)
        text = identifier_type.get("text")
        if not types:
            return [_row(value.get("system"), value.get("value"), text)]
        return [_row(value.get("system"), value.get("value"), text, t.get("system"), t.get("code")) for t in types]
    if type_name == "ContactPoint":
        return [_row(value.get("system"), value.get("value"))]
    return []


def extract(nodes: list[Node], _context: ExtractContext, shared: Shared | None = None) -> list[Row]:
    """One row per coding, identifier, contact point or code, without duplicates."""
    rows: list[Row] = []
    seen: set[tuple[Any, ...]] = set()
    for node in nodes:
        value = node[0]
        if shared is not None and isinstance(value, dict):
            found = shared_rows(shared, value, node[1], "token", partial(_rows, node))
            copied = True
        else:
            found, copied = _rows(node), False
        for row in found:
            key = tuple(row.values())
            if key not in seen and (row["code"] is not None or row["text"] is not None):
                seen.add(key)
                rows.append(dict(row) if copied else row)
    return rows


def _code_match(table: Any, code: str, hierarchical: str | None) -> ColumnElement[bool]:
    if hierarchical == "below":
        return and_(table.c.code >= code, table.c.code < prefix_upper_bound(code))
    if hierarchical == "above":
        # Codes that subsume this one are its prefixes (J45 above J45.0): an index-friendly IN list.
        return and_(table.c.code.in_([code[:n] for n in range(1, len(code) + 1)]))
    return and_(table.c.code == code)


def predicate(table: Table | Any, modifier: str | None, value: TokenValue | StringValue) -> ColumnElement[bool]:
    """The positive match for one value (:not is applied by the caller as NOT EXISTS)."""
    if isinstance(value, StringValue):
        return and_(table.c.text >= value.folded, table.c.text < prefix_upper_bound(value.folded))
    hierarchical = modifier if modifier in ("below", "above") else None
    conditions: list[ColumnElement[bool]] = []
    if modifier == "of-type":
        conditions += [table.c.type_code == value.type_code]
        if value.type_system is not None:
            conditions.append(table.c.type_system == value.type_system)
    if value.code is not None:
        conditions.append(_code_match(table, value.code, hierarchical))
    if value.system == "":
        conditions.append(table.c.system.is_(None))
    elif value.system is not None:
        conditions.append(table.c.system == value.system)
    if conditions:
        return and_(*conditions)
    return or_(table.c.code.is_not(None), table.c.text.is_not(None))


def sort_value(table: Table | Any) -> Any:
    return table.c.code

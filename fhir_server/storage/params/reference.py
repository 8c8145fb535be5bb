"""Reference parameters: Type/id, id, absolute URL, canonical URL, :Type and :identifier."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, or_

from fhir_server.model.references import RefKind, parse_reference
from fhir_server.search.expressions import Node
from fhir_server.search.values_parse import ReferenceValue, TokenValue
from fhir_server.storage.params.common import ExtractContext, Row

_CANONICAL_TYPES = frozenset({"canonical", "uri", "url"})
_TYPE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]{0,63}")  # fits target_type; a URL-form type names no type


def _empty() -> Row:
    return {
        "target_type": None,
        "target_id": None,
        "target_version": None,
        "url": None,
        "identifier_system": None,
        "identifier_value": None,
    }


def _from_text(text: str, context: ExtractContext) -> Row | None:
    found = _parsed(text, context.base_url) if len(text) <= _CACHED_LENGTH else _parse(text, context.base_url)
    return None if found is None else {**found}


# References repeat (the patient, the encounter, the practitioner): their parse is cached.
_CACHED_LENGTH = 256


@lru_cache(maxsize=8192)
def _parsed(text: str, base_url: str) -> Row | None:
    return _parse(text, base_url)


def _parse(text: str, base_url: str) -> Row | None:
    # The result may be cached: callers copy it.
    row = _empty()
    local = text[len(base_url) + 1 :] if text.startswith(base_url + "/") else text
    ref = parse_reference(local)
    if ref is None or ref.kind in (RefKind.CONTAINED, RefKind.BUNDLE_LOCAL, RefKind.CONDITIONAL):
        return None
    if ref.kind is RefKind.RELATIVE:
        row.update(target_type=ref.type, target_id=ref.id, target_version=ref.version)
    else:
        # Another server's resource: matched by URL only, but its type is recorded (see _rows).
        url, _, version = text.partition("|")
        row.update(url=url, target_type=ref.type, target_version=version or None)
    return row


def _rows(node: Node, context: ExtractContext) -> list[Row]:
    value, type_name = node
    if isinstance(value, str) and type_name in _CANONICAL_TYPES:
        url, _, version = value.partition("|")
        return [{**_empty(), "url": url, "target_version": version or None}]
    if not isinstance(value, dict):
        return []
    return reference_rows(value, context)


def reference_rows(value: dict[str, Any], context: ExtractContext) -> list[Row]:
    """The row of one Reference (none when it names nothing this server can match)."""
    row = _from_text(value["reference"], context) if isinstance(value.get("reference"), str) else _empty()
    if row is None:
        return []
    identifier = value.get("identifier")
    if isinstance(identifier, dict) and isinstance(identifier.get("value"), str):
        row.update(identifier_system=identifier.get("system"), identifier_value=identifier["value"])
    if list(row.values()).count(None) == len(row):
        return []
    if row["target_type"] is None:
        # Every row records the type FHIRPath's ``resolve() is T`` sees (the reference's, else
        # Reference.type), so ``patient`` is answered by ``subject`` rows of type Patient
        # (search.registry._narrowings).
        declared = value.get("type")
        if isinstance(declared, str) and _TYPE_NAME.fullmatch(declared):
            row["target_type"] = declared
    return [row]


def reference_values(value: dict[str, Any], context: ExtractContext) -> tuple[Any, ...] | None:
    """The values of one Reference's row, in column order (None when it has none)."""
    rows = reference_rows(value, context)
    return tuple(rows[0].values()) if rows else None


def extract(nodes: list[Node], context: ExtractContext) -> list[Row]:
    """One row per resolvable reference, canonical URL or logical identifier."""
    rows: list[Row] = []
    # Every row has the same keys in the same order: its values identify it (a Provenance names hundreds).
    seen: set[tuple[object, ...]] = set()
    for node in nodes:
        for row in _rows(node, context):
            key = tuple(row.values())
            if key not in seen:
                seen.add(key)
                rows.append(row)
    return rows


def predicate(table: Table | Any, modifier: str | None, value: ReferenceValue | TokenValue) -> ColumnElement[bool]:
    """The match for one value; ``:identifier`` values are tokens on Reference.identifier."""
    if isinstance(value, TokenValue):
        conditions = [table.c.identifier_value.is_not(None)]
        if value.code is not None:
            conditions.append(table.c.identifier_value == value.code)
        if value.system:
            conditions.append(table.c.identifier_system == value.system)
        return and_(*conditions)
    if value.url is not None:
        url, _, version = value.url.partition("|")
        if modifier == "below":
            return table.c.url.like(url.rstrip("/") + "/%")
        match = table.c.url == url
        return and_(match, table.c.target_version == version) if version else match
    conditions = [table.c.target_id == value.id]
    if value.type is not None:
        conditions.append(table.c.target_type == value.type)
    if value.version is not None:
        conditions.append(or_(table.c.target_version == value.version, table.c.target_version.is_(None)))
    return and_(*conditions)


def sort_value(table: Table | Any) -> Any:
    return table.c.target_id

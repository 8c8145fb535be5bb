"""String parameters: folded (case- and accent-insensitive) starts-with; :exact and :contains."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table, and_

from fhir_server.search.expressions import Node
from fhir_server.search.values import fold, like_escape, prefix_upper_bound
from fhir_server.search.values_parse import StringValue
from fhir_server.storage.params.common import ExtractContext, Row

MAX_INDEXED = 255
_NAME_PARTS = ("family", "given", "prefix", "suffix", "text")
_ADDRESS_PARTS = ("line", "city", "district", "state", "postalCode", "country", "text")


def word_tails(text: str) -> list[str]:
    """The text and what follows each space in it: "Pérez Gómez" -> ["Pérez Gómez", "Gómez"].

    Hispanic patients carry two surnames in ``family``; a search for either must find them.
    """
    words = text.split()
    return [text] + [" ".join(words[start:]) for start in range(1, len(words))]


def _texts(node: Node, surnames: bool = False) -> list[str]:
    value, type_name = node
    if isinstance(value, str):
        return word_tails(value) if surnames else [value]
    if not isinstance(value, dict):
        return []
    parts = _NAME_PARTS if type_name == "HumanName" else _ADDRESS_PARTS if type_name == "Address" else ()
    found: list[str] = []
    if type_name == "HumanName" and isinstance(value.get("family"), str):
        found += word_tails(value["family"])[1:]
    for part in parts:
        item = value.get(part)
        found += (
            [i for i in item if isinstance(i, str)]
            if isinstance(item, list)
            else [item]
            if isinstance(item, str)
            else []
        )
    if type_name in ("CodeableConcept", "Coding"):
        found += [v for v in (value.get("text"), value.get("display")) if isinstance(v, str)]
    return found


def extract(nodes: list[Node], _context: ExtractContext, surnames: bool = False) -> list[Row]:
    """One row per string, with its folded form (indexed) and its original text (surnames: one per word tail)."""
    rows, seen = [], set()
    for node in nodes:
        for text in _texts(node, surnames):
            folded = fold(text)[:MAX_INDEXED]
            if folded and (folded, text) not in seen:
                seen.add((folded, text))
                rows.append({"value": folded, "exact": text})
    return rows


def predicate(table: Table | Any, modifier: str | None, value: StringValue) -> ColumnElement[bool]:
    """The match for one value: starts-with by default, :exact equality, :contains substring."""
    if modifier == "exact":
        return table.c.exact == value.raw
    if modifier == "contains":
        return table.c.value.like(f"%{like_escape(value.folded)}%", escape="\\")
    return and_(table.c.value >= value.folded, table.c.value < prefix_upper_bound(value.folded))


def sort_value(table: Table | Any) -> Any:
    return table.c.value

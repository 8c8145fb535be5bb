"""Resource -> index rows, one list per index table, for every search parameter of its type.

Runs in the writing transaction (architecture decision 5). Expressions are compiled once per
type; parameters answered from the resource table itself (_id, _lastUpdated) and full-text
specials are skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from fhir_server.search.expressions import Extractor, Memo, Node, compile_expression
from fhir_server.search.registry import Registry, SearchParam, r4_registry
from fhir_server.storage.params import composite, date, number, quantity, reference, string, token, uri
from fhir_server.storage.params.common import ExtractContext, Row

# Answered from the resource table, or not indexed.
NOT_INDEXED = frozenset({"_id", "_lastUpdated", "_text", "_content", "_query", "_filter"})
Extract = Callable[[list[Node], ExtractContext], list[Row]]
EXTRACTORS: dict[str, Extract] = {
    "string": string.extract,
    "token": token.extract,
    "date": date.extract,
    "number": number.extract,
    "quantity": quantity.extract,
    "reference": reference.extract,
    "uri": uri.extract,
}
IndexRows = dict[str, list[Row]]


@cache
def _plan(registry: Registry, type_name: str) -> tuple[tuple[SearchParam, Extractor], ...]:
    plan = []
    for param in registry.for_type(type_name).values():
        if param.code in NOT_INDEXED or param.expression is None or param.type == "special":
            continue
        plan.append((param, compile_expression(param.expression)))
    return tuple(plan)


def index_rows(resource: dict[str, Any], context: ExtractContext, registry: Registry | None = None) -> IndexRows:
    """Index rows by parameter type ('token', 'string', ...), each row carrying its parameter code."""
    registry = registry or r4_registry()
    type_name = resource["resourceType"]
    start: Node = (resource, type_name)
    rows: IndexRows = {}
    memo: Memo = {}
    for param, extractor in _plan(registry, type_name):
        nodes = extractor(start, memo)
        if not nodes:
            continue
        if param.type == "composite":
            found = composite.extract(param, nodes, registry, context)
        elif param.type == "string" and param.expression and param.expression.endswith(".name.family"):
            found = string.extract(nodes, context, surnames=True)
        else:
            found = EXTRACTORS[param.type](nodes, context)
        if found:
            bucket = rows.setdefault(param.type, [])
            bucket.extend({"param": param.code, **row} for row in found)
    return rows

"""Granular SMART scopes (``user/Observation.rs?category=...|vital-signs``): as SQL clauses and as a row test.

Only token parameters are supported in scope filters (category, code, status, ...); a filter on any
other kind of parameter admits nothing, so an unexpected scope can never widen access.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from fhir_server.search.expressions import Extractor, compile_expression
from fhir_server.search.query import AnyClause, Clause, parse_query
from fhir_server.search.registry import r4_registry
from fhir_server.search.values_parse import TokenValue
from fhir_server.storage.params import token
from fhir_server.storage.params.common import ExtractContext

Filters = tuple[tuple[str, str], ...]
_UTC = ZoneInfo("UTC")
_CONTEXT = ExtractContext(_UTC, "")


@cache
def narrowing_clauses(type_name: str, filters: Filters) -> tuple[AnyClause, ...]:
    """The filters as search clauses on the type (they AND into the caller's query)."""
    query = parse_query(
        type_name,
        list(filters),
        registry=r4_registry(),
        zone=_UTC,
        base_url="",
        default_count=1,
        max_count=1,
        strict=True,
    )
    return tuple(query.clauses)


@cache
def _extractor(type_name: str, code: str) -> Extractor | None:
    param = r4_registry().get(type_name, code)
    if param is None or param.type != "token" or not param.expression:
        return None
    return compile_expression(param.expression)


def _matches(type_name: str, resource: dict[str, Any], clause: AnyClause) -> bool:
    if not isinstance(clause, Clause) or clause.modifier is not None:
        return False
    extract = _extractor(type_name, clause.name)
    if extract is None:
        return False
    rows = token.extract(extract((resource, type_name)), _CONTEXT)
    for value in clause.values:
        if not isinstance(value, TokenValue):
            return False
        for row in rows:
            if (value.code is None or row["code"] == value.code) and (
                value.system is None or row["system"] == value.system
            ):
                return True
    return False


def filters_match(type_name: str, resource: dict[str, Any], filters: Filters) -> bool:
    """True when the resource satisfies every filter of one granular scope."""
    return all(_matches(type_name, resource, clause) for clause in narrowing_clauses(type_name, filters))

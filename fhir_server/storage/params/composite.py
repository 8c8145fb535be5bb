"""Composite parameters: a token first component and a token, quantity, date or string second one.

Both components come from the same root element (the Observation, or one Observation.component),
so ``component-code-value-quantity=8480-6$gt140`` means a systolic component above 140.
"""

from __future__ import annotations

from functools import cache
from itertools import product
from typing import Any

from sqlalchemy import ColumnElement, Table, and_

from fhir_server.search.expressions import Extractor, Node, compile_expression
from fhir_server.search.registry import Registry, SearchParam
from fhir_server.search.values import prefix_upper_bound
from fhir_server.search.values_parse import DateValue, QuantityValue, StringValue, TokenValue
from fhir_server.storage.params import date, quantity, string, token
from fhir_server.storage.params.common import ExtractContext, Row, point_predicate


def _component_rows(kind: str, nodes: list[Node], context: ExtractContext) -> list[Row]:
    if kind == "token":
        return [{"system2": r["system"], "code2": r["code"]} for r in token.extract(nodes, context)]
    if kind == "quantity":
        return [
            {"low2": r["value"], "high2": r["value"], "system2": r["system"], "code2": r["code"]}
            for r in quantity.extract(nodes, context)
        ]
    if kind == "date":
        return [{"date_low2": r["low"], "date_high2": r["high"]} for r in date.extract(nodes, context)]
    if kind == "string":
        return [{"text2": r["value"]} for r in string.extract(nodes, context)]
    return []


@cache
def _plan(param: SearchParam, registry: Registry) -> tuple[str, Extractor, Extractor] | None:
    if len(param.components) != 2:
        return None
    kinds = []
    for url, _ in param.components:
        component = registry.by_url(url, param.resource_type) or registry.by_url(url)
        kinds.append(component.type if component else "")
    if kinds[0] != "token":
        return None
    first, second = (compile_expression(e, True) for _, e in param.components)
    return kinds[1], first, second


def extract(param: SearchParam, roots: list[Node], registry: Registry, context: ExtractContext) -> list[Row]:
    """One row per (first, second) component pair found under the same root."""
    plan = _plan(param, registry)
    if plan is None:
        return []
    second_kind, first_expression, second_expression = plan
    rows = []
    for root in roots:
        # The second component is absent more often (value[x] has one type): look at it first.
        seconds_nodes = second_expression(root)
        if not seconds_nodes:
            continue
        firsts = token.extract(first_expression(root), context)
        seconds = _component_rows(second_kind, seconds_nodes, context)
        for first, second in product(firsts, seconds):
            rows.append({"system1": first["system"], "code1": first["code"], **second})
    return rows


def predicate(table: Table | Any, value: tuple[Any, ...]) -> ColumnElement[bool]:
    """Both components must match on the same row."""
    first, second = value
    conditions: list[ColumnElement[bool]] = []
    if isinstance(first, TokenValue):
        if first.code is not None:
            conditions.append(table.c.code1 == first.code)
        if first.system:
            conditions.append(table.c.system1 == first.system)
    if isinstance(second, TokenValue):
        if second.code is not None:
            conditions.append(table.c.code2 == second.code)
        if second.system:
            conditions.append(table.c.system2 == second.system)
    elif isinstance(second, QuantityValue):
        conditions.append(point_predicate(table.c.low2, second.prefix, second.value, second.low, second.high))
        if second.code is not None:
            conditions.append(table.c.code2 == second.code)
    elif isinstance(second, DateValue):
        conditions.append(date.range_predicate(table.c.date_low2, table.c.date_high2, second))
    elif isinstance(second, StringValue):
        conditions.append(and_(table.c.text2 >= second.folded, table.c.text2 < prefix_upper_bound(second.folded)))
    return and_(*conditions)

"""Composite parameters: a token first component and a token, quantity, date or string second one.

Both components come from the same root element (the Observation, or one Observation.component),
so ``component-code-value-quantity=8480-6$gt140`` means a systolic component above 140.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Table, and_

from fhir_server.search.expressions import Extractor, Node, compile_expression
from fhir_server.search.registry import Registry, SearchParam
from fhir_server.search.values import prefix_upper_bound
from fhir_server.search.values_parse import DateValue, QuantityValue, StringValue, TokenValue
from fhir_server.storage.params import date, quantity, string, token
from fhir_server.storage.params.common import ExtractContext, Row, Shared, point_predicate, shared_rows


def _component_rows(kind: str, nodes: list[Node], context: ExtractContext, shared: Shared | None) -> list[Row]:
    if kind == "token":
        return [{"system2": r["system"], "code2": r["code"]} for r in token.extract(nodes, context, shared)]
    if kind == "quantity":
        return [
            {"low2": r["value"], "high2": r["value"], "system2": r["system"], "code2": r["code"]}
            for r in quantity.extract(nodes, context, shared)
        ]
    if kind == "date":
        return [{"date_low2": r["low"], "date_high2": r["high"]} for r in date.extract(nodes, context)]
    if kind == "string":
        return [{"text2": r["value"]} for r in string.extract(nodes, context)]
    return []


# (kind of the second component, first component's expression, second component's expression)
Plan = tuple[str, Extractor, Extractor]


@cache
def component_plan(param: SearchParam, registry: Registry) -> Plan | None:
    """How to extract the parameter; None when it has no token first component (nothing is indexed)."""
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


def _component(
    shared: Shared | None, root: Node, kind: str, expression: Extractor, context: ExtractContext
) -> list[Row]:
    # The rows of a component are only read (pairs are new dicts), so shared ones need no copy.
    if shared is None or not isinstance(root[0], dict):
        return _rows_of(kind, expression(root), context, shared)
    # One walk memo per root: the components of several composites start with the same step (value).
    return shared_rows(
        shared, root[0], root[1], (kind, expression), lambda: _rows_of(kind, expression(root), context, shared)
    )


def _rows_of(kind: str, nodes: list[Node], context: ExtractContext, shared: Shared | None) -> list[Row]:
    if kind == "first":
        return token.extract(nodes, context, shared)
    return _component_rows(kind, nodes, context, shared) if nodes else []


def extract(
    param: SearchParam, roots: list[Node], registry: Registry, context: ExtractContext, shared: Shared | None = None
) -> list[Row]:
    """One row per (first, second) component pair found under the same root."""
    plan = component_plan(param, registry)
    return [] if plan is None else extract_planned(plan, roots, context, shared)


def extract_planned(plan: Plan, roots: list[Node], context: ExtractContext, shared: Shared | None = None) -> list[Row]:
    """``extract`` with the parameter's plan already looked up."""
    second_kind, first_expression, second_expression = plan
    rows = []
    for root in roots:
        # The second component is absent more often (value[x] has one type): look at it first.
        seconds = _component(shared, root, second_kind, second_expression, context)
        if not seconds:
            continue
        for first in _component(shared, root, "first", first_expression, context):
            system1, code1 = first["system"], first["code"]
            for second in seconds:
                rows.append({"system1": system1, "code1": code1, **second})
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

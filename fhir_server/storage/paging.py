"""Ordering and keyset cursors: pages that stay stable while resources are inserted between them.

Every sort key becomes an SQL expression that is never NULL (missing values sort last) and the
resource's primary key breaks ties, so a cursor of the last row's key values is exact.
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select

from fhir_server.errors import Invalid
from fhir_server.search.query import SearchQuery, SortKey
from fhir_server.storage.audit_rows import index_source
from fhir_server.storage.params.date import MAX_US, MIN_US
from fhir_server.storage.schema import resource
from fhir_server.storage.sql_search import CURRENT_COLUMNS, candidate_pks, filtered, param_rows

_TEXT_LAST, _TEXT_FIRST = "\U0010ffff", ""
_NUMBER_LAST, _NUMBER_FIRST = Decimal("1e30"), Decimal("-1e30")
_SORT_COLUMN = {
    "string": "value",
    "token": "code",
    "uri": "value",
    "reference": "target_id",
    "number": "value",
    "quantity": "value",
}


def _kind(key: SortKey) -> str:
    if key.name == "_id":
        return "text"
    if key.name == "_lastUpdated":
        return "int"
    assert key.param is not None
    return {"date": "int", "number": "number", "quantity": "number"}.get(key.param.type, "text")


def sort_expression(key: SortKey, type_name: str | None) -> ColumnElement[Any]:
    """The SQL value a row sorts by for this key (min for ascending, max for descending)."""
    if key.name == "_id":
        return resource.c.res_id
    if key.name == "_lastUpdated":
        return resource.c.last_updated
    assert key.param is not None
    kind = key.param.type
    table = index_source(kind, type_name)
    # Dates sort by the start of their range ascending, by its end descending.
    date_end = "high" if key.descending else "low"
    column = table.c[date_end if kind == "date" else _SORT_COLUMN[kind]]
    aggregate = func.max(column) if key.descending else func.min(column)
    conditions = [table.c.resource_pk == resource.c.pk, param_rows(table, key.param)]
    if type_name is not None:
        conditions.append(table.c.res_type == type_name)
    value = select(aggregate).where(*conditions).scalar_subquery()
    return func.coalesce(value, literal(missing_value(key)))


def missing_value(key: SortKey) -> Any:
    """What a row without a value for this parameter sorts as: last, in either direction."""
    assert key.param is not None
    if key.param.type == "date":
        return MIN_US if key.descending else MAX_US
    if _kind(key) == "number":
        return _NUMBER_FIRST if key.descending else _NUMBER_LAST
    return _TEXT_FIRST if key.descending else _TEXT_LAST


def _signature(query: SearchQuery) -> str:
    return ",".join(("-" if k.descending else "") + k.name for k in query.sort)


def encode_cursor(query: SearchQuery, values: list[Any], pk: int) -> str:
    """An opaque token for the page after the row with these sort values and primary key."""
    payload = {
        "s": _signature(query),
        "v": [str(v) if isinstance(v, Decimal) else v for v in values],
        "k": pk,
    }
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(query: SearchQuery, token: str) -> tuple[list[Any], int]:
    """The sort values and primary key a cursor holds (400 when it is not one of this search's)."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        values, pk = payload["v"], int(payload["k"])
        if payload["s"] != _signature(query) or len(values) != len(query.sort):
            raise ValueError("cursor of another search")
        typed = [
            Decimal(v) if _kind(k) == "number" else int(v) if _kind(k) == "int" else str(v)
            for k, v in zip(query.sort, values, strict=True)
        ]
    except (ValueError, KeyError, TypeError, ArithmeticError):
        raise Invalid("bad-parameter", code="value", name="_cursor", value=token[:40]) from None
    return typed, pk


def _after(expressions: list[tuple[ColumnElement[Any], bool]], values: list[Any], pk: int) -> ColumnElement[bool]:
    alternatives = []
    for index, (expression, descending) in enumerate(expressions):
        equal = [e == v for (e, _), v in zip(expressions[:index], values[:index], strict=True)]
        beyond = expression < values[index] if descending else expression > values[index]
        alternatives.append(and_(*equal, beyond))
    alternatives.append(and_(*[e == v for (e, _), v in zip(expressions, values, strict=True)], resource.c.pk > pk))
    return or_(*alternatives)


def _page_from_indexes(query: SearchQuery, candidates: list[Select[Any]]) -> Select[Any]:
    """Default order, every clause in the index tables: pick the page's keys there, then read those rows."""
    first, *rest = candidates
    driver = first.subquery()
    keys = select(driver.c.resource_pk).where(*[driver.c.resource_pk.in_(other) for other in rest]).distinct()
    if query.cursor:
        _, pk = decode_cursor(query, query.cursor)
        keys = keys.where(driver.c.resource_pk > pk)
    keys = keys.order_by(driver.c.resource_pk).limit(query.count + 1)
    return select(*CURRENT_COLUMNS).where(resource.c.pk.in_(keys)).order_by(resource.c.pk)


def build_page(query: SearchQuery) -> tuple[Select[Any], int]:
    """The select for one page (count + 1 rows) and how many sort columns follow the resource ones."""
    candidates = candidate_pks(query) if not query.sort else None
    if candidates is not None:
        return _page_from_indexes(query, candidates), 0
    expressions = [(sort_expression(key, query.type), key.descending) for key in query.sort]
    labelled = [expression.label(f"sort_{i}") for i, (expression, _) in enumerate(expressions)]
    stmt = filtered(query, (*CURRENT_COLUMNS, *labelled))
    if query.cursor:
        values, pk = decode_cursor(query, query.cursor)
        stmt = stmt.where(_after(expressions, values, pk))
    order = [e.desc() if descending else e.asc() for e, descending in expressions]
    return stmt.order_by(*order, resource.c.pk.asc()).limit(query.count + 1), len(labelled)

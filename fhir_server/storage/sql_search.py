"""SearchQuery -> SQL over the current-version table and the index tables; bound parameters only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, or_, select

from fhir_server.search.query import Clause, DateValue, SearchQuery
from fhir_server.storage.params.date import instant_predicate
from fhir_server.storage.schema import resource

CURRENT_COLUMNS = (
    resource.c.pk,
    resource.c.res_type,
    resource.c.res_id,
    resource.c.version,
    resource.c.last_updated,
    resource.c.deleted,
    resource.c.content,
)


def _clause_predicate(clause: Clause) -> ColumnElement[bool]:
    if clause.name == "_id":
        ids = [str(v) for v in clause.values if v]
        return resource.c.res_id.in_(ids) if ids else false()
    if clause.name == "_lastUpdated":
        dates = [v for v in clause.values if isinstance(v, DateValue)]
        return or_(*(instant_predicate(resource.c.last_updated, d) for d in dates))
    raise ValueError(f"no predicate for {clause.name}")


def _filtered(query: SearchQuery, columns: Any) -> Select[Any]:
    stmt = select(*columns).where(resource.c.deleted.is_(False))
    if query.type is not None:
        stmt = stmt.where(resource.c.res_type == query.type)
    for clause in query.clauses:
        stmt = stmt.where(_clause_predicate(clause))
    return stmt


def build_page(query: SearchQuery) -> Select[Any]:
    """The page select: count + 1 rows from offset, in the requested order (pk breaks ties)."""
    stmt = _filtered(query, CURRENT_COLUMNS)
    order: list[Any] = []
    for key in query.sort:
        column = resource.c.last_updated if key.name == "_lastUpdated" else resource.c.res_id
        order.append(column.desc() if key.descending else column.asc())
    order.append(resource.c.pk.asc())
    return stmt.order_by(*order).limit(query.count + 1).offset(query.offset)


def build_count(query: SearchQuery) -> Select[Any]:
    """The total number of matches."""
    return _filtered(query, (func.count(),))

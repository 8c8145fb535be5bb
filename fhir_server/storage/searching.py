"""Run a SearchQuery on a connection: page, cursor, total and includes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from fhir_server.search.query import SearchQuery
from fhir_server.storage.includes import included
from fhir_server.storage.paging import build_page, encode_cursor
from fhir_server.storage.records import Page, Stored
from fhir_server.storage.schema import resource
from fhir_server.storage.search_plan import count_plan, page_plan
from fhir_server.storage.sql_search import build_count, filtered
from fhir_server.storage.statement_cache import execute


def _stored(row: Any) -> Stored:
    return Stored(row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6])


def _count(connection: Connection, query: SearchQuery) -> int:
    ((count,),) = execute(connection, count_plan(query), lambda: build_count(query))
    return int(count)


def _estimate(connection: Connection, query: SearchQuery) -> int | None:
    if connection.dialect.name != "postgresql":
        return _count(connection, query)
    compiled = filtered(query, (resource.c.pk,)).compile(connection)
    plan = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params).scalar_one()
    return int(plan[0]["Plan"]["Plan Rows"])


def run_search(connection: Connection, query: SearchQuery) -> Page:
    """One page of current resources matching the query, with the cursor of the next page."""
    sort_columns = len(query.sort)  # the sort values follow the resource columns
    raw = execute(connection, page_plan(query, connection.dialect.name), lambda: build_page(query)[0])
    rows = [_stored(r) for r in raw[: query.count]]
    next_cursor = None
    if len(raw) > query.count and rows:
        last = raw[query.count - 1]
        next_cursor = encode_cursor(query, list(last[len(last) - sort_columns :]) if sort_columns else [], last[0])
    total = None
    if query.total == "accurate":
        total = _count(connection, query)
    elif next_cursor is None and not query.cursor:
        total = len(rows)
    elif query.total == "estimate":
        total = _estimate(connection, query)
    extra = included(connection, rows, query.includes) if query.includes and rows else []
    return Page(rows, next_cursor, total, extra)

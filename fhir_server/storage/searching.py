"""Run a SearchQuery on a connection: page, cursor, total and includes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from fhir_server.search.query import SearchQuery
from fhir_server.storage.includes import included
from fhir_server.storage.paging import build_page, encode_cursor
from fhir_server.storage.records import Page, Stored
from fhir_server.storage.schema import resource
from fhir_server.storage.sql_search import build_count, filtered


def _stored(row: Any) -> Stored:
    return Stored(row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6])


def _estimate(connection: Connection, query: SearchQuery) -> int | None:
    if connection.dialect.name != "postgresql":
        return int(connection.execute(build_count(query)).scalar_one())
    compiled = filtered(query, (resource.c.pk,)).compile(connection)
    plan = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params).scalar_one()
    return int(plan[0]["Plan"]["Plan Rows"])


def run_search(connection: Connection, query: SearchQuery) -> Page:
    """One page of current resources matching the query, with the cursor of the next page."""
    stmt, sort_columns = build_page(query)
    raw = list(connection.execute(stmt))
    rows = [_stored(r) for r in raw[: query.count]]
    next_cursor = None
    if len(raw) > query.count and rows:
        last = raw[query.count - 1]
        next_cursor = encode_cursor(query, list(last[len(last) - sort_columns :]) if sort_columns else [], last[0])
    total = None
    if query.total == "accurate":
        total = int(connection.execute(build_count(query)).scalar_one())
    elif next_cursor is None and not query.cursor:
        total = len(rows)
    elif query.total == "estimate":
        total = _estimate(connection, query)
    extra = included(connection, rows, query.includes) if query.includes and rows else []
    return Page(rows, next_cursor, total, extra)

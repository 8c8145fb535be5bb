"""The write path's fixed statements run on the PostgreSQL driver connection itself.

SQLAlchemy's ``Connection.execute`` spends about 100 µs of Python on every statement (measured on a
2-core machine: a locked read by key took 186-216 µs of client CPU through it and 77-110 µs on the
driver), more than PostgreSQL takes to run the small statements of a write. The statements stay
SQLAlchemy constructs, one definition for both databases: on PostgreSQL each is compiled once and its
SQL runs on the transaction's own driver connection; SQLite runs them through SQLAlchemy as before.
Driver errors arrive as SQLAlchemy's (``driver_errors``), so a write's retry on a duplicate key or a
serialisation failure, and the 503 on a lost connection, apply as they did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Executable, Insert, Table, Update, insert
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg
from sqlalchemy.sql import ClauseElement

from fhir_server.storage import lean
from fhir_server.storage.bulk import driver_errors

_DIALECT = postgresql_psycopg.dialect()  # type: ignore[no-untyped-call]
Params = Mapping[str, Any]
_MOST_ROWS = 500  # rows per INSERT: a bundle's outbox records can be many, each a few kB


@lru_cache(maxsize=1024)  # bounded: an appointment's claim lookup is built per number of claims
def postgres_sql(statement: ClauseElement, column_keys: tuple[str, ...] | None = None) -> str:
    """The statement's PostgreSQL SQL with ``%(name)s`` placeholders (``column_keys``: the columns an INSERT or
    UPDATE sets). Kept per statement object: statements are built once (module constants, cached builders)."""
    compiled: Any = statement.compile(dialect=_DIALECT, column_keys=list(column_keys) if column_keys else None)
    carried = [name for name, bind in compiled.binds.items() if not bind.required or bind.callable is not None]
    if carried:  # values built into the statement (``limit(1)``) would not reach the driver
        raise ValueError(f"statement carries values of its own: {carried}")
    return str(compiled)


def _sql(statement: Executable, params: Params) -> str:
    keys = tuple(params) if isinstance(statement, Insert | Update) else None  # the columns it sets
    return postgres_sql(statement, keys)


def fetch(connection: Connection, statement: Executable, params: Params) -> list[tuple[Any, ...]]:
    """The statement's rows as tuples, in its column order."""
    if connection.dialect.name != "postgresql":
        return [tuple(row) for row in connection.execute(statement, dict(params))]
    return fetch_sql(connection, _sql(statement, params), params)


def fetch_sql(connection: Connection, sql: str, params: Params | Sequence[Any]) -> list[tuple[Any, ...]]:
    """The rows of PostgreSQL SQL run on the connection's driver."""
    pooled = connection.connection
    dbapi: Any = pooled.driver_connection
    with driver_errors(connection, sql):
        found = lean.rows(dbapi, pooled.info, sql, params)
        if found is not None:
            return found
        cursor = dbapi.execute(sql, params)
        try:
            return cursor.fetchall() if cursor.description is not None else []
        finally:
            cursor.close()


def insert_values(
    connection: Connection, table: Table, columns: tuple[str, ...], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert a few rows (values in ``columns`` order) with one multi-row INSERT.

    On PostgreSQL a VALUES list with a parameter per value: the outbox records of a write took 80-88 µs
    of client CPU this way against 228-268 µs as column arrays through ``unnest`` (psycopg dumps arrays
    element by element) and more as an executemany (a pipelined statement per row)."""
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    for start in range(0, len(rows), _MOST_ROWS):
        part = rows[start : start + _MOST_ROWS]
        run_sql(connection, _values_sql(table.name, columns, len(part)), [value for row in part for value in row])


@lru_cache(maxsize=256)
def _values_sql(table: str, columns: tuple[str, ...], count: int) -> str:
    row = f"({', '.join(['%s'] * len(columns))})"
    # Identifiers come from the schema, never from input.
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row] * count)}"  # noqa: S608


def run(connection: Connection, statement: Executable, params: Params) -> None:
    """Run a statement whose rows, if any, are not needed."""
    if connection.dialect.name != "postgresql":
        connection.execute(statement, dict(params))
        return
    run_sql(connection, _sql(statement, params), params)


def run_sql(connection: Connection, sql: str, params: Params | Sequence[Any]) -> None:
    """Run PostgreSQL SQL on the connection's driver, its errors arriving as SQLAlchemy's."""
    fetch_sql(connection, sql, params)

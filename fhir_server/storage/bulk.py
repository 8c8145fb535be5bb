"""Many rows into one table: COPY on PostgreSQL (one stream), executemany elsewhere."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

import psycopg
from sqlalchemy import Connection, Table, insert
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError


def bulk_insert(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert the rows (dicts keyed by column name) inside the connection's transaction."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    columns = [c.name for c in table.columns if c.name in rows[0]]
    copy_rows(connection, table, columns, ([row.get(c) for c in columns] for row in rows))


def copy_rows(
    connection: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, binary: bool = False
) -> None:
    """COPY value rows (in ``columns`` order) into the table (PostgreSQL only).

    ``binary`` sends values in PostgreSQL's binary format, typed from the table's columns: for the
    tables holding resource bytes, which the text format would send as hex, twice their size.
    """
    driver: Any = connection.connection.driver_connection
    # Identifiers come from the schema, never from input.
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN" + (" (FORMAT BINARY)" if binary else "")
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        if binary:
            copy.set_types(postgres_types(table, tuple(columns)))
        for row in rows:
            copy.write_row(row)


@cache
def postgres_types(table: Table, columns: tuple[str, ...]) -> list[str]:
    """PostgreSQL type names of the columns (``VARCHAR(64)`` -> ``varchar``), as binary COPY needs them."""
    dialect: Any = postgresql.dialect()  # type: ignore[no-untyped-call]
    return [table.c[name].type.compile(dialect=dialect).split("(")[0].lower() for name in columns]


def copy_rows_checked(
    connection: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, binary: bool = False
) -> None:
    """``copy_rows`` whose database errors arrive as SQLAlchemy's (IntegrityError on a duplicate key),
    as an INSERT's would, so the transaction's retry on a concurrent duplicate still applies."""
    try:
        copy_rows(connection, table, columns, rows, binary=binary)
    except psycopg.Error as exc:
        raise DBAPIError.instance(f"COPY {table.name}", None, exc, psycopg.Error, dialect=connection.dialect) from exc


def execute_checked(connection: Connection, statement: str, params: dict[str, Any]) -> None:
    """One statement on the driver (PostgreSQL only), its errors arriving as SQLAlchemy's, as for
    ``copy_rows_checked``: the write's retry and the 503 on a lost connection still apply."""
    driver: Any = connection.connection.driver_connection
    try:
        driver.execute(statement, params).close()
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, None, exc, psycopg.Error, dialect=connection.dialect) from exc

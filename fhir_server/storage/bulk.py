"""Many rows into one table: COPY on PostgreSQL (one stream), executemany elsewhere."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
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
    """PostgreSQL type names of the columns (``VARCHAR(64) COLLATE "C"`` -> ``varchar``), as binary COPY
    and array casts need them."""
    dialect: Any = postgresql.dialect()  # type: ignore[no-untyped-call]
    compiled = (table.c[name].type.compile(dialect=dialect) for name in columns)
    return [text.split(" COLLATE ")[0].split("(")[0].lower() for text in compiled]


@contextmanager
def driver_errors(connection: Connection, statement: str) -> Iterator[None]:
    """Errors of work done on the driver itself arrive as SQLAlchemy's, as an ``execute``'s would: the
    write's retry (on a duplicate key or a serialisation failure) and the 503 on a lost connection apply."""
    try:
        yield
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, None, exc, psycopg.Error, dialect=connection.dialect) from exc


def copy_rows_checked(
    connection: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, binary: bool = False
) -> None:
    """``copy_rows`` whose database errors arrive as SQLAlchemy's (``driver_errors``)."""
    with driver_errors(connection, f"COPY {table.name}"):
        copy_rows(connection, table, columns, rows, binary=binary)

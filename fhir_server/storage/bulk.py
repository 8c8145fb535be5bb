"""Many rows into one table: COPY on PostgreSQL (one stream), executemany elsewhere."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from sqlalchemy import Connection, Table, insert
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


def copy_rows(connection: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY value rows (in ``columns`` order) into the table (PostgreSQL only)."""
    driver: Any = connection.connection.driver_connection
    # Identifiers come from the schema, never from input.
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def copy_rows_checked(
    connection: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """``copy_rows`` whose database errors arrive as SQLAlchemy's (IntegrityError on a duplicate key),
    as an INSERT's would, so the transaction's retry on a concurrent duplicate still applies."""
    try:
        copy_rows(connection, table, columns, rows)
    except psycopg.Error as exc:
        raise DBAPIError.instance(f"COPY {table.name}", None, exc, psycopg.Error, dialect=connection.dialect) from exc

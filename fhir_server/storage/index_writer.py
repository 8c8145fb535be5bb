"""Index rows in and out of the index tables, inside the writing transaction."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, delete, insert, literal_column, select

from fhir_server.storage.bulk import bulk_insert
from fhir_server.storage.indexing import IndexRows
from fhir_server.storage.schema import INDEX_TABLES

_DELETES = {kind: delete(table).where(table.c.resource_pk == bindparam("pk")) for kind, table in INDEX_TABLES.items()}
_INSERTS = {kind: insert(table) for kind, table in INDEX_TABLES.items()}


def _postgres_clear_all() -> object:
    """One statement that empties every index table for a resource (one round trip on PostgreSQL)."""
    ctes = [
        delete(table).where(table.c.resource_pk == bindparam("pk")).cte(f"clear_{kind}")
        for kind, table in INDEX_TABLES.items()
    ]
    return select(literal_column("1")).add_cte(*ctes)


_CLEAR_ALL_POSTGRES = _postgres_clear_all()


def clear(connection: Connection, pk: int) -> None:
    """Remove every index row of a resource."""
    if connection.dialect.name == "postgresql":
        connection.execute(_CLEAR_ALL_POSTGRES, {"pk": pk})  # type: ignore[call-overload]
        return
    for statement in _DELETES.values():
        connection.execute(statement, {"pk": pk})


def insert_rows(connection: Connection, pk: int, res_type: str, rows: IndexRows) -> None:
    """Write a resource's index rows, one multi-row INSERT per index table."""
    for kind, kind_rows in rows.items():
        connection.execute(_INSERTS[kind], [{**row, "resource_pk": pk, "res_type": res_type} for row in kind_rows])


def insert_many(connection: Connection, resources: list[tuple[int, str, IndexRows]]) -> None:
    """Write the index rows of many resources, one multi-row INSERT per index table."""
    by_kind: dict[str, list[dict[str, object]]] = {}
    for pk, res_type, rows in resources:
        for kind, kind_rows in rows.items():
            by_kind.setdefault(kind, []).extend({**row, "resource_pk": pk, "res_type": res_type} for row in kind_rows)
    for kind, kind_rows in by_kind.items():
        bulk_insert(connection, INDEX_TABLES[kind], kind_rows)

"""Index rows in and out of the index tables, inside the writing transaction."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, literal_column, select

from fhir_server.storage import audit_rows, driver
from fhir_server.storage.bulk import bulk_insert, copy_rows, postgres_types
from fhir_server.storage.indexing import IndexRows
from fhir_server.storage.params.common import Row
from fhir_server.storage.schema import INDEX_TABLES, audit_index

# The tables holding a resource's index rows: an AuditEvent's may also be in audit_index (ADR 0019).
# Other resources never have rows there, so their updates and deletes leave it alone.
_TABLES = {False: INDEX_TABLES, True: {**INDEX_TABLES, "audit": audit_index}}
_DELETES = {kind: delete(table).where(table.c.resource_pk == bindparam("pk")) for kind, table in _TABLES[True].items()}
_INSERTS = {kind: insert(table) for kind, table in INDEX_TABLES.items()}


def _postgres_clear_all(audited: bool) -> object:
    """One statement that empties every index table for a resource (one round trip on PostgreSQL)."""
    ctes = [
        delete(table).where(table.c.resource_pk == bindparam("pk")).cte(f"clear_{kind}")
        for kind, table in _TABLES[audited].items()
    ]
    return select(literal_column("1")).add_cte(*ctes)


_CLEAR_ALL_POSTGRES = {audited: _postgres_clear_all(audited) for audited in (False, True)}


def clear(connection: Connection, pk: int, res_type: str) -> None:
    """Remove every index row of a resource."""
    audited = res_type == audit_rows.AUDIT_TYPE
    if connection.dialect.name == "postgresql":
        driver.run(connection, _CLEAR_ALL_POSTGRES[audited], {"pk": pk})  # type: ignore[arg-type]
        return
    for kind in _TABLES[audited]:
        connection.execute(_DELETES[kind], {"pk": pk})


def insert_rows(connection: Connection, pk: int, res_type: str, rows: IndexRows) -> None:
    """Write a resource's index rows: one statement on PostgreSQL, one multi-row INSERT per table elsewhere."""
    if connection.dialect.name == "postgresql":
        kinds = tuple(kind for kind, kind_rows in rows.items() if kind_rows)
        if not kinds:
            return
        params: dict[str, object] = {"pk": pk, "res_type": res_type}
        shape = []
        for kind in kinds:
            kind_rows = rows[kind]
            if len(kind_rows) <= _FEW_ROWS:
                for position, row in enumerate(kind_rows):
                    for column in _VALUE_COLUMNS[kind]:
                        params[f"{kind}_{position}_{column}"] = row.get(column)
                shape.append((kind, len(kind_rows)))
                continue
            for column in _VALUE_COLUMNS[kind]:
                params[f"{kind}_{column}"] = [row.get(column) for row in kind_rows]
            shape.append((kind, 0))
        driver.run_sql(connection, _insert_statement(tuple(shape)), params)
        return
    for kind, kind_rows in rows.items():
        connection.execute(_INSERTS[kind], [{**row, "resource_pk": pk, "res_type": res_type} for row in kind_rows])


_VALUE_COLUMNS = {
    kind: tuple(c.name for c in table.columns if c.name not in ("resource_pk", "res_type"))
    for kind, table in INDEX_TABLES.items()
}


# A kind with this many rows or fewer goes in as VALUES, a parameter per value; more, as column arrays.
# psycopg dumps each array element by element in Python: a vital-signs Observation's rows (one or two
# per kind) took 367-493 µs of client CPU as arrays and 157-195 µs as VALUES; a Patient's six names
# and telecoms of one kind are cheaper as arrays (measured on one 2-core machine).
_FEW_ROWS = 3


@lru_cache(maxsize=512)
def _insert_statement(shape: tuple[tuple[str, int], ...]) -> str:
    """Every listed index table's rows in one statement (one call instead of an executemany per table):
    ``(kind, n)`` takes n rows of VALUES, ``(kind, 0)`` column arrays through ``unnest``."""
    inserts = []
    for kind, count in shape:
        table, columns = INDEX_TABLES[kind], _VALUE_COLUMNS[kind]
        types = postgres_types(table, columns)
        if count:
            rows = (
                "(%(pk)s, %(res_type)s, "
                + ", ".join(f"%({kind}_{n}_{c})s::{t}" for c, t in zip(columns, types, strict=True))
                + ")"
                for n in range(count)
            )
            source = f"VALUES {', '.join(rows)}"
        else:
            arrays = ", ".join(f"%({kind}_{c})s::{t}[]" for c, t in zip(columns, types, strict=True))
            source = f"SELECT %(pk)s, %(res_type)s, * FROM unnest({arrays})"  # noqa: S608 (placeholders only)
        # Identifiers come from the schema, never from input.
        inserts.append(f"{kind} AS (INSERT INTO {table.name} (resource_pk, res_type, {', '.join(columns)}) {source})")
    return f"WITH {', '.join(inserts)} SELECT 1"


def insert_many(
    connection: Connection, resources: list[tuple[int, str, IndexRows]], slotted: list[list[Any]] | None = None
) -> None:
    """Write the index rows of many resources, one multi-row INSERT (COPY on PostgreSQL) per index table.

    ``slotted``: ``audit_index`` rows already filled (``audit_extract``), written with the events that fit."""
    generic, compacted = audit_rows.split(resources)
    audit_rows.insert(connection, [*(slotted or ()), *compacted])
    # Grouped by resource, not by row: a tuple per row here was a tenth of the audit trail's time.
    by_kind: dict[str, list[tuple[int, str, list[Row]]]] = {}
    for pk, res_type, rows in generic:
        for kind, kind_rows in rows.items():
            if kind_rows:
                by_kind.setdefault(kind, []).append((pk, res_type, kind_rows))
    postgres = connection.dialect.name == "postgresql"
    for kind, groups in by_kind.items():
        table = INDEX_TABLES[kind]
        if not postgres:
            merged = [{**row, "resource_pk": pk, "res_type": t} for pk, t, rows in groups for row in rows]
            bulk_insert(connection, table, merged)
            continue
        # COPY value rows straight from the extracted rows (no merged dict per row); the columns are
        # those of the kind's first row, as ``bulk_insert`` takes them.
        first = groups[0][2][0]
        fields = [c.name for c in table.columns if c.name in first and c.name not in ("resource_pk", "res_type")]
        values = _getter(fields)
        copy_rows(
            connection,
            table,
            ["resource_pk", "res_type", *fields],
            ((pk, t, *values(row)) for pk, t, rows in groups for row in rows),
        )


def _getter(fields: list[str]) -> Callable[[Row], tuple[object, ...]]:
    """The row's values of these fields, None for a field it lacks (like ``dict.get``)."""
    fast = itemgetter(*fields)
    single = len(fields) == 1

    def values(row: Row) -> tuple[object, ...]:
        try:
            found = fast(row)
        except KeyError:
            return tuple(row.get(c) for c in fields)
        return (found,) if single else found

    return values

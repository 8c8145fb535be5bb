"""Index rows of AuditEvents stored in batches (the audit trail, the importers): one ``audit_index`` row each.

ADR 0019. An event's rows (from ``indexing.index_rows``, as for any resource) fill the slots of its row when
they fit: at most one action, outcome and type, two subtypes, three agents, three entities and one
date, with no other values. An event whose rows do not fit keeps them in the index tables. Searches
read both through ``index_source``: for AuditEvents, each index table united with the slots shown as
rows of that table, so every predicate, chain, include and sort works on them unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, Connection, cast, literal_column, null, or_, select, union_all
from sqlalchemy.sql import FromClause

from fhir_server.storage.bulk import bulk_insert, copy_rows
from fhir_server.storage.indexing import IndexRows
from fhir_server.storage.schema import AUDIT_SLOT_COLUMNS, AUDIT_SLOTS, INDEX_TABLES, audit_index

AUDIT_TYPE = "AuditEvent"
COLUMNS = tuple(column.name for column in audit_index.columns)
_POSITION = {name: position for position, name in enumerate(COLUMNS)}
# Per (kind, param): where each of its slots starts in the row (a slot's columns are consecutive).
_STARTS = {
    (kind, param): tuple(_POSITION[f"{param}_{n}_{AUDIT_SLOT_COLUMNS[kind][0]}"] for n in range(1, slots + 1))
    for kind, param, slots in AUDIT_SLOTS
}


def slot_starts(kind: str, param: str) -> tuple[int, ...]:
    """Where each slot of a parameter starts in an ``audit_index`` row."""
    return _STARTS[(kind, param)]


_VALUES = {kind: itemgetter(*columns) for kind, columns in AUDIT_SLOT_COLUMNS.items()}
# Values a row may carry only when empty (no slot holds them).
_UNSLOTTED = {
    kind: tuple(
        c.name for c in INDEX_TABLES[kind].columns if c.name not in ("resource_pk", "res_type", "param", *columns)
    )
    for kind, columns in AUDIT_SLOT_COLUMNS.items()
}


def compact(pk: int, rows: IndexRows) -> list[Any] | None:
    """The event's ``audit_index`` row (values in column order), or None when its rows do not fit."""
    values: list[Any] = [None] * len(COLUMNS)
    values[0] = pk
    for kind, kind_rows in rows.items():
        if not kind_rows:
            continue
        columns = AUDIT_SLOT_COLUMNS.get(kind)
        if columns is None:
            return None
        width, of_row, unslotted = len(columns), _VALUES[kind], _UNSLOTTED[kind]
        used: dict[str, int] = {}
        for row in kind_rows:
            param = row["param"]
            starts = _STARTS.get((kind, param), ())
            n = used.get(param, 0)
            if n >= len(starts):
                return None
            for name in unslotted:
                if row.get(name) is not None:
                    return None
            used[param] = n + 1
            start = starts[n]
            try:
                values[start : start + width] = of_row(row)
            except KeyError:  # extractors may leave out an empty value
                values[start : start + width] = [row.get(name) for name in columns]
    return values


def split(resources: Sequence[tuple[int, str, IndexRows]]) -> tuple[list[tuple[int, str, IndexRows]], list[list[Any]]]:
    """(resources whose rows go to the index tables, ``audit_index`` rows of the AuditEvents that fit)."""
    generic, compacted = [], []
    for pk, res_type, rows in resources:
        row = compact(pk, rows) if res_type == AUDIT_TYPE else None
        if row is None:
            generic.append((pk, res_type, rows))
        else:
            compacted.append(row)
    return generic, compacted


def insert(connection: Connection, rows: list[list[Any]]) -> None:
    """Write ``audit_index`` rows (COPY on PostgreSQL)."""
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        copy_rows(connection, audit_index, COLUMNS, rows)
    else:
        bulk_insert(connection, audit_index, [dict(zip(COLUMNS, row, strict=True)) for row in rows])


def index_source(kind: str, *types: str | None) -> FromClause:
    """What a search reads as the ``kind`` index table for rows of ``types``: the table, united with the
    AuditEvents' slots when AuditEvent is one of them. (Searches across all types (None) use only the
    parameters every type has, which no slot holds.)"""
    table = INDEX_TABLES[kind]
    if kind not in AUDIT_SLOT_COLUMNS or AUDIT_TYPE not in types:
        return table
    return _united(kind).alias()


@cache
def _united(kind: str) -> FromClause:
    table = INDEX_TABLES[kind]
    return union_all(select(*table.columns), *_slot_selects(kind)).subquery(f"{table.name}_with_audit")


def _slot_selects(kind: str) -> list[Any]:
    table = INDEX_TABLES[kind]
    names = AUDIT_SLOT_COLUMNS[kind]
    selects = []
    for slot_kind, param, slots in AUDIT_SLOTS:
        if slot_kind != kind:
            continue
        for n in range(1, slots + 1):
            slot = {name: audit_index.c[f"{param}_{n}_{name}"] for name in names}
            # Constants written into the SQL: a condition on them then rules out whole branches.
            # Each column typed as the table's: PostgreSQL flattens a union into the query only then.
            columns = [
                audit_index.c.resource_pk.label("resource_pk"),
                cast(literal_column(f"'{AUDIT_TYPE}'"), table.c.res_type.type).label("res_type"),
                cast(literal_column(f"'{param}'"), table.c.param.type).label("param"),
                *(
                    slot[c.name].label(c.name) if c.name in slot else cast(null(), c.type).label(c.name)
                    for c in table.columns
                    if c.name not in ("resource_pk", "res_type", "param")
                ),
            ]
            # No WHERE: PostgreSQL pulls only condition-free branches up into the query (each then planned
            # with the table's statistics and indexes). A slot left empty reads as a row of NULLs, which
            # only a search for presence could see: ``present`` excludes it there.
            selects.append(select(*columns))
    return selects


def present(kind: str, source: FromClause) -> ColumnElement[bool] | None:
    """The condition that keeps a united source's rows to filled slots (None for a plain table)."""
    if source is INDEX_TABLES[kind]:
        return None
    return or_(*(source.c[name].is_not(None) for name in AUDIT_SLOT_COLUMNS[kind]))

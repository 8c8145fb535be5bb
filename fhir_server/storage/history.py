"""History queries: versions newest first, filtered by type, id, _since and _at, paged by sequence.

A resource's versions are the rows ``resource_version`` holds for it plus, on PostgreSQL, its current
row, which is not copied there (ADR 0016): ``resource.seq`` is its place in the same sequence. A
current row without ``seq`` (SQLite, or written by an earlier release) has its copy in
``resource_version``. System history leaves the append-only types out.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from itertools import islice
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, Select, and_, exists, func, select, text
from sqlalchemy.orm import aliased

from fhir_server.storage.records import APPEND_ONLY_TYPES, Stored
from fhir_server.storage.schema import resource, resource_version
from fhir_server.storage.sql_search import CURRENT_COLUMNS

VERSION_COLUMNS = (
    resource_version.c.seq,
    resource_version.c.resource_pk,
    resource_version.c.res_type,
    resource_version.c.res_id,
    resource_version.c.version,
    resource_version.c.last_updated,
    resource_version.c.deleted,
    resource_version.c.content,
    resource_version.c.method,
)
# A current row as a version: its place in history first, how it was written last.
CURRENT_AS_VERSION = (resource.c.seq, resource.c.pk.label("resource_pk"), *CURRENT_COLUMNS[1:], resource.c.method)


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    type: str | None = None
    id: str | None = None
    since: int | None = None
    at: tuple[int, int] | None = None
    count: int = 20
    before_seq: int | None = None


@dataclass(frozen=True, slots=True)
class HistoryPage:
    rows: list[Stored]
    next_seq: int | None
    total: int | None


_HAS_SEQ: WeakKeyDictionary[Engine, bool] = WeakKeyDictionary()
_SEQ_COLUMN = text(
    "SELECT count(*) FROM information_schema.columns"
    " WHERE table_schema = current_schema() AND table_name = 'resource' AND column_name = 'seq'"
)


def current_not_copied(connection: Connection) -> bool:
    """True when writes keep the current version out of resource_version: PostgreSQL, migrated to 0015.

    Probed once per engine. Before that revision (a server started ahead of ``migrate``, or while it
    runs) writes copy every version, which every later release reads alike."""
    engine = connection.engine
    found = _HAS_SEQ.get(engine)
    if found is None:
        found = connection.dialect.name == "postgresql" and bool(connection.execute(_SEQ_COLUMN).scalar())
        _HAS_SEQ[engine] = found
    return found


def version_to_stored(row: Any) -> Stored:
    return Stored(
        row.resource_pk, row.res_type, row.res_id, row.version, row.last_updated, row.deleted, row.content, row.method
    )


def _filters(table: Any, query: HistoryQuery) -> list[Any]:
    conditions: list[Any] = []
    if query.type is not None:
        conditions.append(table.c.res_type == query.type)
    else:
        conditions.append(table.c.res_type.not_in(sorted(APPEND_ONLY_TYPES)))
    if query.id is not None:
        conditions.append(table.c.res_id == query.id)
    if query.since is not None:
        conditions.append(table.c.last_updated >= query.since)
    return conditions


def _replaced(query: HistoryQuery) -> list[Any]:
    """Conditions on resource_version rows: the versions a resource had (and, for old rows, has)."""
    version = resource_version
    conditions = _filters(version, query)
    if query.at is not None:
        at_low, at_high = query.at
        later = aliased(resource_version)
        conditions.append(version.c.last_updated < at_high)
        # Current at _at: no later version had replaced it by then, copied or current.
        conditions.append(
            ~exists().where(
                later.c.resource_pk == version.c.resource_pk,
                later.c.version > version.c.version,
                later.c.last_updated <= at_low,
            )
        )
        conditions.append(
            ~exists().where(
                resource.c.pk == version.c.resource_pk,
                resource.c.version > version.c.version,
                resource.c.last_updated <= at_low,
            )
        )
    return conditions


def _current(query: HistoryQuery) -> list[Any]:
    """Conditions on resource rows: current versions without a copy (nothing later replaced them)."""
    conditions = [resource.c.seq.is_not(None), *_filters(resource, query)]
    if query.at is not None:
        conditions.append(resource.c.last_updated < query.at[1])
    return conditions


def _statements(query: HistoryQuery, paged: bool) -> tuple[Select[Any], Select[Any]]:
    """The copied versions and the current ones, each filtered (and paged) alike."""
    replaced, current = _replaced(query), _current(query)
    if paged and query.before_seq is not None:
        replaced.append(resource_version.c.seq < query.before_seq)
        current.append(resource.c.seq < query.before_seq)
    return (
        select(*VERSION_COLUMNS).where(and_(True, *replaced)),
        select(*CURRENT_AS_VERSION).where(and_(True, *current)),
    )


def page_statements(query: HistoryQuery) -> tuple[Select[Any], Select[Any]]:
    """Each table's newest versions, one page's worth plus one. Two statements, merged in Python:
    PostgreSQL does not read a UNION ALL of the two in ``seq`` order from their indexes (it sorted
    every version, 15 ms for 43,000), while each alone is a backward index scan that stops early."""
    replaced, current = _statements(query, paged=True)
    limit = query.count + 1
    return (
        replaced.order_by(resource_version.c.seq.desc()).limit(limit),
        current.order_by(resource.c.seq.desc()).limit(limit),
    )


def history_page(connection: Connection, query: HistoryQuery) -> HistoryPage:
    """One page of versions, newest first; the total only for one resource's history."""
    replaced, current = page_statements(query)
    pages = list(connection.execute(replaced)), list(connection.execute(current))
    merged = heapq.merge(*pages, key=_seq, reverse=True)
    rows = list(islice(merged, query.count + 1))
    total = None
    if query.id is not None:
        total = sum(
            int(connection.execute(select(func.count()).select_from(part.subquery())).scalar_one())
            for part in _statements(query, paged=False)
        )
    more = len(rows) > query.count
    rows = rows[: query.count]
    next_seq = rows[-1].seq if more and rows else None
    return HistoryPage([version_to_stored(r) for r in rows], next_seq, total)


def _seq(row: Any) -> int:
    return int(row.seq)

"""History queries: versions newest first, filtered by type, id, _since and _at, paged by a sequence.

Versions live in ``resource_version``, except those of the append-only types (``UNVERSIONED_TYPES``):
each of their resources has one version, its current row, so their history reads ``resource`` and
pages by its key. System history leaves them out (ADR 0016).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, and_, exists, func, literal, select
from sqlalchemy.orm import aliased

from fhir_server.storage.records import UNVERSIONED_TYPES, Stored
from fhir_server.storage.schema import resource, resource_version

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
# An append-only resource's one version is its current row, created by a POST; its key orders it.
_CURRENT_AS_VERSION = (
    resource.c.pk.label("seq"),
    resource.c.pk.label("resource_pk"),
    resource.c.res_type,
    resource.c.res_id,
    resource.c.version,
    resource.c.last_updated,
    resource.c.deleted,
    resource.c.content,
    literal("POST").label("method"),
)


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


def version_to_stored(row: Any) -> Stored:
    return Stored(
        row.resource_pk, row.res_type, row.res_id, row.version, row.last_updated, row.deleted, row.content, row.method
    )


def _versioned(query: HistoryQuery) -> tuple[Select[Any], Select[Any]]:
    version = resource_version
    conditions: list[Any] = []
    if query.type is not None:
        conditions.append(version.c.res_type == query.type)
    else:
        conditions.append(version.c.res_type.not_in(sorted(UNVERSIONED_TYPES)))
    if query.id is not None:
        conditions.append(version.c.res_id == query.id)
    if query.since is not None:
        conditions.append(version.c.last_updated >= query.since)
    if query.at is not None:
        at_low, at_high = query.at
        later = aliased(resource_version)
        conditions.append(version.c.last_updated < at_high)
        conditions.append(
            ~exists().where(
                later.c.resource_pk == version.c.resource_pk,
                later.c.version > version.c.version,
                later.c.last_updated <= at_low,
            )
        )
    count = select(func.count()).select_from(version).where(and_(True, *conditions))
    if query.before_seq is not None:
        conditions.append(version.c.seq < query.before_seq)
    rows = select(*VERSION_COLUMNS).where(and_(True, *conditions)).order_by(version.c.seq.desc())
    return rows, count


def _unversioned(query: HistoryQuery) -> tuple[Select[Any], Select[Any]]:
    # One version per resource, current since its creation: it existed at _at when created before it.
    conditions: list[Any] = [resource.c.res_type == query.type]
    if query.id is not None:
        conditions.append(resource.c.res_id == query.id)
    if query.since is not None:
        conditions.append(resource.c.last_updated >= query.since)
    if query.at is not None:
        conditions.append(resource.c.last_updated < query.at[1])
    count = select(func.count()).select_from(resource).where(*conditions)
    if query.before_seq is not None:
        conditions.append(resource.c.pk < query.before_seq)
    rows = select(*_CURRENT_AS_VERSION).where(*conditions).order_by(resource.c.pk.desc())
    return rows, count


def history_page(connection: Connection, query: HistoryQuery) -> HistoryPage:
    """One page of versions, newest first; the total only for one resource's history."""
    unversioned = query.type in UNVERSIONED_TYPES
    rows_stmt, count_stmt = _unversioned(query) if unversioned else _versioned(query)
    rows = list(connection.execute(rows_stmt.limit(query.count + 1)))
    total = int(connection.execute(count_stmt).scalar_one()) if query.id is not None else None
    more = len(rows) > query.count
    rows = rows[: query.count]
    next_seq = rows[-1].seq if more and rows else None
    return HistoryPage([version_to_stored(r) for r in rows], next_seq, total)

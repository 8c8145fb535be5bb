"""_include and _revinclude (with :iterate) as follow-up selects through the reference index.

Deleted targets are never included; resources already in the result are not repeated.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, bindparam, select, tuple_
from sqlalchemy.sql import FromClause

from fhir_server.search.query import Include
from fhir_server.search.registry import r4_registry
from fhir_server.storage.audit_rows import AUDIT_TYPE, index_source
from fhir_server.storage.records import Stored
from fhir_server.storage.schema import resource
from fhir_server.storage.sql_search import CURRENT_COLUMNS, param_rows

MAX_ROUNDS = 4
MAX_INCLUDED = 1000


def _stored(row: Any) -> Stored:
    return Stored(row.pk, row.res_type, row.res_id, row.version, row.last_updated, row.deleted, row.content)


def _references(source_type: str) -> FromClause:
    # The wildcard's sources may be AuditEvents too.
    return index_source("reference", AUDIT_TYPE if source_type == "*" else source_type)


def _rows_of(refs: FromClause, source_type: str, code: str) -> ColumnElement[bool]:
    param = r4_registry().get(source_type, code)
    return refs.c.param == code if param is None else param_rows(refs, param)


@lru_cache(maxsize=256)
def _forward_statement(source_type: str, param: str, target_type: str | None) -> Select[Any]:
    # Built once per include shape: building a select costs more than running it.
    refs = _references(source_type)
    conditions: list[ColumnElement[bool]] = [
        refs.c.resource_pk.in_(bindparam("pks", expanding=True)),
        resource.c.deleted.is_(False),
    ]
    if param != "*":
        conditions.append(_rows_of(refs, source_type, param))
    if target_type:
        conditions.append(refs.c.target_type == target_type)
    return (
        select(*CURRENT_COLUMNS)
        .distinct()
        .join(refs, and_(refs.c.target_type == resource.c.res_type, refs.c.target_id == resource.c.res_id))
        .where(*conditions)
        .limit(MAX_INCLUDED)
    )


def _forward(connection: Connection, sources: list[Stored], include: Include) -> list[Stored]:
    pks = [s.pk for s in sources if include.source_type in ("*", s.type)]
    if not pks:
        return []
    statement = _forward_statement(include.source_type, include.param, include.target_type)
    return [_stored(r) for r in connection.execute(statement, {"pks": pks})]


@lru_cache(maxsize=256)
def _reverse_statement(source_type: str, param: str) -> Select[Any]:
    refs = _references(source_type)
    conditions: list[ColumnElement[bool]] = [
        tuple_(refs.c.target_type, refs.c.target_id).in_(bindparam("keys", expanding=True)),
        resource.c.deleted.is_(False),
    ]
    if source_type != "*":
        conditions.append(resource.c.res_type == source_type)
    if param != "*":
        conditions.append(_rows_of(refs, source_type, param))
    return (
        select(*CURRENT_COLUMNS)
        .distinct()
        .join(refs, refs.c.resource_pk == resource.c.pk)
        .where(*conditions)
        .limit(MAX_INCLUDED)
    )


def _reverse(connection: Connection, targets: list[Stored], include: Include) -> list[Stored]:
    keys = [(t.type, t.id) for t in targets if include.target_type in (None, t.type)]
    if not keys:
        return []
    statement = _reverse_statement(include.source_type, include.param)
    return [_stored(r) for r in connection.execute(statement, {"keys": keys})]


def included(connection: Connection, matches: list[Stored], includes: list[Include]) -> list[Stored]:
    """The resources the includes pull in, beyond the matches."""
    seen = {(m.type, m.id) for m in matches}
    result: list[Stored] = []
    frontier = matches
    for round_number in range(MAX_ROUNDS):
        found: list[Stored] = []
        for include in includes:
            if round_number > 0 and not include.iterate:
                continue
            step = _reverse if include.reverse else _forward
            for stored in step(connection, frontier, include):
                if (stored.type, stored.id) not in seen:
                    seen.add((stored.type, stored.id))
                    found.append(stored)
        if not found or len(result) + len(found) > MAX_INCLUDED:
            result += found[: MAX_INCLUDED - len(result)]
            break
        result += found
        frontier = found
    return result

"""Patient/$everything in SQL: the patient, its compartment and the resources they reference, one page per query.

Compartment members come from the reference index (rows pointing at the patient through the type's
compartment parameters), the supporting resources from the members' own reference rows; the union is
ordered by primary key, so a page is "the next ``count`` keys after the cursor" and stays stable while
resources are added. Only the page's own rows are read from the resource table, with their stored bytes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Select,
    and_,
    any_,
    bindparam,
    func,
    literal,
    or_,
    select,
    union,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import CompoundSelect, FromClause

from fhir_server.search.care_dates import CARE_DATES
from fhir_server.search.compartments import PATIENT_COMPARTMENT, compartment_params
from fhir_server.search.query import AnyClause
from fhir_server.storage.audit_rows import index_source
from fhir_server.storage.records import Page, Stored
from fhir_server.storage.schema import resource
from fhir_server.storage.sql_search import CURRENT_COLUMNS, clause_predicate


@dataclass(frozen=True, slots=True)
class EverythingQuery:
    """One page of a patient's record.

    ``member_types``: compartment types to return; ``referenced_types``: types of the supporting resources
    (practitioners, organisations...) to add when a returned member or the patient references them;
    ``include_patient``: whether the patient itself is returned; ``window``: care dates [low, high) in
    microseconds; ``since``: last-updated lower bound; ``narrowing``: per type, clauses every returned
    resource of that type must meet (the caller's granular scopes); ``after_pk``: the cursor.
    """

    patient_pk: int
    patient_id: str
    member_types: tuple[str, ...]
    referenced_types: tuple[str, ...] = ()
    include_patient: bool = True
    window: tuple[int, int] | None = None
    since: int | None = None
    narrowing: dict[str, tuple[AnyClause, ...]] = field(default_factory=dict)
    count: int = 1000
    after_pk: int | None = None


def _compartment_condition(refs: FromClause, types: tuple[str, ...]) -> ColumnElement[bool]:
    """Reference rows (of ``refs``) that put a resource of one of ``types`` in a patient's compartment."""
    by_param: dict[str, list[str]] = defaultdict(list)
    for type_name in types:
        for param in compartment_params("Patient", type_name):
            by_param[param].append(type_name)
    return or_(*(and_(refs.c.param == p, refs.c.res_type.in_(t)) for p, t in sorted(by_param.items())))


def _in_window(window: tuple[int, int], types: tuple[str, ...]) -> ColumnElement[bool]:
    low, high = window
    dated = [t for t in types if t in CARE_DATES]
    if not dated:
        return literal(True)
    dates = index_source("date", *dated)
    overlapping = select(dates.c.resource_pk).where(
        or_(*(and_(dates.c.res_type == t, dates.c.param.in_(CARE_DATES[t])) for t in dated)),
        dates.c.high > low,
        dates.c.low < high,
    )
    return or_(resource.c.res_type.not_in(dated), resource.c.pk.in_(overlapping))


def _members(query: EverythingQuery) -> Select[Any]:
    refs = index_source("reference", *query.member_types)
    linked = select(refs.c.resource_pk).where(
        refs.c.target_id == query.patient_id,
        refs.c.target_type == "Patient",
        _compartment_condition(refs, query.member_types),
    )
    if query.since is None and query.window is None and not query.narrowing:
        # Index rows exist only for current, live versions: no need to visit the resource table.
        return linked.with_only_columns(refs.c.resource_pk.label("pk"))
    stmt = select(resource.c.pk.label("pk")).where(
        resource.c.pk.in_(linked), resource.c.deleted.is_(False), resource.c.res_type.in_(query.member_types)
    )
    if query.since is not None:
        stmt = stmt.where(resource.c.last_updated >= query.since)
    if query.window is not None:
        stmt = stmt.where(_in_window(query.window, query.member_types))
    for type_name, clauses in sorted(query.narrowing.items()):
        own = [clause_predicate(clause, resource, type_name) for clause in clauses]
        stmt = stmt.where(or_(resource.c.res_type != type_name, and_(*own)))
    return stmt


def _referenced(query: EverythingQuery, sources: Any) -> Select[Any]:
    """The supporting resources the sources reference (a join, so each source uses its own index rows)."""
    # Thousands of references name a few practitioners: de-duplicate before visiting the resource table.
    refs = index_source("reference", *query.member_types)
    targets = (
        select(refs.c.target_type, refs.c.target_id)
        .select_from(sources)
        .join(refs, refs.c.resource_pk == sources.c.pk)
        .where(refs.c.target_type.in_(query.referenced_types))
        .distinct()
        .subquery("targets")
    )
    target = resource.alias("target")
    stmt = (
        select(target.c.pk.label("pk"))
        .join_from(
            targets,
            target,
            and_(target.c.res_type == targets.c.target_type, target.c.res_id == targets.c.target_id),
        )
        .where(target.c.deleted.is_(False))
    )
    if query.since is not None:
        stmt = stmt.where(target.c.last_updated >= query.since)
    return stmt


def _keys(query: EverythingQuery) -> CompoundSelect[Any] | Select[Any]:
    parts: list[Select[Any]] = []
    if query.member_types:
        parts.append(_members(query))
    if query.include_patient:
        parts.append(select(literal(query.patient_pk).label("pk")))
    if not parts:
        return select(literal(0).label("pk")).where(literal(False))
    if not query.referenced_types:
        return union(*parts) if len(parts) > 1 else parts[0]
    # The record's own keys once (a CTE), then what they reference.
    own = (union(*parts) if len(parts) > 1 else parts[0]).cte("own")
    return union(select(own.c.pk), _referenced(query, own))


def _stored(row: Any) -> Stored:
    return Stored(row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6])


def everything_page(connection: Connection, query: EverythingQuery) -> Page:
    """One page of the record in primary-key order, with the cursor (last key) of the next page."""
    keys = _keys(query).subquery("record")
    page_keys = select(keys.c.pk)
    if query.after_pk is not None:
        page_keys = page_keys.where(keys.c.pk > query.after_pk)
    picked = page_keys.order_by(keys.c.pk).limit(query.count + 1).subquery("page")
    stmt = (
        select(*CURRENT_COLUMNS)
        .join_from(resource, picked, resource.c.pk == picked.c.pk)
        .where(resource.c.deleted.is_(False))
        .order_by(resource.c.pk)
    )
    raw = list(connection.execute(stmt))
    rows = [_stored(r) for r in raw[: query.count]]
    more = len(raw) > query.count and bool(rows)
    next_cursor = str(rows[-1].pk) if more else None
    total = len(rows) if not more and query.after_pk is None else None
    return Page(rows, next_cursor, total)


def _among(column: ColumnElement[Any], connection: Connection, pks: list[int]) -> ColumnElement[bool]:
    """``column IN pks`` with one bound array (a long IN list costs more to build than to run)."""
    if connection.dialect.name == "postgresql":
        return column == any_(bindparam("pks", pks, type_=ARRAY(BigInteger())))
    listed = func.json_each(bindparam("pks", json.dumps(pks))).table_valued("value")
    return column.in_(select(listed.c.value))


def compartment_patients(connection: Connection, rows: list[Stored]) -> set[str]:
    """Ids of the patients these rows belong to (Patient rows themselves, and compartment references)."""
    found = {row.id for row in rows if row.type == "Patient"}
    members = [row.pk for row in rows if row.type != "Patient" and row.type in PATIENT_COMPARTMENT]
    if members:
        types = tuple(sorted({row.type for row in rows if row.type in PATIENT_COMPARTMENT}))
        refs = index_source("reference", *types)
        stmt = (
            select(refs.c.target_id)
            .distinct()
            .where(
                _among(refs.c.resource_pk, connection, members),
                refs.c.target_type == "Patient",
                _compartment_condition(refs, types),
            )
        )
        found.update(str(value) for value in connection.execute(stmt).scalars() if value)
    return found

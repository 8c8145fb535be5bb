"""The rows a bulk export writes: current resources of one type, in id order, one keyset batch at a time.

A batch is one indexed range scan on ``(res_type, res_id)`` that returns the stored JSON bytes
untouched, so the writer never parses a resource it does not have to check, and never holds more
than one batch in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, false, or_, select, true

from fhir_server.search.compartments import compartment_params
from fhir_server.search.query import AnyClause
from fhir_server.storage.audit_rows import index_source
from fhir_server.storage.schema import resource
from fhir_server.storage.sql_search import clause_predicate

ANY_PATIENT: tuple[str, ...] = ()  # the compartments of every patient (Patient/$export without `patient`)


@dataclass(frozen=True, slots=True)
class Selection:
    """What one output type holds.

    ``alternatives``: clause lists OR-ed together (one per ``_typeFilter``; one empty list: all).
    ``required``: clauses every row must meet as well (the caller's row limits).
    ``patients``: None for a system export; ``ANY_PATIENT`` or patient ids for compartment exports.
    """

    type: str
    alternatives: tuple[tuple[AnyClause, ...], ...] = ((),)
    required: tuple[AnyClause, ...] = ()
    since_us: int | None = None
    patients: tuple[str, ...] | None = None


def _compartment(selection: Selection) -> ColumnElement[bool]:
    patients = selection.patients
    assert patients is not None
    if selection.type == "Patient":
        return resource.c.res_id.in_(patients) if patients else true()
    params = compartment_params("Patient", selection.type)
    if not params:
        return false()
    refs = index_source("reference", selection.type)
    conditions = [
        refs.c.param.in_(params),
        refs.c.res_type == selection.type,
        refs.c.target_type == "Patient",
    ]
    if patients:
        conditions.append(refs.c.target_id.in_(patients))
    return resource.c.pk.in_(select(refs.c.resource_pk).where(*conditions))


def conditions(selection: Selection) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the selection (bound parameters only)."""
    found: list[ColumnElement[bool]] = [resource.c.res_type == selection.type, resource.c.deleted.is_(False)]
    if selection.since_us is not None:
        found.append(resource.c.last_updated > selection.since_us)
    if selection.patients is not None:
        found.append(_compartment(selection))
    found += [clause_predicate(clause, resource, selection.type) for clause in selection.required]
    alternatives = [
        and_(true(), *(clause_predicate(clause, resource, selection.type) for clause in clauses))
        for clauses in selection.alternatives
    ]
    if not alternatives:
        found.append(false())
    elif any(not clauses for clauses in selection.alternatives):
        pass  # one alternative without clauses admits every row
    else:
        found.append(or_(*alternatives))
    return found


def next_batch(engine: Engine, selection: Selection, after_id: str | None, limit: int) -> Sequence[Any]:
    """Up to ``limit`` rows (res_id, last_updated, content) with ids after ``after_id``, in id order."""
    where = conditions(selection)
    if after_id is not None:
        where.append(resource.c.res_id > after_id)
    stmt = (
        select(resource.c.res_id, resource.c.last_updated, resource.c.content)
        .where(*where)
        .order_by(resource.c.res_id)
        .limit(limit)
    )
    with engine.connect() as connection:
        return connection.execute(stmt).all()

"""SearchQuery -> SQL over the current-version table and the index tables; bound parameters only.

Each clause becomes ``pk IN (SELECT resource_pk FROM idx_<type> WHERE ...)`` (or its negation), so
both engines drive the query from the index that is most selective. Chains and ``_has`` nest the
same way through ``idx_reference``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    false,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
)
from sqlalchemy.sql import FromClause

from fhir_server.search.compartments import compartment_params
from fhir_server.search.query import AnyClause, ChainClause, Clause, HasClause, SearchQuery
from fhir_server.search.registry import SearchParam
from fhir_server.search.values_parse import DateValue, ReferenceValue, TokenValue
from fhir_server.storage.audit_rows import index_source, present
from fhir_server.storage.params import composite, date, number, quantity, reference, string, token, uri
from fhir_server.storage.schema import idx_reference, resource

CURRENT_COLUMNS = (
    resource.c.pk,
    resource.c.res_type,
    resource.c.res_id,
    resource.c.version,
    resource.c.last_updated,
    resource.c.deleted,
    resource.c.content,
)
PREDICATES: dict[str, Callable[..., ColumnElement[bool]]] = {
    "string": string.predicate,
    "token": token.predicate,
    "date": date.predicate,
    "number": number.predicate,
    "quantity": quantity.predicate,
    "reference": reference.predicate,
    "uri": uri.predicate,
}


def param_is(table: FromClause, codes: tuple[str, ...]) -> ColumnElement[bool]:
    """Index rows with one of ``codes``."""
    return table.c.param == codes[0] if len(codes) == 1 else table.c.param.in_(codes)


def param_rows(table: FromClause, param: SearchParam, *, by_id: bool = True) -> ColumnElement[bool]:
    """Index rows of a parameter: its own, those of the parameters it unites, or those it narrows to a type.

    ``by_id``: only rows with a target id can match (``Patient/1``, a chain, an include). For a narrowed
    parameter its members' rows of the type answer then, in databases written before too: an earlier
    release stored the parameter's own rows beside identical member rows, and PostgreSQL estimates the
    plain condition as it did the parameter's own (an OR here made it start a search from the wrong index).
    Otherwise (URLs, identifiers, :missing) rows an earlier release stored under its own code also count.
    """
    if param.narrow_type is None:
        return param_is(table, param.index_codes)
    # The type is written into the SQL: as a bound value it would often equal the searched type
    # (``practitioner=Practitioner/1``), and the statement cache does not keep shapes it cannot tell apart.
    of_type = table.c.target_type == literal_column(f"'{param.narrow_type}'", String)
    if by_id:
        return and_(param_is(table, param.narrows), of_type)
    return and_(table.c.param.in_(param.index_codes), or_(table.c.param == param.code, of_type))


def param_constants(param: SearchParam, *, by_id: bool = True) -> tuple[str, ...]:
    """The values ``param_rows`` binds, in order (the statement cache's plans list them)."""
    if param.narrow_type is None:
        return param.index_codes
    return param.narrows if by_id else (*param.index_codes, param.code)


def by_target_id(clause: Clause) -> bool:
    """True when every value of the clause names its target by id (no URL, identifier or :missing)."""
    values = clause.values
    return (
        clause.missing is None and bool(values) and all(isinstance(v, ReferenceValue) and v.url is None for v in values)
    )


def _index_subquery(kind: str, clause: Clause, type_name: str | None, *, values: bool = True) -> Select[Any]:
    """The keys of the rows of the clause's parameter, of those matching its values when ``values``."""
    assert clause.param is not None
    table = index_source(kind, type_name)
    conditions = [param_rows(table, clause.param, by_id=by_target_id(clause))]
    if type_name is not None:
        conditions.append(table.c.res_type == type_name)
    if values:
        conditions.append(_values_condition(clause, kind, table))
    filled = present(kind, table)
    if filled is not None:
        conditions.append(filled)
    return select(table.c.resource_pk).where(*conditions)


def _values_condition(clause: Clause, kind: str, table: FromClause) -> ColumnElement[bool]:
    if kind == "composite":
        return or_(*(composite.predicate(table, value) for value in clause.values))
    match = PREDICATES[kind]
    modifier = None if clause.modifier == "not" else clause.modifier
    return or_(*(match(table, modifier, value) for value in clause.values))


def _special(clause: Clause, target: FromClause, type_name: str | None) -> ColumnElement[bool] | None:
    if clause.name == "_id":
        ids = [v.code for v in clause.values if isinstance(v, TokenValue) and v.code]
        return target.c.res_id.in_(ids) if ids else false()
    if clause.name == "_lastUpdated":
        return or_(
            *(date.instant_predicate(target.c.last_updated, v) for v in clause.values if isinstance(v, DateValue))
        )
    if clause.name == "_list":
        lists = select(resource.c.pk).where(
            resource.c.res_type == "List",
            resource.c.res_id.in_(list(clause.values)),
            resource.c.deleted.is_(False),
        )
        items = select(idx_reference.c.target_id).where(
            idx_reference.c.param == "item",
            idx_reference.c.resource_pk.in_(lists),
            idx_reference.c.target_type == _type_of(target, type_name),
        )
        return target.c.res_id.in_(items)
    if clause.name == "_compartment":
        # One compartment type, then one or more owners (a doctor's care patients are several).
        compartment, *owners = clause.values
        params = compartment_params(str(compartment), type_name)
        ref = index_source("reference", type_name)
        linked = select(ref.c.resource_pk).where(
            ref.c.param.in_(params),
            ref.c.res_type == type_name,
            ref.c.target_type == compartment,
            ref.c.target_id.in_(owners),
        )
        itself = and_(target.c.res_type == compartment, target.c.res_id.in_(owners))
        return or_(target.c.pk.in_(linked), itself) if params else itself
    return None


def clause_predicate(clause: AnyClause, target: FromClause, type_name: str | None) -> ColumnElement[bool]:
    """The condition a row of ``target`` (the resource table or an alias) must meet."""
    if isinstance(clause, ChainClause):
        return _chain(clause, target, type_name)
    if isinstance(clause, HasClause):
        return _has(clause, target, type_name)
    special = _special(clause, target, type_name)
    if special is not None:
        return special
    assert clause.param is not None
    kind = clause.param.type
    if clause.missing is not None:
        present = target.c.pk.in_(_index_subquery(kind, clause, type_name, values=False))
        return not_(present) if clause.missing else present
    matching = target.c.pk.in_(_index_subquery(kind, clause, type_name))
    return not_(matching) if clause.modifier == "not" else matching


def _targets(type_name: str, clause: AnyClause) -> Select[Any]:
    inner = resource.alias()
    return select(inner.c.res_id).where(
        inner.c.res_type == type_name, inner.c.deleted.is_(False), clause_predicate(clause, inner, type_name)
    )


def _chain_pks(clause: ChainClause, type_name: str | None) -> Select[Any]:
    ref = index_source("reference", type_name).alias()
    alternatives = [
        and_(ref.c.target_type == target_type, ref.c.target_id.in_(_targets(target_type, inner)))
        for target_type, inner in clause.targets
    ]
    conditions = [param_rows(ref, clause.param), or_(*alternatives)]
    if type_name is not None:
        conditions.append(ref.c.res_type == type_name)
    return select(ref.c.resource_pk).where(*conditions)


def _chain(clause: ChainClause, target: FromClause, type_name: str | None) -> ColumnElement[bool]:
    return target.c.pk.in_(_chain_pks(clause, type_name))


def candidate_pks(query: SearchQuery) -> list[Select[Any]] | None:
    """One primary-key subquery per clause when every clause is answered from index tables alone.

    Then a page needs the resource table only for its own rows; otherwise (``_id``, ``_has``, ``:not``
    and other clauses reading resource columns) None.
    """
    if query.type is None or not query.clauses:
        return None
    selects = []
    for clause in query.clauses:
        if isinstance(clause, ChainClause):
            selects.append(_chain_pks(clause, query.type))
            continue
        direct = _matching_pks(clause, query.type)
        if direct is None:
            return None
        selects.append(direct)
    return selects


def _type_of(target: FromClause, type_name: str | None) -> Any:
    # A literal when the type is known keeps subqueries uncorrelated (computed once, not per row).
    return literal(type_name) if type_name is not None else target.c.res_type


def is_direct(clause: AnyClause) -> bool:
    """True for a plain positive clause on a parameter: its index table alone answers it."""
    if not isinstance(clause, Clause) or clause.param is None or clause.name.startswith("_compartment"):
        return False
    return clause.name not in ("_id", "_lastUpdated", "_list") and clause.modifier != "not" and clause.missing is None


def _matching_pks(clause: AnyClause, type_name: str) -> Select[Any] | None:
    """The primary keys a plain positive clause selects, straight from its index table.

    Index rows exist only for current, non-deleted versions, so no join with the resource table is needed.
    """
    if not is_direct(clause):
        return None
    assert isinstance(clause, Clause) and clause.param is not None
    return _index_subquery(clause.param.type, clause, type_name)


def _has(clause: HasClause, target: FromClause, type_name: str | None) -> ColumnElement[bool]:
    ref = index_source("reference", clause.source_type).alias()
    direct = _matching_pks(clause.inner, clause.source_type)
    if direct is not None:
        # The keys come from the source type's own index rows, so no res_type test (keeps it index-only).
        pointing = select(ref.c.target_id).where(
            ref.c.resource_pk.in_(direct),
            param_rows(ref, clause.reference),
            ref.c.target_type == _type_of(target, type_name),
        )
        return target.c.res_id.in_(pointing)
    source = resource.alias()
    pointing = (
        select(ref.c.target_id)
        .join(source, source.c.pk == ref.c.resource_pk)
        .where(
            param_rows(ref, clause.reference),
            ref.c.res_type == clause.source_type,
            ref.c.target_type == _type_of(target, type_name),
            source.c.deleted.is_(False),
            clause_predicate(clause.inner, source, clause.source_type),
        )
    )
    return target.c.res_id.in_(pointing)


def filtered(query: SearchQuery, columns: Any) -> Select[Any]:
    """The rows the query selects (current, not deleted), without order or limit."""
    stmt = select(*columns).where(resource.c.deleted.is_(False))
    if query.type is not None:
        stmt = stmt.where(resource.c.res_type == query.type)
    elif query.types:
        stmt = stmt.where(resource.c.res_type.in_(query.types))
    for clause in query.clauses:
        stmt = stmt.where(clause_predicate(clause, resource, query.type))
    return stmt


def build_count(query: SearchQuery) -> Select[Any]:
    """The total number of matches (from the index tables alone when every clause is answered there)."""
    candidates = candidate_pks(query)
    if candidates is not None:
        first, *rest = candidates
        driver = first.subquery()
        keys = driver.c.resource_pk
        return select(func.count(func.distinct(keys))).where(*[keys.in_(other) for other in rest])
    return select(func.count()).select_from(filtered(query, (resource.c.pk,)).subquery())

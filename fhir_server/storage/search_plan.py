"""A search's *shape* and its bound values, without building any SQL.

Building a SQLAlchemy select for a search costs more Python than running it, and searches repeat the
same few shapes with other values. This walk mirrors ``paging.build_page`` / ``sql_search.build_count``
and yields a key holding everything that changes the SQL text (type, parameters, modifiers, number of
values, prefixes, sort, cursor presence, and every constant the SQL binds) and the bound values in the
order the compiled SQL takes them. ``statement_cache`` checks that order against a real compile before
it trusts a shape. Anything this walk does not know (chains, _has, numbers, composites, system-level
searches) answers None and takes the ordinary path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fhir_server.search.compartments import compartment_params
from fhir_server.search.query import AnyClause, Clause, SearchQuery, SortKey
from fhir_server.search.values import like_escape, prefix_upper_bound
from fhir_server.search.values_parse import DateValue, ReferenceValue, StringValue, TokenValue
from fhir_server.storage.paging import decode_cursor, missing_value
from fhir_server.storage.sql_search import by_target_id, is_direct, param_constants

_SORTABLE = frozenset({"date", "string", "token", "uri", "reference"})  # int or text sort values
_ORDERED = {  # FHIR prefix -> (stored bound, query bound) comparisons, in SQL order (common.ordered_predicate)
    "eq": (("low", "low"), ("low", "high"), ("high", "high")),
    "ne": (("low", "low"), ("high", "high")),
    "gt": (("high", "high"),),
    "lt": (("low", "low"),),
    "ge": (("high", "high"), ("low", "low"), ("high", "high")),
    "le": (("low", "low"), ("low", "low"), ("high", "high")),
    "sa": (("low", "high"),),
    "eb": (("high", "low"),),
}


class Unsupported(Exception):
    """A search this walk does not mirror: it is built the ordinary way."""


@dataclass(slots=True)
class Plan:
    """The shape key, the bound values in SQL order, and which value slot each position holds (-1: constant)."""

    key: list[Any] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)
    slots: list[int] = field(default_factory=list)
    _next_slot: int = 0

    def const(self, *values: Any) -> None:
        """Values fixed by the shape: they go into the key too, so a mistaken 'constant' only splits shapes."""
        for value in values:
            self.key.append(value)
            self.values.append(value)
            self.slots.append(-1)

    def var(self, value: Any) -> int:
        if value is None:
            raise Unsupported  # ``column == None`` renders IS NULL, which is shape, not value
        slot = self._next_slot
        self._next_slot += 1
        self.again(slot, value)
        return slot

    def limit(self, count: int, dialect: str) -> None:
        self.var(count + 1)
        if dialect == "sqlite":
            self.const(0)  # SQLAlchemy's SQLite compiler always adds OFFSET

    def again(self, slot: int, value: Any) -> None:
        """The same value bound once more (an expression rendered twice)."""
        self.values.append(value)
        self.slots.append(slot)


def page_plan(query: SearchQuery, dialect: str) -> Plan | None:
    """The plan of ``paging.build_page(query)`` on this dialect, or None when it is built the ordinary way."""
    try:
        return _page(query, dialect)
    except Unsupported:
        return None


def count_plan(query: SearchQuery) -> Plan | None:
    """The plan of ``sql_search.build_count(query)``, or None."""
    try:
        plan = Plan(key=["count", query.type])
        if _type_level(query):
            for clause in query.clauses:
                _index_clause(plan, clause, query.type)
        else:
            _filtered(plan, query)
        return plan
    except Unsupported:
        return None


def _type_level(query: SearchQuery) -> bool:
    """True when every clause can come from the index tables alone (sql_search.candidate_pks)."""
    if query.type is None or not all(isinstance(c, Clause) for c in query.clauses):
        raise Unsupported  # system level, chains and _has
    return bool(query.clauses) and all(is_direct(c) for c in query.clauses)


def _page(query: SearchQuery, dialect: str) -> Plan:
    plan = Plan(key=["page", query.type, query.cursor is not None])
    if _type_level(query) and not query.sort:
        # paging._page_from_indexes: the first clause's subquery, the others as IN, cursor, limit.
        plan.key.append("indexes")
        for clause in query.clauses:
            _index_clause(plan, clause, query.type)
        if query.cursor:
            plan.var(decode_cursor(query, query.cursor)[1])
        plan.limit(query.count, dialect)
        return plan
    for key in query.sort:
        _sort_key(plan, key, query.type)
    for key in query.sort:  # the labelled sort columns of the select list
        _sort_expression(plan, key, query.type)
    _filtered(plan, query)
    if query.cursor:
        _after(plan, query)
    for key in query.sort:  # ORDER BY
        _sort_expression(plan, key, query.type)
    plan.limit(query.count, dialect)
    return plan


def _sort_key(plan: Plan, key: SortKey, type_name: str | None) -> None:
    if key.name in ("_id", "_lastUpdated"):
        plan.key.append((key.name, key.descending))
        return
    if key.param is None or key.param.type not in _SORTABLE or type_name is None:
        raise Unsupported  # numbers sort by Decimal, which the drivers return unlike SQLAlchemy on SQLite
    plan.key.append((key.name, key.param.type, key.param.code, key.descending))


def _sort_expression(plan: Plan, key: SortKey, type_name: str | None) -> None:
    # paging.sort_expression: coalesce((SELECT min|max(col) ... param, res_type), missing).
    if key.name in ("_id", "_lastUpdated"):
        return
    assert key.param is not None
    plan.const(*param_constants(key.param), type_name, missing_value(key))


def _after(plan: Plan, query: SearchQuery) -> None:
    # paging._after: OR over sort positions of (earlier keys equal, this one beyond), then all equal and pk beyond.
    assert query.cursor is not None
    values, pk = decode_cursor(query, query.cursor)
    slots: list[int] = []
    for index, key in enumerate(query.sort):
        for earlier in range(index):
            _sort_expression(plan, query.sort[earlier], query.type)
            plan.again(slots[earlier], values[earlier])
        _sort_expression(plan, key, query.type)
        slots.append(plan.var(values[index]))
    for index, (key, slot) in enumerate(zip(query.sort, slots, strict=True)):
        _sort_expression(plan, key, query.type)
        plan.again(slot, values[index])
    plan.var(pk)


def _filtered(plan: Plan, query: SearchQuery) -> None:
    # sql_search.filtered: not deleted (no value), the type, then each clause's predicate.
    if query.type is None:
        raise Unsupported
    plan.const(query.type)
    for clause in query.clauses:
        _predicate(plan, clause, query.type)


def _predicate(plan: Plan, clause: AnyClause, type_name: str) -> None:
    """sql_search.clause_predicate on the resource table, for the clauses this walk knows."""
    if not isinstance(clause, Clause):
        raise Unsupported
    plan.key.append(("clause", clause.name, clause.modifier, clause.missing, len(clause.values)))
    if clause.name == "_id":
        ids = [v.code for v in clause.values if isinstance(v, TokenValue) and v.code]
        plan.key.append(len(ids))
        for res_id in ids:
            plan.var(res_id)
        return
    if clause.name == "_lastUpdated":
        if not all(isinstance(v, DateValue) for v in clause.values):
            raise Unsupported
        for value in clause.values:
            _date(plan, value, instant=True)
        return
    if clause.name == "_compartment":
        _compartment(plan, clause, type_name)
        return
    if clause.param is None or clause.name == "_list":
        raise Unsupported
    _index_clause(plan, clause, type_name)


def _index_clause(plan: Plan, clause: AnyClause, type_name: str | None) -> None:
    # sql_search._index_subquery: param, res_type, then the values' condition (or nothing for :missing).
    if not isinstance(clause, Clause) or clause.param is None or type_name is None:
        raise Unsupported
    kind = clause.param.type
    plan.key.append(("index", clause.name, kind, clause.modifier, clause.missing, len(clause.values)))
    plan.const(*param_constants(clause.param, by_id=by_target_id(clause)), type_name)
    if clause.missing is not None:
        return
    if not clause.values:
        raise Unsupported
    modifier = None if clause.modifier == "not" else clause.modifier
    for value in clause.values:
        _value(plan, kind, modifier, value)


def _value(plan: Plan, kind: str, modifier: str | None, value: Any) -> None:
    if kind == "string" and isinstance(value, StringValue):
        _string(plan, modifier, value)
    elif kind == "token" and isinstance(value, StringValue):
        plan.key.append("text")
        plan.var(value.folded)
        plan.var(prefix_upper_bound(value.folded))
    elif kind == "token" and isinstance(value, TokenValue):
        _token(plan, modifier, value)
    elif kind == "reference" and isinstance(value, (ReferenceValue, TokenValue)):
        _reference(plan, modifier, value)
    elif kind == "date" and isinstance(value, DateValue):
        _date(plan, value, instant=False)
    elif kind == "uri" and isinstance(value, str) and modifier != "above":
        plan.var(value)
        if modifier == "below":
            plan.var(prefix_upper_bound(value))
    else:
        raise Unsupported


def _string(plan: Plan, modifier: str | None, value: StringValue) -> None:
    if modifier == "exact":
        plan.var(value.raw)
    elif modifier == "contains":
        plan.var(f"%{like_escape(value.folded)}%")
    else:
        plan.var(value.folded)
        plan.var(prefix_upper_bound(value.folded))


def _token(plan: Plan, modifier: str | None, value: TokenValue) -> None:
    system = "any" if value.system is None else "none" if value.system == "" else "some"
    plan.key.append((value.code is None, system, value.type_system is None))
    if modifier == "of-type":
        plan.var(value.type_code)
        if value.type_system is not None:
            plan.var(value.type_system)
    if value.code is not None:
        if modifier == "below":
            plan.var(value.code)
            plan.var(prefix_upper_bound(value.code))
        elif modifier == "above":
            plan.key.append(len(value.code))
            for n in range(1, len(value.code) + 1):
                plan.var(value.code[:n])
        else:
            plan.var(value.code)
    if system == "some":
        plan.var(value.system)


def _reference(plan: Plan, modifier: str | None, value: ReferenceValue | TokenValue) -> None:
    if isinstance(value, TokenValue):
        plan.key.append(("identifier", value.code is None, bool(value.system)))
        if value.code is not None:
            plan.var(value.code)
        if value.system:
            plan.var(value.system)
        return
    if value.url is not None:
        url, _, version = value.url.partition("|")
        plan.key.append(("url", bool(version)))
        if modifier == "below":
            plan.var(url.rstrip("/") + "/%")
            return
        plan.var(url)
        if version:
            plan.var(version)
        return
    plan.key.append(("local", value.type is None, value.version is None))
    plan.var(value.id)
    if value.type is not None:
        plan.var(value.type)
    if value.version is not None:
        plan.var(value.version)


def _date(plan: Plan, value: DateValue, instant: bool) -> None:
    # common.ordered_predicate; an instant column's range is [v, v + 1), so each "high" binds the 1 first.
    plan.key.append(("date", value.prefix))
    comparisons = _ORDERED.get(value.prefix)
    if comparisons is None:
        raise Unsupported  # ap: its bounds move with the clock, so a compile could never confirm them
    bounds = {"low": value.low, "high": value.high}
    slots: dict[str, int] = {}
    for stored, bound in comparisons:
        if instant and stored == "high":
            plan.const(1)
        if bound in slots:
            plan.again(slots[bound], bounds[bound])
        else:
            slots[bound] = plan.var(bounds[bound])


def _compartment(plan: Plan, clause: Clause, type_name: str) -> None:
    # sql_search._special: the reference params into the compartment, then the compartment's own resource.
    compartment, *owners = clause.values
    params = compartment_params(str(compartment), type_name)
    plan.key.append(("compartment", len(owners)))
    slots: list[int] = []
    if params:
        plan.const(*params, type_name, compartment)
        slots = [plan.var(owner) for owner in owners]
    plan.const(compartment)
    if slots:
        for slot, owner in zip(slots, owners, strict=True):
            plan.again(slot, owner)
    else:
        for owner in owners:
            plan.var(owner)

"""Query string -> SearchQuery: typed clauses (ANDed; values within a clause ORed) and result options.

Unknown parameters are reported (lenient) or refused (strict); malformed values always answer 400.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from fhir_server.errors import Invalid
from fhir_server.model.r4_types import SERVED_TYPES
from fhir_server.model.summary import SUMMARY_MODES
from fhir_server.search.registry import Registry, SearchParam
from fhir_server.search.values_parse import (
    DateValue,
    bad,
    parse_date,
    parse_number,
    parse_quantity,
    parse_reference_value,
    parse_string,
    parse_token,
    split_escaped,
)

RESULT_PARAMETERS = frozenset(
    {"_count", "_sort", "_total", "_summary", "_elements", "_include", "_revinclude", "_cursor", "_type"}
)
TRANSPORT_PARAMETERS = frozenset({"_format", "_pretty"})
MODIFIERS = {
    "string": {"exact", "contains", "missing"},
    "token": {"not", "text", "in", "not-in", "below", "above", "of-type", "missing"},
    "date": {"missing"},
    "number": {"missing"},
    "quantity": {"missing"},
    "reference": {"identifier", "missing", "below", "above"},
    "uri": {"below", "above", "missing"},
    "composite": {"missing"},
    "special": {"missing"},
}
__all__ = [
    "ChainClause",
    "Clause",
    "DateValue",
    "HasClause",
    "Include",
    "SearchQuery",
    "SortKey",
    "parse_query",
]


@dataclass(frozen=True, slots=True)
class Clause:
    """One parameter with its OR'd values, on the searched type."""

    name: str
    param: SearchParam | None
    modifier: str | None
    values: tuple[Any, ...]
    missing: bool | None = None


@dataclass(frozen=True, slots=True)
class ChainClause:
    """``ref:Type.inner``: resources whose reference ``param`` points at a target matching its clause.

    ``targets`` pairs each candidate target type with the inner clause parsed for that type.
    """

    param: SearchParam
    targets: tuple[tuple[str, AnyClause], ...]


@dataclass(frozen=True, slots=True)
class HasClause:
    """``_has:Source:ref:inner``: resources a matching Source points at through ``reference``."""

    source_type: str
    reference: SearchParam
    inner: AnyClause


AnyClause = Clause | ChainClause | HasClause


@dataclass(frozen=True, slots=True)
class SortKey:
    name: str
    param: SearchParam | None
    descending: bool


@dataclass(frozen=True, slots=True)
class Include:
    """``_include`` (forward) or ``_revinclude`` (reverse), optionally ``:iterate``."""

    source_type: str
    param: str  # a reference parameter code, or "*"
    target_type: str | None
    reverse: bool
    iterate: bool


@dataclass
class SearchQuery:
    """A parsed search on one type, or on ``types`` at system level (None = every type)."""

    type: str | None
    clauses: list[AnyClause] = field(default_factory=list)
    types: tuple[str, ...] | None = None
    count: int = 20
    sort: list[SortKey] = field(default_factory=list)
    total: str = "none"
    summary: str | None = None
    elements: list[str] | None = None
    includes: list[Include] = field(default_factory=list)
    cursor: str | None = None
    ignored: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Parsing:
    registry: Registry
    zone: tzinfo
    base_url: str


def _values(p: _Parsing, param: SearchParam, raw_name: str, modifier: str | None, text: str) -> tuple[Any, ...]:
    kind = param.type
    items = split_escaped(text, ",") if kind != "composite" else [text]
    if kind == "string" or (kind == "token" and modifier == "text"):
        return tuple(parse_string(v) for v in items)
    if kind == "token":
        if modifier in ("in", "not-in"):
            return tuple(items)
        return tuple(parse_token(raw_name, v, of_type=modifier == "of-type") for v in items)
    if kind == "date":
        return tuple(parse_date(raw_name, v, p.zone) for v in items)
    if kind == "number":
        return tuple(parse_number(raw_name, v) for v in items)
    if kind == "quantity":
        return tuple(parse_quantity(raw_name, v) for v in items)
    if kind == "reference":
        if modifier == "identifier":
            return tuple(parse_token(raw_name, v) for v in items)
        type_modifier = modifier if modifier and modifier[:1].isupper() else None
        return tuple(parse_reference_value(raw_name, v, type_modifier, p.base_url) for v in items)
    if kind == "uri":
        return tuple(v for v in items if v)
    if kind == "composite":
        return tuple(_composite(p, param, raw_name, v) for v in split_escaped(text, ","))
    raise Invalid("unknown-parameter", code="not-supported", name=raw_name)


def _composite(p: _Parsing, param: SearchParam, raw_name: str, text: str) -> tuple[Any, ...]:
    parts = split_escaped(text, "$")
    if len(parts) != len(param.components):
        raise bad(raw_name, text)
    values = []
    for (url, _), part in zip(param.components, parts, strict=True):
        component = p.registry.by_url(url, param.resource_type) or p.registry.by_url(url)
        if component is None:
            raise Invalid("unknown-parameter", code="not-supported", name=raw_name)
        values.append(_values(p, component, raw_name, None, part)[0])
    return tuple(values)


def _clause(p: _Parsing, type_name: str, raw_name: str, text: str) -> AnyClause:
    if raw_name.startswith("_has:"):
        return _has(p, type_name, raw_name, text)
    if raw_name == "_list":
        return Clause("_list", None, None, tuple(v for v in split_escaped(text, ",") if v))
    head, dot, rest = raw_name.partition(".")
    name, _, modifier = head.partition(":")
    param = p.registry.get(type_name, name)
    if param is None:
        raise LookupError(raw_name)
    if dot:
        return _chain(p, param, modifier or None, raw_name, rest, text)
    allowed = MODIFIERS.get(param.type, set())
    if modifier and modifier not in allowed and not (param.type == "reference" and modifier in SERVED_TYPES):
        raise Invalid("bad-parameter", code="not-supported", name=raw_name, value=text)
    if modifier == "missing":
        if text not in ("true", "false"):
            raise bad(raw_name, text)
        return Clause(name, param, modifier, (), missing=text == "true")
    if not text:
        raise bad(raw_name, text)
    return Clause(name, param, modifier or None, _values(p, param, raw_name, modifier or None, text))


def _chain(
    p: _Parsing, param: SearchParam, type_modifier: str | None, raw_name: str, rest: str, text: str
) -> ChainClause:
    if param.type != "reference":
        raise bad(raw_name, text)
    targets = (type_modifier,) if type_modifier else tuple(t for t in param.targets if t in SERVED_TYPES)
    inner_name = rest.partition(".")[0].partition(":")[0]
    usable = tuple(t for t in targets if p.registry.get(t, inner_name) is not None)
    if not usable:
        raise bad(raw_name, text)
    return ChainClause(param, tuple((target, _clause(p, target, rest, text)) for target in usable))


def _has(p: _Parsing, type_name: str, raw_name: str, text: str) -> HasClause:
    parts = raw_name.split(":", 3)
    if len(parts) < 4 or parts[1] not in SERVED_TYPES:
        raise bad(raw_name, text)
    source_type, reference_code, inner_name = parts[1], parts[2], parts[3]
    reference = p.registry.get(source_type, reference_code)
    if reference is None or reference.type != "reference":
        raise bad(raw_name, text)
    if reference.targets and type_name not in reference.targets:
        raise bad(raw_name, text)
    try:
        inner = _clause(p, source_type, inner_name, text)
    except LookupError:
        raise bad(raw_name, text) from None
    return HasClause(source_type, reference, inner)


def _include(raw_name: str, value: str, strict_types: bool) -> Include:
    reverse = raw_name.startswith("_revinclude")
    iterate = raw_name.endswith(":iterate") or raw_name.endswith(":recurse")
    if value == "*":
        return Include("*", "*", None, reverse, iterate)
    parts = value.split(":")
    if len(parts) not in (2, 3) or (strict_types and parts[0] not in SERVED_TYPES):
        raise bad(raw_name, value)
    target = parts[2] if len(parts) == 3 else None
    return Include(parts[0], parts[1], target, reverse, iterate)


def _int(name: str, value: str, minimum: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise bad(name, value) from None
    if number < minimum:
        raise bad(name, value)
    return number


def parse_query(
    type_name: str | None,
    params: Sequence[tuple[str, str]],
    *,
    registry: Registry,
    zone: tzinfo,
    base_url: str,
    default_count: int,
    max_count: int,
    strict: bool,
) -> SearchQuery:
    """Parse query parameters into a SearchQuery (400 on bad values, or unknown names if strict)."""
    parsing = _Parsing(registry, zone, base_url)
    query = SearchQuery(type_name, count=default_count)
    deferred: list[tuple[str, str]] = []
    for raw_name, value in params:
        name = raw_name.partition(":")[0]
        if raw_name in TRANSPORT_PARAMETERS:
            continue
        if name == "_type":
            types = tuple(t for t in value.split(",") if t)
            unknown = [t for t in types if t not in SERVED_TYPES]
            if unknown:
                raise bad(raw_name, value)
            query.types = types
        elif name in RESULT_PARAMETERS:
            _result_parameter(query, raw_name, name, value, max_count, strict)
        else:
            deferred.append((raw_name, value))
    search_types = [type_name] if type_name else list(query.types or ())
    for raw_name, value in deferred:
        try:
            clause = _clause(parsing, search_types[0] if search_types else "Resource", raw_name, value)
        except LookupError:
            if strict:
                raise Invalid("unknown-parameter", code="not-supported", name=raw_name) from None
            query.ignored.append(raw_name)
            continue
        base_name = raw_name.partition(".")[0].partition(":")[0]
        if len(search_types) > 1 and any(registry.get(t, base_name) is None for t in search_types):
            raise bad(raw_name, value)
        query.clauses.append(clause)
    query.sort = _resolve_sort(registry, search_types, query, strict)
    return query


def _resolve_sort(registry: Registry, types: list[str], query: SearchQuery, strict: bool) -> list[SortKey]:
    keys = []
    for key in query.sort:
        if key.name in ("_id", "_lastUpdated"):
            keys.append(key)
            continue
        params = [registry.get(t, key.name) for t in types] if types else [None]
        param = params[0] if params and all(params) else None
        if param is None or param.type in ("composite", "special"):
            if strict:
                raise Invalid("unknown-parameter", code="not-supported", name=f"_sort={key.name}")
            query.ignored.append(f"_sort={key.name}")
            continue
        keys.append(SortKey(key.name, param, key.descending))
    return keys


def _result_parameter(query: SearchQuery, raw_name: str, name: str, value: str, max_count: int, strict: bool) -> None:
    if name == "_count":
        query.count = min(_int(name, value, 0), max_count)
    elif name == "_cursor":
        query.cursor = value
    elif name == "_total":
        if value not in ("none", "estimate", "accurate"):
            raise bad(name, value)
        query.total = value
    elif name == "_summary":
        if value not in SUMMARY_MODES:
            raise bad(name, value)
        query.summary = value
    elif name == "_elements":
        query.elements = [e.strip() for e in value.split(",") if e.strip()]
    elif name == "_sort":
        query.sort = [SortKey(k.removeprefix("-"), None, k.startswith("-")) for k in value.split(",") if k]
    elif name in ("_include", "_revinclude"):
        query.includes.append(_include(raw_name, value, strict))

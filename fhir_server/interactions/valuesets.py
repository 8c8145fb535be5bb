"""Token :in and :not-in: value sets expanded from the ValueSet and CodeSystem resources stored here.

Until the terminology service lands, a value set expands when its compose lists concepts, includes
whole code systems stored on this server, or imports other such value sets; anything needing
filters answers 400 (not-supported).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fhir_server.errors import Invalid
from fhir_server.model.json import loads
from fhir_server.search.query import AnyClause, ChainClause, Clause, HasClause, SearchQuery
from fhir_server.search.values_parse import TokenValue, UriValue
from fhir_server.storage.repository import SqlStorage

MAX_CODES = 10_000
_NOTHING = TokenValue("urn:fhir-server:none", "none")


def _by_url(storage: SqlStorage, type_name: str, url: str) -> dict[str, Any] | None:
    from fhir_server.search.registry import r4_registry

    param = r4_registry().get(type_name, "url")
    query = SearchQuery(type_name, [Clause("url", param, None, (url,))], count=1)
    page = storage.search(query)
    return loads(page.rows[0].content) if page.rows and page.rows[0].content else None


def _concepts(concepts: list[dict[str, Any]]) -> list[str]:
    codes = []
    for concept in concepts:
        if isinstance(concept.get("code"), str):
            codes.append(concept["code"])
        codes += _concepts(concept.get("concept", []))
    return codes


def _expand(storage: SqlStorage, url: str, depth: int = 0) -> set[tuple[str | None, str]]:
    value_set = _by_url(storage, "ValueSet", url) if depth < 5 else None
    if value_set is None:
        raise Invalid("bad-parameter", code="not-supported", name=":in", value=url)
    contains = value_set.get("expansion", {}).get("contains")
    if contains:
        return {(c.get("system"), c["code"]) for c in contains if isinstance(c.get("code"), str)}
    codes: set[tuple[str | None, str]] = set()
    for include in value_set.get("compose", {}).get("include", []):
        if include.get("filter"):
            raise Invalid("bad-parameter", code="not-supported", name=":in", value=url)
        system = include.get("system")
        if include.get("concept"):
            codes |= {(system, c["code"]) for c in include["concept"] if isinstance(c.get("code"), str)}
        elif system:
            code_system = _by_url(storage, "CodeSystem", system)
            if code_system is None:
                raise Invalid("bad-parameter", code="not-supported", name=":in", value=system)
            codes |= {(system, code) for code in _concepts(code_system.get("concept", []))}
        for imported in include.get("valueSet", []):
            codes |= _expand(storage, imported, depth + 1)
    if len(codes) > MAX_CODES:
        raise Invalid("bad-parameter", code="too-costly", name=":in", value=url)
    return codes


def _rewrite(storage: SqlStorage, clause: AnyClause) -> AnyClause:
    if isinstance(clause, ChainClause):
        return replace(clause, targets=tuple((t, _rewrite(storage, c)) for t, c in clause.targets))
    if isinstance(clause, HasClause):
        return replace(clause, inner=_rewrite(storage, clause.inner))
    if clause.modifier not in ("in", "not-in"):
        return clause
    codes: set[tuple[str | None, str]] = set()
    for url in clause.values:
        codes |= _expand(storage, str(url.text if isinstance(url, UriValue) else url))
    values = tuple(TokenValue(system, code) for system, code in sorted(codes, key=str)) or (_NOTHING,)
    return replace(clause, modifier="not" if clause.modifier == "not-in" else None, values=values)


def expand_in_modifiers(storage: SqlStorage, query: SearchQuery) -> None:
    """Replace :in / :not-in clauses by the codes of their value sets."""
    query.clauses = [_rewrite(storage, clause) for clause in query.clauses]

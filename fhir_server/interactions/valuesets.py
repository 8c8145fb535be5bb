"""Token :in, :not-in, :below and :above answered by the terminology service.

``code:in=<value set>`` becomes the codes of its expansion; ``code:below=system|code`` the code and
every code under it in the held code system's hierarchy (``:above`` the code and its ancestors), so
``Condition?code:below=http://hl7.org/fhir/sid/icd-10|J06`` matches J06, J06.0 … J06.9, and the
block J00-J06 matches its categories too. A held system without hierarchy answers 400; for an ICD-10
system the server does not hold, the storage's code-prefix rule still applies.
"""

from __future__ import annotations

from dataclasses import replace

from fhir_server.errors import FhirError, Invalid
from fhir_server.interactions.terminology_access import terminology
from fhir_server.search.query import AnyClause, ChainClause, Clause, HasClause, SearchQuery
from fhir_server.search.values_parse import TokenValue, UriValue
from fhir_server.storage.params.token import PREFIX_HIERARCHIES
from fhir_server.storage.repository import SqlStorage
from fhir_server.terminology.service import Terminology

MAX_CODES = 10_000
_NOTHING = TokenValue("urn:fhir-server:none", "none")
_MODIFIERS = frozenset({"in", "not-in", "below", "above"})


def _too_many(name: str, count: int) -> Invalid:
    return Invalid("terminology-codes-too-many", code="too-costly", name=name, count=count, limit=MAX_CODES)


def _value_set_codes(terms: Terminology, name: str, url: str) -> set[tuple[str | None, str]]:
    try:
        expansion = terms.expansion_of(url)
    except FhirError as exc:
        raise Invalid("bad-parameter", code="not-supported", name=name, value=url) from exc
    if len(expansion) > MAX_CODES:
        raise _too_many(name, len(expansion))
    return {(entry.system, entry.concept.code) for entry in expansion.entries}


def _hierarchy_codes(terms: Terminology, clause: Clause, value: TokenValue) -> set[tuple[str | None, str]] | None:
    """Codes at or below/above one system|code; None to leave the value to the storage's prefix rule."""
    name = f"{clause.name}:{clause.modifier}"
    if not value.system or not value.code:
        if value.system is None and value.code is not None:
            return None  # no system: the storage's code-prefix rule, as before
        raise Invalid("terminology-system-required", code="not-supported", modifier=clause.modifier)
    source = terms.code_system(value.system)
    if source is None or not source.has_hierarchy:
        if source is None and value.system in PREFIX_HIERARCHIES:
            return None
        raise Invalid("terminology-no-hierarchy", code="not-supported", system=value.system, modifier=clause.modifier)
    concept = source.get(value.code)
    if concept is None:
        return set()
    related = source.descendants(concept.code) if clause.modifier == "below" else source.ancestors(concept.code)
    if len(related) >= MAX_CODES:
        raise _too_many(name, len(related))
    return {(value.system, code) for code in (concept.code, *related)}


def _rewrite_hierarchy(terms: Terminology, clause: Clause) -> Clause:
    kept: list[TokenValue] = []
    codes: set[tuple[str | None, str]] = set()
    for value in clause.values:
        found = _hierarchy_codes(terms, clause, value) if isinstance(value, TokenValue) else None
        if found is None:
            kept.append(value)
        else:
            codes |= found
    if not codes and kept:
        return clause
    if kept:
        # Mixed values cannot share one modifier: the storage keeps the prefix rule only where asked.
        raise Invalid("terminology-no-hierarchy", code="not-supported", system=kept[0].system, modifier=clause.modifier)
    values = tuple(TokenValue(system, code) for system, code in sorted(codes, key=str)) or (_NOTHING,)
    return replace(clause, modifier=None, values=values)


def _rewrite(storage: SqlStorage, clause: AnyClause) -> AnyClause:
    if isinstance(clause, ChainClause):
        return replace(clause, targets=tuple((t, _rewrite(storage, c)) for t, c in clause.targets))
    if isinstance(clause, HasClause):
        return replace(clause, inner=_rewrite(storage, clause.inner))
    if clause.modifier not in _MODIFIERS or clause.param is None or clause.param.type != "token":
        return clause
    terms = terminology(storage)
    if clause.modifier in ("below", "above"):
        return _rewrite_hierarchy(terms, clause)
    codes: set[tuple[str | None, str]] = set()
    for url in clause.values:
        codes |= _value_set_codes(
            terms, f"{clause.name}:{clause.modifier}", str(url.text if isinstance(url, UriValue) else url)
        )
    # Elements of type code (Patient.gender) are indexed without a system: "" matches exactly those.
    codes |= {("", code) for _, code in codes}
    values = tuple(TokenValue(system, code) for system, code in sorted(codes, key=str)) or (_NOTHING,)
    return replace(clause, modifier="not" if clause.modifier == "not-in" else None, values=values)


def expand_in_modifiers(storage: SqlStorage, query: SearchQuery) -> None:
    """Replace token :in / :not-in / :below / :above clauses by the codes the terminology gives them."""
    query.clauses = [_rewrite(storage, clause) for clause in query.clauses]

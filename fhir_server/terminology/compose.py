"""ValueSet.compose -> the ordered concepts of the value set (include, exclude, filters, imports).

Filters (R4 filter-operator): ``=``, ``in``, ``not-in``, ``regex``, ``exists`` on any property
(``concept``/``code``, ``parent``, ``child``, ``inactive``, ``notSelectable``, ``display`` and the
code system's own), and the hierarchical ``is-a``, ``descendent-of``, ``is-not-a`` and
``generalizes`` on the concept itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from fhir_server.errors import Unprocessable
from fhir_server.terminology.codesystem import CodeSystemIndex, Concept, Designation

MAX_DEPTH = 8
_HIERARCHICAL = frozenset({"is-a", "descendent-of", "is-not-a", "generalizes"})
_SELF = frozenset({"concept", "code"})


@dataclass(frozen=True, slots=True)
class Entry:
    """One code of an expansion; ``source`` is None when the server does not hold its system."""

    system: str
    version: str | None
    concept: Concept
    source: CodeSystemIndex | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.system, self.concept.code)


@dataclass(slots=True)
class Composed:
    entries: list[Entry]
    complete: bool
    used_systems: dict[str, str | None]


class Resolver(Protocol):
    def code_system(self, url: str, version: str | None = None) -> CodeSystemIndex | None: ...

    def composed(self, value_set_url: str, depth: int) -> Composed: ...


def cannot_expand(reason: str, **params: Any) -> Unprocessable:
    """The 422 for a value set this server cannot expand."""
    return Unprocessable(reason, code="not-supported", **params)


def _codes_of(source: CodeSystemIndex, item: dict[str, Any]) -> set[str] | None:
    """The codes one filter selects, or None when it is a per-concept test (see ``_test``)."""
    prop, op, value = item.get("property"), item.get("op"), str(item.get("value", ""))
    if op not in _HIERARCHICAL:
        return None
    if prop not in _SELF:
        raise cannot_expand("terminology-filter-unsupported", property=prop, op=op)
    if op == "generalizes":
        return {value, *source.ancestors(value)} if value in source.concepts else set()
    below = source.descendants(value) if value in source.concepts else set()
    if op == "descendent-of":
        return below
    inside = below | ({value} if value in source.concepts else set())
    if op == "is-a":
        return inside
    return set(source.concepts) - inside


def _test(item: dict[str, Any]) -> Any:
    prop, op, value = str(item.get("property")), item.get("op"), str(item.get("value", ""))
    if op == "=":
        return lambda c: value in c.values(prop)
    if op in ("in", "not-in"):
        wanted = {v.strip() for v in value.split(",")}
        if op == "in":
            return lambda c: not wanted.isdisjoint(c.values(prop))
        return lambda c: wanted.isdisjoint(c.values(prop))
    if op == "regex":
        try:
            pattern = re.compile(value)
        except re.error:
            raise cannot_expand("terminology-filter-unsupported", property=prop, op=op) from None
        return lambda c: any(pattern.fullmatch(v) for v in c.values(prop))
    if op == "exists":
        present = value != "false"
        return lambda c: bool(c.values(prop)) == present
    raise cannot_expand("terminology-filter-unsupported", property=prop, op=op)


def select(source: CodeSystemIndex, filters: Iterable[Any]) -> list[Concept]:
    """The concepts of ``source`` passing every filter, in the code system's order."""
    allowed: set[str] | None = None
    tests = []
    for item in filters:
        if not isinstance(item, dict):
            continue
        codes = _codes_of(source, item)
        if codes is None:
            tests.append(_test(item))
        else:
            allowed = codes if allowed is None else allowed & codes
    concepts: Iterable[Concept]
    if allowed is not None and len(allowed) < len(source.concepts) // 4:
        concepts = sorted((source.concepts[c] for c in allowed), key=lambda c: c.ordinal)
    else:
        concepts = (c for c in source.in_order() if allowed is None or c.code in allowed)
    return [c for c in concepts if all(test(c) for test in tests)]


def _listed(source: CodeSystemIndex | None, items: list[Any]) -> list[Concept]:
    concepts = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("code"), str):
            continue
        known = source.get(item["code"]) if source is not None else None
        if known is None and source is not None and source.complete:
            continue  # not a code of the system: it cannot be in the value set
        extra = tuple(
            Designation(d.get("language"), d["value"], d.get("use"))
            for d in item.get("designation", [])
            if isinstance(d, dict) and isinstance(d.get("value"), str)
        )
        if known is None:
            concepts.append(Concept(item["code"], item.get("display"), designations=extra))
        elif item.get("display") or extra:
            # The value set may give its own display and designations for a code.
            concepts.append(
                replace(known, display=item.get("display") or known.display, designations=extra + known.designations)
            )
        else:
            concepts.append(known)
    return concepts


def _part(part: dict[str, Any], resolver: Resolver, depth: int) -> Composed:
    """The codes of one include or exclude element."""
    system = part.get("system")
    version = part.get("version")
    entries: list[Entry] | None = None
    complete = True
    used: dict[str, str | None] = {}
    if isinstance(system, str):
        source = resolver.code_system(system, version)
        if isinstance(part.get("concept"), list):
            concepts = _listed(source, part["concept"])
        elif source is None:
            raise cannot_expand("terminology-system-not-held", system=system)
        else:
            concepts = select(source, part.get("filter", []))
            complete = source.complete
        if source is not None:
            used[system] = source.version
        entries = [Entry(system, source.version if source else version, c, source) for c in concepts]
    for url in part.get("valueSet", []):
        imported = resolver.composed(str(url), depth + 1)
        complete = complete and imported.complete
        used.update(imported.used_systems)
        if entries is None:
            entries = list(imported.entries)
        else:
            keys = {e.key for e in imported.entries}
            entries = [e for e in entries if e.key in keys]
    return Composed(entries or [], complete, used)


def compose(value_set: dict[str, Any], resolver: Resolver, depth: int = 0) -> Composed:
    """The concepts of a value set from its compose (or its stored expansion when it has no compose)."""
    if depth > MAX_DEPTH:
        raise cannot_expand("terminology-valueset-cycle", url=value_set.get("url"))
    definition = value_set.get("compose")
    if not isinstance(definition, dict):
        return _from_expansion(value_set, resolver)
    ordered: dict[tuple[str, str], Entry] = {}
    complete = True
    used: dict[str, str | None] = {}
    for include in definition.get("include", []):
        part = _part(include, resolver, depth)
        complete = complete and part.complete
        used.update(part.used_systems)
        for entry in part.entries:
            ordered.setdefault(entry.key, entry)
    for exclude in definition.get("exclude", []):
        part = _part(exclude, resolver, depth)
        for entry in part.entries:
            ordered.pop(entry.key, None)
    entries = list(ordered.values())
    if definition.get("inactive") is False:
        entries = [e for e in entries if not e.concept.inactive]
    return Composed(entries, complete, used)


def _from_expansion(value_set: dict[str, Any], resolver: Resolver) -> Composed:
    expansion = value_set.get("expansion")
    if not isinstance(expansion, dict):
        raise cannot_expand("terminology-valueset-empty", url=value_set.get("url"))
    entries = []
    for item in _flatten(expansion.get("contains", [])):
        system, code = item.get("system"), item.get("code")
        if not isinstance(system, str) or not isinstance(code, str):
            continue
        source = resolver.code_system(system, item.get("version"))
        known = source.get(code) if source is not None else None
        concept = known or Concept(code, item.get("display"), inactive=item.get("inactive") is True)
        entries.append(Entry(system, item.get("version"), concept, source))
    total = expansion.get("total")
    return Composed(entries, not isinstance(total, int) or total <= len(entries), {})


def _flatten(items: Any) -> list[dict[str, Any]]:
    flat: list[dict[str, Any]] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            flat.append(item)
            flat += _flatten(item.get("contains"))
    return flat

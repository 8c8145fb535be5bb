"""The terminology held by one database at one moment: code systems, value sets, cached expansions.

A ``Terminology`` is immutable once built (the glue builds a new one when the stored resources
change), so requests share it without locks; only the expansion cache grows.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from fhir_server.errors import FhirError, NotFound
from fhir_server.model.profiles.port import ConceptInfo
from fhir_server.terminology.codesystem import CodeSystemIndex
from fhir_server.terminology.compose import Composed, compose
from fhir_server.terminology.expansion import Expansion


def split_canonical(url: str) -> tuple[str, str | None]:
    """'url|version' -> (url, version)."""
    base, _, version = url.partition("|")
    return base, version or None


class Terminology:
    """Code systems and value sets by canonical URL (newest first), by id, and expansions by version."""

    def __init__(self, code_systems: Iterable[CodeSystemIndex], value_sets: Iterable[dict[str, Any]]) -> None:
        self._systems: dict[str, list[CodeSystemIndex]] = {}
        self._system_ids: dict[str, CodeSystemIndex] = {}
        for source in code_systems:
            self._systems.setdefault(source.url, []).append(source)
            if source.resource_id:
                self._system_ids[source.resource_id] = source
        self._value_sets: dict[str, list[dict[str, Any]]] = {}
        self._value_set_ids: dict[str, dict[str, Any]] = {}
        for value_set in value_sets:
            if isinstance(value_set.get("url"), str):
                self._value_sets.setdefault(value_set["url"], []).append(value_set)
            if isinstance(value_set.get("id"), str):
                self._value_set_ids[value_set["id"]] = value_set
        self._expansions: dict[tuple[str | None, str | None, str | None], Expansion] = {}
        self._lock = threading.Lock()

    # Code systems ----------------------------------------------------------------------------
    def code_system(self, url: str, version: str | None = None) -> CodeSystemIndex | None:
        """The code system (this version, or the newest held)."""
        candidates = self._systems.get(url, [])
        if version is None:
            return candidates[0] if candidates else None
        return next((c for c in candidates if c.version == version), None)

    def code_system_by_id(self, res_id: str) -> CodeSystemIndex | None:
        return self._system_ids.get(res_id)

    def code_systems(self) -> list[CodeSystemIndex]:
        """Every held code system version."""
        return [source for versions in self._systems.values() for source in versions]

    # Value sets ------------------------------------------------------------------------------
    def value_set(self, url: str, version: str | None = None) -> dict[str, Any] | None:
        """The ValueSet resource for a canonical (``url`` may carry ``|version``)."""
        base, given = split_canonical(url)
        wanted = version or given
        candidates = self._value_sets.get(base, [])
        if wanted is None:
            return candidates[0] if candidates else None
        return next((v for v in candidates if v.get("version") == wanted), None)

    def value_set_by_id(self, res_id: str) -> dict[str, Any] | None:
        return self._value_set_ids.get(res_id)

    def expansion(self, value_set: dict[str, Any], depth: int = 0) -> Expansion:
        """The expansion of a held value set (cached) or of one sent by a client (computed each time)."""
        held = isinstance(value_set.get("id"), str) and self._value_set_ids.get(value_set["id"]) is value_set
        if not held:
            return Expansion(value_set.get("url"), value_set.get("version"), compose(value_set, self, depth))
        key = (value_set.get("id"), value_set.get("url"), value_set.get("version"))
        cached = self._expansions.get(key)
        if cached is None:
            built = Expansion(value_set.get("url"), value_set.get("version"), compose(value_set, self, depth))
            with self._lock:
                cached = self._expansions.setdefault(key, built)
        return cached

    def expansion_of(self, url: str, version: str | None = None) -> Expansion:
        """The expansion of the value set with this canonical (404 when it is not held)."""
        value_set = self.value_set(url, version)
        if value_set is None:
            raise NotFound("terminology-valueset-unknown", url=url)
        return self.expansion(value_set)

    def composed(self, value_set_url: str, depth: int) -> Composed:
        """Resolver hook for compose: an imported value set."""
        value_set = self.value_set(value_set_url)
        if value_set is None:
            raise NotFound("terminology-valueset-unknown", url=value_set_url)
        expansion = self.expansion(value_set, depth)
        return Composed(expansion.entries, expansion.complete, expansion.used_systems)

    # CodeLookup (fhir_server.model.profiles.port) ---------------------------------------------
    def concept(self, system: str, code: str) -> ConceptInfo | None:
        """The concept, or None when the system is not held or lacks the code."""
        source = self.code_system(system)
        found = source.get(code) if source is not None else None
        if source is None or found is None:
            return None
        return ConceptInfo(
            system=system,
            code=found.code,
            display=found.display,
            parents=tuple(found.parents),
            inactive=found.inactive,
            selectable=not found.abstract,
            leaf=not found.children,
            properties={name: tuple(v for _, v in values) for name, values in found.properties.items()},
        )

    def knows_system(self, system: str) -> bool:
        """True only when the held code system is complete: then a missing code is wrong."""
        source = self.code_system(system)
        return source is not None and source.complete

    def in_value_set(self, value_set: str, system: str | None, code: str) -> bool | None:
        """Whether the code is in the value set; None when that cannot be known here."""
        try:
            expansion = self.expansion_of(value_set)
        except FhirError:  # unknown, or not expandable here: no verdict
            return None
        if expansion.find(system, code) is not None:
            return True
        return False if expansion.complete else None

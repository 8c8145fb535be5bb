"""A CodeSystem resource as an in-memory index: concepts by code, hierarchy, properties, languages.

The hierarchy comes from nested ``concept`` elements and/or the ``parent`` / ``child`` properties
(http://hl7.org/fhir/concept-properties), whatever it means (ICD-10 is-a, ec-dpa part-of): both
serve subsumption, ``is-a`` filters and the ``:below`` / ``:above`` search modifiers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fhir_server.search.values import fold

CONCEPT_PROPERTIES = "http://hl7.org/fhir/concept-properties#"
_INACTIVE_STATUSES = frozenset({"retired", "inactive"})


@dataclass(frozen=True, slots=True)
class Designation:
    language: str | None
    value: str
    use: dict[str, Any] | None = None


@dataclass(slots=True)
class Concept:
    """One concept; ``properties`` keeps each value with its FHIR type (``valueCode``, ``valueBoolean`` …)."""

    code: str
    display: str | None
    definition: str | None = None
    designations: tuple[Designation, ...] = ()
    properties: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)
    parents: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    inactive: bool = False
    abstract: bool = False
    ordinal: int = 0

    def values(self, name: str) -> list[str]:
        """The values of a property as text, for filters; ``concept``/``code``, ``parent`` and ``child`` included."""
        if name in ("concept", "code"):
            return [self.code]
        if name == "parent":
            return list(self.parents)
        if name == "child":
            return list(self.children)
        if name == "inactive":
            return ["true" if self.inactive else "false"]
        if name == "notSelectable":
            return ["true" if self.abstract else "false"]
        if name == "display":
            return [self.display] if self.display else []
        return [as_text(value) for _, value in self.properties.get(name, [])]


def as_text(value: Any) -> str:
    """A property value as filters compare it: booleans as true/false, Codings by code."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return str(value.get("code", ""))
    return str(value)


def _language_matches(wanted: str, language: str | None) -> bool:
    if not language:
        return False
    wanted, language = wanted.lower(), language.lower()
    return language == wanted or language.split("-")[0] == wanted.split("-")[0]


class CodeSystemIndex:
    """The concepts of one CodeSystem version, read-only once built."""

    def __init__(self, resource: dict[str, Any]) -> None:
        self.resource_id: str | None = resource.get("id")
        self.url: str = str(resource.get("url") or "")
        self.version: str | None = resource.get("version")
        self.name: str | None = resource.get("name") or resource.get("title")
        self.title: str | None = resource.get("title")
        self.content: str = str(resource.get("content") or "complete")
        self.language: str | None = resource.get("language")
        self.hierarchy_meaning: str | None = resource.get("hierarchyMeaning")
        self.case_sensitive: bool = resource.get("caseSensitive", True) is not False
        self.property_types: dict[str, str] = {
            p["code"]: str(p.get("type", "string"))
            for p in resource.get("property", [])
            if isinstance(p, dict) and isinstance(p.get("code"), str)
        }
        self._parent_names, self._child_names = self._hierarchy_properties(resource)
        self.concepts: dict[str, Concept] = {}
        self.order: list[str] = []
        self._folded: dict[str, str] = {}
        self._add_all(resource.get("concept", []), None)
        self._link()
        self.has_hierarchy = any(c.parents for c in self.concepts.values())

    @staticmethod
    def _hierarchy_properties(resource: dict[str, Any]) -> tuple[set[str], set[str]]:
        parents, children = {"parent"}, {"child"}
        for prop in resource.get("property", []):
            if not isinstance(prop, dict):
                continue
            if prop.get("uri") == CONCEPT_PROPERTIES + "parent":
                parents.add(str(prop.get("code")))
            elif prop.get("uri") == CONCEPT_PROPERTIES + "child":
                children.add(str(prop.get("code")))
        return parents, children

    @property
    def complete(self) -> bool:
        """True when the resource holds every code of the system (absence then proves a code wrong)."""
        return self.content == "complete"

    def _add_all(self, items: Any, parent: str | None) -> None:
        if not isinstance(items, list):
            return
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("code"), str):
                continue
            concept = self._concept(item)
            if parent is not None and parent not in concept.parents:
                concept.parents.append(parent)
            self._add_all(item.get("concept"), concept.code)

    def _concept(self, item: dict[str, Any]) -> Concept:
        code = item["code"]
        concept = self.concepts.get(code)
        if concept is None:
            concept = Concept(code, item.get("display"), item.get("definition"), ordinal=len(self.order))
            self.concepts[code] = concept
            self.order.append(code)
            self._folded.setdefault(code.casefold(), code)
        designations = [
            Designation(d.get("language"), d["value"], d.get("use"))
            for d in item.get("designation", [])
            if isinstance(d, dict) and isinstance(d.get("value"), str)
        ]
        concept.designations += tuple(designations)
        for prop in item.get("property", []):
            if not isinstance(prop, dict) or not isinstance(prop.get("code"), str):
                continue
            kind, value = next(((k, v) for k, v in prop.items() if k.startswith("value")), ("valueString", None))
            if value is None:
                continue
            name = prop["code"]
            if name in self._parent_names:
                concept.parents.append(as_text(value))
            elif name in self._child_names:
                concept.children.append(as_text(value))
            else:
                concept.properties.setdefault(name, []).append((kind, value))
            if name == "inactive" and value is True:
                concept.inactive = True
            if name == "status" and value in _INACTIVE_STATUSES:
                concept.inactive = True
            if name in ("notSelectable", "abstract") and value is True:
                concept.abstract = True
        return concept

    def _link(self) -> None:
        """Make parents and children agree both ways, dropping links to codes the system lacks."""
        for concept in self.concepts.values():
            concept.parents = [p for p in dict.fromkeys(concept.parents) if p in self.concepts and p != concept.code]
            for child in concept.children:
                other = self.concepts.get(child)
                if other is not None and concept.code not in other.parents:
                    other.parents.append(concept.code)
            concept.children = []
        for code in self.order:
            for parent in self.concepts[code].parents:
                self.concepts[parent].children.append(code)

    # Questions ----------------------------------------------------------------------------
    def get(self, code: str) -> Concept | None:
        """The concept with this code (case-insensitively when the system says so)."""
        concept = self.concepts.get(code)
        if concept is None and not self.case_sensitive:
            real = self._folded.get(code.casefold())
            concept = self.concepts.get(real) if real is not None else None
        return concept

    def descendants(self, code: str) -> set[str]:
        """Every code below ``code`` (not itself)."""
        found: set[str] = set()
        pending = list(self.concepts[code].children) if code in self.concepts else []
        while pending:
            child = pending.pop()
            if child not in found:
                found.add(child)
                pending.extend(self.concepts[child].children)
        return found

    def ancestors(self, code: str) -> set[str]:
        """Every code above ``code`` (not itself)."""
        found: set[str] = set()
        pending = list(self.concepts[code].parents) if code in self.concepts else []
        while pending:
            parent = pending.pop()
            if parent not in found:
                found.add(parent)
                pending.extend(self.concepts[parent].parents)
        return found

    def subsumes(self, code_a: str, code_b: str) -> str:
        """equivalent | subsumes (A is above B) | subsumed-by | not-subsumed."""
        if code_a == code_b:
            return "equivalent"
        if code_a in self.ancestors(code_b):
            return "subsumes"
        if code_b in self.ancestors(code_a):
            return "subsumed-by"
        return "not-subsumed"

    def in_order(self) -> Iterator[Concept]:
        """Every concept in the order of the resource (depth first for nested concepts)."""
        for code in self.order:
            yield self.concepts[code]

    def display_for(self, concept: Concept, language: str | None) -> str | None:
        """The display in ``language``: the concept's display in the system's language, else a designation."""
        if not language or (_language_matches(language, self.language or "en") and concept.display):
            return concept.display
        for designation in concept.designations:
            if _language_matches(language, designation.language):
                return designation.value
        return concept.display

    def display_matches(self, concept: Concept, display: str) -> bool:
        """Whether a display sent by a client is one of the concept's (case, accents and spacing ignored)."""
        wanted = " ".join(fold(display).split())
        texts = [concept.display or "", *(d.value for d in concept.designations)]
        return any(" ".join(fold(text).split()) == wanted for text in texts if text)

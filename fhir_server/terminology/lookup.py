"""$lookup and $subsumes on a held code system, answered as R4 Parameters.

https://hl7.org/fhir/R4/codesystem-operation-lookup.html
https://hl7.org/fhir/R4/codesystem-operation-subsumes.html
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from fhir_server.errors import Invalid, NotFound
from fhir_server.terminology.codesystem import CodeSystemIndex, Concept
from fhir_server.terminology.service import Terminology


def parameters(*items: dict[str, Any] | None) -> dict[str, Any]:
    """A Parameters resource from its (non-empty) parameters."""
    return {"resourceType": "Parameters", "parameter": [p for p in items if p]}


def held_system(terms: Terminology, system: str | None, version: str | None = None) -> CodeSystemIndex:
    """The code system, or 404 when this server does not hold it (400 when none is named)."""
    if not system:
        raise Invalid("operation-parameter", code="required", name="system")
    source = terms.code_system(system, version)
    if source is None:
        raise NotFound("terminology-system-unknown", system=system if not version else f"{system}|{version}")
    return source


def _property(name: str, kind: str, value: Any, description: str | None = None) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"name": "code", "valueCode": name}, {"name": "value", kind: value}]
    if description:
        parts.append({"name": "description", "valueString": description})
    return {"name": "property", "part": parts}


def _designations(concept: Concept) -> list[dict[str, Any]]:
    found = []
    for designation in concept.designations:
        parts: list[dict[str, Any]] = []
        if designation.language:
            parts.append({"name": "language", "valueCode": designation.language})
        if designation.use:
            parts.append({"name": "use", "valueCoding": designation.use})
        parts.append({"name": "value", "valueString": designation.value})
        found.append({"name": "designation", "part": parts})
    return found


def lookup(
    terms: Terminology,
    system: str | None,
    code: str | None,
    *,
    version: str | None = None,
    language: str | None = None,
    properties: Collection[str] = (),
) -> dict[str, Any]:
    """Display (in ``language``), designations and properties (parent and child codes included) of a code."""
    source = held_system(terms, system, version)
    if not code:
        raise Invalid("operation-parameter", code="required", name="code")
    concept = source.get(code)
    if concept is None:
        raise NotFound("terminology-code-unknown", value=code, system=source.url)
    wanted = set(properties)

    def asked(name: str) -> bool:
        return not wanted or name in wanted

    props: list[dict[str, Any]] = []
    if asked("parent"):
        props += [
            _property("parent", "valueCode", p, source.display_for(source.concepts[p], language))
            for p in concept.parents
        ]
    if asked("child"):
        props += [
            _property("child", "valueCode", c, source.display_for(source.concepts[c], language))
            for c in concept.children
        ]
    if asked("inactive"):
        props.append(_property("inactive", "valueBoolean", concept.inactive))
    if concept.abstract and asked("notSelectable") and "notSelectable" not in concept.properties:
        props.append(_property("notSelectable", "valueBoolean", True))
    for name, values in concept.properties.items():
        if asked(name):
            props += [_property(name, kind, value) for kind, value in values]
    return parameters(
        {"name": "name", "valueString": source.name or source.url},
        {"name": "version", "valueString": source.version} if source.version else None,
        {"name": "display", "valueString": source.display_for(concept, language) or concept.code},
        {"name": "definition", "valueString": concept.definition} if concept.definition else None,
        *_designations(concept) if asked("designation") or not wanted else (),
        *props,
    )


def subsumes(
    terms: Terminology, system: str | None, code_a: str | None, code_b: str | None, version: str | None = None
) -> dict[str, Any]:
    """How code A relates to code B: equivalent, subsumes, subsumed-by or not-subsumed."""
    source = held_system(terms, system, version)
    found = []
    for name, code in (("codeA", code_a), ("codeB", code_b)):
        if not code:
            raise Invalid("operation-parameter", code="required", name=name)
        concept = source.get(code)
        if concept is None:
            raise Invalid(
                "terminology-code-unknown", code="code-invalid", expression=[name], value=code, system=source.url
            )
        found.append(concept.code)
    return parameters({"name": "outcome", "valueCode": source.subsumes(found[0], found[1])})

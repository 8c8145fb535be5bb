"""The patients a resource belongs to: itself for a Patient, else the patients its compartment parameters reference."""

from __future__ import annotations

from functools import cache
from typing import Any

from fhir_server.model.references import RefKind, parse_reference
from fhir_server.search.compartments import PATIENT_COMPARTMENT
from fhir_server.search.expressions import Extractor, compile_expression
from fhir_server.search.registry import r4_registry


@cache
def _extractors(type_name: str) -> tuple[Extractor, ...]:
    registry = r4_registry()
    found = []
    for code in PATIENT_COMPARTMENT.get(type_name, ()):
        param = registry.get(type_name, code)
        if param is not None and param.expression:
            found.append(compile_expression(param.expression))
    return tuple(found)


def patients_of(resource: dict[str, Any]) -> frozenset[str]:
    """Ids of the patients in whose compartment the resource is (relative ``Patient/id`` references)."""
    type_name = resource.get("resourceType", "")
    if type_name == "Patient":
        return frozenset({resource["id"]}) if isinstance(resource.get("id"), str) else frozenset()
    found: set[str] = set()
    for extract in _extractors(type_name):
        for value, _type in extract((resource, type_name)):
            reference = value.get("reference") if isinstance(value, dict) else None
            ref = parse_reference(reference) if isinstance(reference, str) else None
            if ref is not None and ref.kind is RefKind.RELATIVE and ref.type == "Patient" and ref.id:
                found.add(ref.id)
    return frozenset(found)


def in_patient_compartment(type_name: str) -> bool:
    """True when resources of this type can belong to a patient's record."""
    return type_name == "Patient" or type_name in PATIENT_COMPARTMENT

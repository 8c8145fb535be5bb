"""The product's search parameter registry and Patient compartment match the R4 definitions."""

from __future__ import annotations

import json

from fhir_server.model.canonical import CANONICAL_BASE
from fhir_server.model.r4_types import SERVED_TYPES
from fhir_server.search.compartments import PATIENT_COMPARTMENT
from fhir_server.search.expressions import is_compiled
from fhir_server.search.registry import (
    AUDIT_PARAMETERS,
    SEARCH_PARAMETER_BASE,
    clinic_search_parameters,
    expression_for,
    r4_registry,
)


def _definitions(r4_spec):
    bundle = json.loads((r4_spec / "search-parameters.json").read_text())
    return [entry["resource"] for entry in bundle["entry"]]


def test_every_definition_of_every_served_type_matches(r4_spec):
    registry = r4_registry()
    mismatches: list[tuple[object, ...]] = []
    checked = 0
    for definition in _definitions(r4_spec):
        for base in definition["base"]:
            types = sorted(SERVED_TYPES) if base in ("Resource", "DomainResource") else [base]
            for type_name in types:
                if type_name not in SERVED_TYPES:
                    continue
                checked += 1
                ours = registry.get(type_name, definition["code"])
                if ours is None:
                    limited = AUDIT_PARAMETERS.get(type_name)
                    if limited is None or definition["code"] in limited:
                        mismatches.append((type_name, definition["code"], "missing"))
                    continue
                expected_expression = definition.get("expression")
                if base in ("Resource", "DomainResource") and expected_expression:
                    expected_expression = expected_expression.replace(base, type_name, 1)
                else:
                    expected_expression = expression_for(expected_expression, type_name)
                expected = (
                    SEARCH_PARAMETER_BASE + definition["id"],
                    definition["type"],
                    expected_expression,
                    tuple(definition.get("target", ())),
                    tuple((c["definition"], c["expression"]) for c in definition.get("component", ())),
                )
                got = (ours.url, ours.type, ours.expression, ours.targets, ours.components)
                if got != expected:
                    mismatches.append((type_name, definition["code"], got, expected))
    assert not mismatches, "\n".join(map(str, mismatches[:20]))
    assert checked > 2000


def test_no_extra_parameters_but_the_clinic_ones(r4_spec):
    codes = {(b, d["code"]) for d in _definitions(r4_spec) for b in d["base"]}
    clinic = {(b, str(d["code"])) for d in clinic_search_parameters() for b in d["base"]}  # type: ignore[attr-defined]
    registry = r4_registry()
    for type_name in SERVED_TYPES:
        for code in registry.for_type(type_name):
            known = (type_name, code) in codes or ("Resource", code) in codes or ("DomainResource", code) in codes
            assert known or (type_name, code) in clinic, (type_name, code)


def test_clinic_parameters_do_not_shadow_r4_ones(r4_spec):
    codes = {(b, d["code"]) for d in _definitions(r4_spec) for b in d["base"]}
    for definition in clinic_search_parameters():
        assert str(definition["url"]).startswith(CANONICAL_BASE)
        for base in definition["base"]:  # type: ignore[attr-defined]
            assert (base, definition["code"]) not in codes


def test_every_expression_compiles_but_one():
    registry = r4_registry()
    fallbacks = {
        p.expression
        for t in SERVED_TYPES
        for p in registry.for_type(t).values()
        if p.expression and not is_compiled(p.expression)
    }
    # The one R4 expression outside the compiled subset runs on fhirpathpy.
    assert fallbacks == {"Patient.deceased.exists() and Patient.deceased != false"}


def test_every_composite_component_compiles():
    registry = r4_registry()
    components = {
        expression
        for t in SERVED_TYPES
        for p in registry.for_type(t).values()
        if p.type == "composite"
        for _, expression in p.components
    }
    # Unions of relative paths and FHIRPath system types (value.as(DateTime) | value.as(Period)) included.
    assert {"value.as(DateTime) | value.as(Period)", "value.as(Quantity) | value.as(Range)"} <= components
    outside = {e for e in components if not is_compiled(e, relative=True)}
    # MolecularSequence's components read %resource (they index nothing).
    assert outside == {"%resource.referenceSeq.chromosome", "%resource.referenceSeq.referenceSeqId"}


def test_patient_compartment_matches_r4(r4_spec):
    definition = json.loads((r4_spec / "compartmentdefinition-patient.json").read_text())
    expected = {
        r["code"]: tuple(r.get("param", ()))
        for r in definition["resource"]
        if r.get("param") and r["code"] in SERVED_TYPES
    }
    assert expected == PATIENT_COMPARTMENT

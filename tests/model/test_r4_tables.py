"""The product's own R4 facts (served types, required codes) checked against the official definitions."""

from __future__ import annotations

from fhir_server.model.elements import Element, Kind, elements_of
from fhir_server.model.r4_types import R4_ONLY_TYPES, SERVED_TYPES
from tests.model.spec import datatype_names, r4_resource_types, required_bindings

OBSERVATION_STATUS = {
    "registered",
    "preliminary",
    "final",
    "amended",
    "corrected",
    "cancelled",
    "entered-in-error",
    "unknown",
}
# Where the bundled definitions cannot decide, with the reason.
KNOWN = {
    # The bundle's detectedissue-status ValueSet is R5's (version 5.0.0); R4 binds ObservationStatus.
    "DetectedIssue.status": OBSERVATION_STATUS,
    # v3 ConfidentialityClassification (2014-03-26) is defined by a filter the bundle cannot expand.
    "Composition.confidentiality": {"U", "L", "M", "N", "R", "V"},
}
NOT_ENFORCED = {
    # SPDX licence list (hundreds of codes) on an element no clinic writes.
    "ImplementationGuide.license",
}


def test_served_types_are_r4_minus_the_r4_only_ones(r4_spec):
    r4 = r4_resource_types(r4_spec)
    assert len(R4_ONLY_TYPES) == 18
    assert r4 == SERVED_TYPES | R4_ONLY_TYPES
    assert not SERVED_TYPES & R4_ONLY_TYPES


def _coded_elements(r4_spec):
    """(model class, element name) -> (Element, every FHIR path it appears at).

    Served resources and R4 data types are walked; a backbone reached again inside itself
    (Composition.section.section) is not re-entered. R4 defines a reused backbone once and
    refers to it elsewhere, so a class matches when any of its paths carries the binding.
    """
    datatypes = datatype_names(r4_spec)
    found: dict[tuple[str, str], tuple[Element, list[str]]] = {}

    def walk(type_name, path, branch):
        for name, element in elements_of(type_name).items():
            child = f"{path}.{name}"
            if element.kind is Kind.PRIMITIVE:
                found.setdefault((type_name, name), (element, []))[1].append(child)
            elif (
                element.kind is Kind.COMPLEX and element.type_name not in datatypes and element.type_name not in branch
            ):
                walk(element.type_name, child, (*branch, element.type_name))

    for type_name in sorted(SERVED_TYPES):
        walk(type_name, type_name, (type_name,))
    for type_name in sorted(datatypes):
        try:
            elements_of(type_name)
        except (ValueError, KeyError):
            continue  # primitive types have no model class
        walk(type_name, type_name, (type_name,))
    return found


def test_required_code_lists_match_r4(r4_spec):
    bindings = required_bindings(r4_spec)
    mismatches: list[tuple[object, ...]] = []
    coded = _coded_elements(r4_spec)
    for (owner, name), (element, paths) in coded.items():
        ours = set(element.codes) if element.codes is not None else None
        if any(p in NOT_ENFORCED for p in paths):
            continue
        known = [KNOWN[p] for p in paths if p in KNOWN]
        bound = [p for p in paths if p in bindings]
        expected: set[str] | None
        if known:
            expected = known[0]
        elif bound:
            expected = bindings[bound[0]]
            if expected is None:  # not listable here (e.g. BCP-13 mime types): we must not invent a list
                if ours is not None:
                    mismatches.append((f"{owner}.{name}", "enforces a list R4 cannot give", sorted(ours)))
                continue
        else:
            expected = None
        if ours != expected:
            mismatches.append((f"{owner}.{name}", paths[0], sorted(ours or []), sorted(expected or [])))
    assert not mismatches, "\n".join(map(str, mismatches))
    assert len(coded) > 1000  # the walk really covered the model


def test_the_truncated_lists_are_complete():
    assert elements_of("Observation")["status"].codes == frozenset(OBSERVATION_STATUS)
    assert "entered-in-error" in (elements_of("Encounter")["status"].codes or ())
    assert "entered-in-error" in (elements_of("EncounterStatusHistory")["status"].codes or ())
    assert "completed" in (elements_of("Task")["status"].codes or ())

"""Which profile applies to what, which URLs are known, and how unknown or mismatched ones are treated."""

from __future__ import annotations

import pytest

from fhir_server.model import canonical as c
from fhir_server.model.profiles import clinic_profile_for, known_profile, validate_against
from fhir_server.model.profiles.registry import ALL
from tests.model.profiles.support import PATIENT, MemoryPort, coded, fresh, vital

HL7 = "http://hl7.org/fhir/StructureDefinition/"


@pytest.mark.parametrize(
    ("resource", "profile"),
    [
        ({"resourceType": "Patient"}, c.PROFILE_PATIENT),
        ({"resourceType": "Practitioner"}, c.PROFILE_PRACTITIONER),
        ({"resourceType": "PractitionerRole"}, c.PROFILE_PRACTITIONER_ROLE),
        ({"resourceType": "Organization"}, c.PROFILE_ORGANIZATION),
        ({"resourceType": "Location", "physicalType": coded(c.LOCATION_PHYSICAL_TYPE, "ro")}, c.PROFILE_CONSULTORIO),
        ({"resourceType": "Location"}, c.PROFILE_CONSULTORIO),
        ({"resourceType": "Location", "physicalType": coded(c.LOCATION_PHYSICAL_TYPE, "bu")}, None),
        ({"resourceType": "Encounter"}, c.PROFILE_ENCOUNTER),
        ({"resourceType": "ClinicalImpression"}, c.PROFILE_EVOLUCION),
        ({"resourceType": "Condition"}, c.PROFILE_DIAGNOSTICO),
        ({"resourceType": "MedicationRequest"}, c.PROFILE_PRESCRIPCION),
        ({"resourceType": "FamilyMemberHistory"}, c.PROFILE_ANTECEDENTE_FAMILIAR),
        ({"resourceType": "MedicationKnowledge"}, c.PROFILE_MEDICAMENTO),
        ({"resourceType": "Observation", "code": coded(c.LOINC, "882-1")}, None),
        ({"resourceType": "Appointment"}, None),
    ],
)
def test_clinic_profile_for(resource, profile):
    assert clinic_profile_for(resource) == profile


@pytest.mark.parametrize("loinc", sorted(c.VITAL_SIGNS))
def test_clinic_profile_for_vital_signs(loinc):
    observation = {
        "resourceType": "Observation",
        "code": {"coding": [{"system": "urn:x", "code": "t"}, *coded(c.LOINC, loinc)["coding"]]},
    }
    assert clinic_profile_for(observation) == c.structure_definition(c.VITAL_SIGNS[loinc][1])
    assert known_profile(clinic_profile_for(observation) or "")
    assert known_profile(HL7 + c.VITAL_SIGNS[loinc][0])


def test_known_profiles():
    assert known_profile(c.PROFILE_PATIENT)
    assert known_profile(c.PROFILE_PATIENT + "|1.0.0")
    assert known_profile(c.HL7_VITAL_SIGNS)
    assert not known_profile(c.EXT_GRUPO_CULTURAL)  # an extension, not a resource profile
    assert not known_profile("http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient")
    assert not known_profile(HL7 + "Patient")


def test_unknown_profiles_are_not_an_error():
    patient = fresh(PATIENT)
    del patient["gender"]
    assert validate_against(patient, ["http://example.org/StructureDefinition/other"], MemoryPort()) == []
    assert [
        i.message
        for i in validate_against(patient, ["http://example.org/x", c.PROFILE_PATIENT + "|1.0.0"], MemoryPort())
    ] == ["prof-gender-required"]


def test_profile_for_another_type():
    issues = validate_against(fresh(PATIENT), [c.structure_definition("ec-bodytemp")], MemoryPort())
    assert [(i.message, i.expression[0], i.params["expected"]) for i in issues] == [
        ("prof-resource-type", "Patient", "Observation")
    ]


def test_claiming_clinic_and_hl7_profiles_reports_each_problem_once():
    observation = vital("8310-5", 46, "°C", "Cel", effectiveDateTime="2024")
    urls = [c.structure_definition("ec-bodytemp"), HL7 + "bodytemp", c.HL7_VITAL_SIGNS]
    assert sorted(i.message for i in validate_against(observation, urls, MemoryPort())) == ["prof-range", "prof-vs-1"]


def test_every_profile_compiles_and_reports_on_an_empty_resource():
    for profile in ALL:
        if profile.kind != "resource":
            continue
        issues = validate_against({"resourceType": profile.type}, [profile.url], MemoryPort())
        assert all(i.expression and i.expression[0].startswith(profile.type) for i in issues), profile.id

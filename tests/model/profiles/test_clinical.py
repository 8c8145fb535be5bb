"""Encounter, evolución (ClinicalImpression), CIE-10 diagnosis, prescription, family history, catalogue."""

from __future__ import annotations

from typing import Any

import pytest

from fhir_server.i18n import translate
from fhir_server.model import canonical as c
from fhir_server.model.profiles import validate_against
from tests.model.profiles.support import MemoryPort, by_expression, coded, fresh, rendered

ENCOUNTER = {
    "resourceType": "Encounter",
    "status": "in-progress",
    "class": {"system": c.V3_ACT, "code": "AMB"},
    "subject": {"reference": "Patient/p1"},
    "participant": [{"individual": {"reference": "PractitionerRole/dr"}}],
    "appointment": [{"reference": "Appointment/a1"}],
    "reasonCode": [{"text": "Dolor de garganta desde hace tres días"}],
    "diagnosis": [{"condition": {"reference": "Condition/dx1"}}],
}

EVOLUCION = {
    "resourceType": "ClinicalImpression",
    "status": "completed",
    "subject": {"reference": "Patient/p1"},
    "encounter": {"reference": "Encounter/e1"},
    "date": "2024-05-02T10:00:00-05:00",
    "description": "Odinofagia y fiebre de 38 °C.",
    "investigation": [
        {
            "code": {"text": "Signos vitales y antecedentes"},
            "item": [{"reference": "Observation/panel"}, {"reference": "FamilyMemberHistory/f1"}],
        }
    ],
    "problem": [{"reference": "Condition/dx1"}],
    "finding": [{"itemReference": {"reference": "Condition/dx1"}}],
    "note": [{"text": "Hipertensión desde 2015."}],
}

DIAGNOSIS = {
    "resourceType": "Condition",
    "clinicalStatus": coded(c.CONDITION_CLINICAL, "active"),
    "verificationStatus": coded(c.CONDITION_VERIFICATION, "confirmed"),
    "category": [coded(c.CONDITION_CATEGORY, "encounter-diagnosis")],
    "code": {"coding": [{"system": c.ICD10, "code": "J06.9"}], "text": "Infección aguda de las vías respiratorias"},
    "subject": {"reference": "Patient/p1"},
    "encounter": {"reference": "Encounter/e1"},
}

PRESCRIPTION = {
    "resourceType": "MedicationRequest",
    "status": "active",
    "intent": "order",
    "medicationCodeableConcept": {"text": "Paracetamol 500 mg tableta"},
    "subject": {"reference": "Patient/p1"},
    "encounter": {"reference": "Encounter/e1"},
    "dosageInstruction": [
        {
            "text": "1 tableta vía oral cada 8 horas durante 3 días",
            "route": coded(c.SNOMED, "26643006"),
            "timing": {"repeat": {"frequency": 1, "period": 8, "periodUnit": "h"}},
        }
    ],
}

FAMILY = {
    "resourceType": "FamilyMemberHistory",
    "status": "completed",
    "patient": {"reference": "Patient/p1"},
    "relationship": coded(c.V3_ROLE, "FAMMEMB"),
    "condition": [{"code": {"coding": [{"system": c.SNOMED, "code": "73211009"}], "text": "Diabetes"}}],
}

MEDICINE = {
    "resourceType": "MedicationKnowledge",
    "status": "active",
    "code": {"text": "Paracetamol"},
    "synonym": ["Tempra", "Panadol"],
    "doseForm": {"text": "tableta"},
    "intendedRoute": [coded(c.SNOMED, "26643006")],
    "medicineClassification": [
        {"type": {"text": "categoría"}, "classification": [coded(c.CS_MEDICAMENTO_CATEGORIA, "analgesicos")]}
    ],
}


def cie10(*, complete: bool = True, value_set: bool = False) -> MemoryPort:
    """A synthetic CIE-10 fragment: a chapter, a block, a category with subcategories, a leaf category."""
    port = MemoryPort()
    port.add(c.ICD10, "X", display="Enfermedades del sistema respiratorio", selectable=False, leaf=False)
    port.add(
        c.ICD10,
        "J00-J06",
        display="Infecciones agudas de las vías respiratorias superiores",
        selectable=False,
        leaf=False,
    )
    port.add(c.ICD10, "J06", display="Infecciones agudas de las vías respiratorias superiores", leaf=False)
    port.add(
        c.ICD10,
        "J06.9",
        display="Infección aguda de las vías respiratorias superiores, no especificada",
        parents=("J06",),
    )
    port.add(c.ICD10, "J00", display="Rinofaringitis aguda")
    port.add(c.ICD10, "A15.9", display="Tuberculosis respiratoria", inactive=True)
    if complete:
        port.complete.add(c.ICD10)
    if value_set:
        port.value_sets[c.VS_CIE10_DIAGNOSIS] = {(c.ICD10, "J06.9"), (c.ICD10, "J00")}
    return port


def test_valid_clinical_resources():
    port = cie10()
    cases = [
        (ENCOUNTER, c.PROFILE_ENCOUNTER),
        (EVOLUCION, c.PROFILE_EVOLUCION),
        (DIAGNOSIS, c.PROFILE_DIAGNOSTICO),
        (PRESCRIPTION, c.PROFILE_PRESCRIPCION),
        (FAMILY, c.PROFILE_ANTECEDENTE_FAMILIAR),
        (MEDICINE, c.PROFILE_MEDICAMENTO),
    ]
    for resource, profile in cases:
        assert validate_against(fresh(resource), [profile], port) == [], profile


def test_encounter_rules():
    encounter = fresh(ENCOUNTER)
    encounter["class"] = {"system": c.V3_ACT, "code": "IMP"}
    encounter["reasonCode"] = [{"coding": [{"system": c.SNOMED, "code": "162397003"}]}]
    del encounter["subject"]
    encounter["diagnosis"][0]["condition"] = {"reference": "Procedure/p1"}
    issues = validate_against(encounter, [c.PROFILE_ENCOUNTER], MemoryPort())
    assert sorted((i.message, i.expression[0]) for i in issues) == [
        ("prof-pattern", "Encounter.class"),
        ("prof-reference-type", "Encounter.diagnosis[0].condition.reference"),
        ("prof-required", "Encounter.reasonCode[0].text"),
        ("prof-required", "Encounter.subject"),
    ]


def test_evolucion_rules():
    evolucion = fresh(EVOLUCION)
    del evolucion["encounter"]
    evolucion["investigation"][0]["item"].append({"reference": "Patient/p1"})
    evolucion["investigation"].append({"code": {"text": "vacío"}})
    evolucion["problem"] = [{"reference": "Observation/o1"}]
    issues = validate_against(evolucion, [c.PROFILE_EVOLUCION], MemoryPort())
    assert sorted((i.message, i.expression[0]) for i in issues) == [
        ("prof-reference-type", "ClinicalImpression.investigation[0].item[2].reference"),
        ("prof-reference-type", "ClinicalImpression.problem[0].reference"),
        ("prof-required", "ClinicalImpression.encounter"),
        ("prof-required", "ClinicalImpression.investigation[1].item"),
    ]


def _diagnosis(code: str) -> dict[str, Any]:
    diagnosis = fresh(DIAGNOSIS)
    diagnosis["code"]["coding"][0]["code"] = code
    return diagnosis


def test_unknown_cie10_code():
    issues = validate_against(_diagnosis("J99.99"), [c.PROFILE_DIAGNOSTICO], cie10())
    assert rendered(issues) == [
        ("error", "Condition.code.coding[0].code", "Condition.code.coding[0].code: el código CIE-10 J99.99 no existe")
    ]
    assert issues[0].params["rule"] == "ec-dx-1"


def test_grouping_cie10_code_suggests_a_subcategory():
    issues = validate_against(_diagnosis("J06"), [c.PROFILE_DIAGNOSTICO], cie10())
    assert [(i.message, i.expression[0]) for i in issues] == [("prof-cie10-grouping", "Condition.code.coding[0].code")]
    assert "subcategor" in translate(issues[0].message, "en", issues[0].params)
    issues = validate_against(_diagnosis("J00-J06"), [c.PROFILE_DIAGNOSTICO], cie10())
    assert [i.message for i in issues] == ["prof-cie10-grouping"]


def test_inactive_cie10_code():
    assert [i.message for i in validate_against(_diagnosis("A15.9"), [c.PROFILE_DIAGNOSTICO], cie10())] == [
        "prof-cie10-inactive"
    ]


def test_cie10_not_loaded():
    issues = validate_against(_diagnosis("J06.9"), [c.PROFILE_DIAGNOSTICO], MemoryPort())
    assert [(i.message, i.expression[0]) for i in issues] == [
        ("prof-cie10-not-loaded", "Condition.code.coding[0].code")
    ]
    assert "not loaded" in translate(issues[0].message, "en", issues[0].params)


@pytest.mark.parametrize(
    ("code", "message"), [("J06.9", None), ("J00", None), ("J06", "prof-cie10-grouping"), ("Q99", "prof-cie10-unknown")]
)
def test_cie10_through_the_diagnosis_value_set(code, message):
    port = cie10(complete=False, value_set=True)
    issues = validate_against(_diagnosis(code), [c.PROFILE_DIAGNOSTICO], port)
    assert [i.message for i in issues] == ([message] if message else [])


def test_diagnosis_structure():
    diagnosis = fresh(DIAGNOSIS)
    diagnosis["code"] = {"coding": [{"system": "urn:local", "code": "x"}], "text": "libre"}
    del diagnosis["clinicalStatus"]
    diagnosis["category"] = [coded(c.CONDITION_CATEGORY, "problem-list-item")]
    del diagnosis["encounter"]
    issues = validate_against(diagnosis, [c.PROFILE_DIAGNOSTICO], cie10())
    assert sorted((i.message, i.expression[0]) for i in issues) == [
        ("prof-cie10-missing", "Condition.code.coding"),
        ("prof-condition-clinical-status", "Condition.clinicalStatus"),
        ("prof-required", "Condition.encounter"),
        ("prof-slice-missing", "Condition.category"),
    ]
    diagnosis = fresh(DIAGNOSIS)
    diagnosis["code"]["coding"].append({"system": c.ICD10, "code": "J00"})
    issues = validate_against(diagnosis, [c.PROFILE_DIAGNOSTICO], cie10())
    assert [(i.message, i.expression[0]) for i in issues] == [("prof-max", "Condition.code.coding")]


def test_entered_in_error_needs_no_clinical_status():
    diagnosis = fresh(DIAGNOSIS)
    del diagnosis["clinicalStatus"]
    diagnosis["verificationStatus"] = coded(c.CONDITION_VERIFICATION, "entered-in-error")
    assert validate_against(diagnosis, [c.PROFILE_DIAGNOSTICO], cie10()) == []


def test_prescription_rules():
    prescription = fresh(PRESCRIPTION)
    del prescription["dosageInstruction"][0]["text"]
    prescription["subject"] = {"reference": "Group/g"}
    issues = validate_against(prescription, [c.PROFILE_PRESCRIPCION], MemoryPort())
    assert by_expression(issues) == {
        "MedicationRequest.dosageInstruction[0].text": ["prof-required"],
        "MedicationRequest.subject.reference": ["prof-reference-type"],
    }
    del prescription["dosageInstruction"]
    issues = validate_against(prescription, [c.PROFILE_PRESCRIPCION], MemoryPort())
    assert "MedicationRequest.dosageInstruction" in by_expression(issues)


def test_family_history_needs_a_condition():
    family = fresh(FAMILY)
    del family["condition"]
    issues = validate_against(family, [c.PROFILE_ANTECEDENTE_FAMILIAR], MemoryPort())
    assert [(i.message, i.expression[0]) for i in issues] == [("prof-required", "FamilyMemberHistory.condition")]


def test_medicine_catalogue_rules():
    medicine = fresh(MEDICINE)
    medicine["code"] = {"coding": [{"system": c.ATC, "code": "N02BE01"}]}
    medicine["medicineClassification"][0]["classification"] = [coded(c.ATC, "N02")]
    issues = validate_against(medicine, [c.PROFILE_MEDICAMENTO], MemoryPort())
    assert sorted((i.message, i.expression[0]) for i in issues) == [
        ("prof-med-category", "MedicationKnowledge.medicineClassification[0].classification[0]"),
        ("prof-required", "MedicationKnowledge.code.text"),
    ]
    port = MemoryPort().add(c.CS_MEDICAMENTO_CATEGORIA, "analgesicos")
    port.complete.add(c.CS_MEDICAMENTO_CATEGORIA)
    medicine = fresh(MEDICINE)
    assert validate_against(medicine, [c.PROFILE_MEDICAMENTO], port) == []
    medicine["medicineClassification"][0]["classification"] = [coded(c.CS_MEDICAMENTO_CATEGORIA, "magia")]
    issues = validate_against(medicine, [c.PROFILE_MEDICAMENTO], port)
    assert [(i.message, i.expression[0]) for i in issues] == [
        ("prof-med-category-unknown", "MedicationKnowledge.medicineClassification[0].classification[0].coding[0].code")
    ]

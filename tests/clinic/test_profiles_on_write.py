"""Clinic profiles are enforced on write: 422 listing every problem with its path, in Spanish or English."""

from __future__ import annotations

import copy

from fhir_server.model import canonical as c
from tests.clinic.builders import coded, created, dpa, ec_patient, expressions, post, vital
from tests.clinic.conftest import new_cedula


def test_a_valid_ecuadorian_patient_is_stored_as_sent(clinic):
    cedula = new_cedula(1)
    stored = created(clinic, ec_patient(cedula))
    assert stored["gender"] == "female"
    assert stored["birthDate"] == "1990-05-10"
    assert stored["name"][0]["family"] == "Pérez Gómez"
    assert stored["maritalStatus"]["coding"][0]["code"] == "T"
    found = clinic.get("/fhir/Patient", params={"identifier": f"{c.CEDULA_SYSTEM}|{cedula}"}).json()
    assert [e["resource"]["id"] for e in found["entry"]] == [stored["id"]]


def test_wrong_check_digit_and_parish_outside_its_canton_are_both_reported(clinic):
    cedula = new_cedula()
    wrong = cedula[:9] + str((int(cedula[9]) + 1) % 10)
    patient = ec_patient(wrong)
    patient["address"][0]["extension"][2] = dpa(c.EXT_PARROQUIA, "170101")  # a Quito parish under Cuenca
    response = post(clinic, patient)
    assert response.status_code == 422, response.text
    paths = expressions(response)
    assert any(p.startswith("Patient.identifier[0].value") for p in paths), paths
    assert any(p.startswith("Patient.address[0].extension[2]") for p in paths), paths
    text = " ".join(i["diagnostics"] for i in response.json()["issue"])
    assert "verificador" in text
    english = post(clinic, patient, **{"Accept-Language": "en"})
    assert "check digit" in " ".join(i["diagnostics"] for i in english.json()["issue"])


def test_legacy_sex_codes_are_refused_with_the_fhir_codes_named(clinic):
    response = post(clinic, ec_patient(new_cedula(), gender="H"))
    assert response.status_code == 400
    assert "male" in response.json()["issue"][0]["diagnostics"]
    assert "female" in response.json()["issue"][0]["diagnostics"]
    missing = ec_patient(new_cedula())
    del missing["gender"]
    response = post(clinic, missing)
    assert response.status_code == 422
    assert "Patient.gender" in expressions(response)


def test_temperature_out_of_range_and_height_in_metres_are_refused_field_by_field(clinic):
    patient = created(clinic, ec_patient(new_cedula()))
    hot = post(clinic, vital(patient["id"], "8310-5", 46, "°C", "Cel"))
    assert hot.status_code == 422
    assert "Observation.valueQuantity.value" in expressions(hot)
    assert "30" in hot.json()["issue"][0]["diagnostics"] and "45" in hot.json()["issue"][0]["diagnostics"]
    metres = post(clinic, vital(patient["id"], "8302-2", 1.70, "cm", "cm"), **{"Accept-Language": "en"})
    assert metres.status_code == 422
    assert "metres" in metres.json()["issue"][0]["diagnostics"]
    fahrenheit = post(clinic, vital(patient["id"], "8310-5", 98.6, "°F", "[degF]"))
    assert fahrenheit.status_code == 422
    assert "Cel" in " ".join(i["diagnostics"] for i in fahrenheit.json()["issue"])
    assert post(clinic, vital(patient["id"], "8310-5", 36.8, "°C", "Cel")).status_code == 201


def test_a_bmi_that_disagrees_with_its_weight_and_height_is_refused(clinic):
    patient = created(clinic, ec_patient(new_cedula()))
    weight = created(clinic, vital(patient["id"], "29463-7", 70, "kg", "kg"))
    height = created(clinic, vital(patient["id"], "8302-2", 170, "cm", "cm"))
    derived = [{"reference": f"Observation/{weight['id']}"}, {"reference": f"Observation/{height['id']}"}]
    wrong = post(clinic, vital(patient["id"], "39156-5", 30, "kg/m2", "kg/m2", derivedFrom=derived))
    assert wrong.status_code == 422, wrong.text
    assert "24.22" in " ".join(i["diagnostics"] for i in wrong.json()["issue"])
    right = post(clinic, vital(patient["id"], "39156-5", 24.22, "kg/m2", "kg/m2", derivedFrom=derived))
    assert right.status_code == 201, right.text


def _condition(patient_id: str, code: str, encounter_id: str) -> dict[str, object]:
    return {
        "resourceType": "Condition",
        "meta": {"profile": [c.PROFILE_DIAGNOSTICO]},
        "clinicalStatus": coded(c.CONDITION_CLINICAL, "active"),
        "verificationStatus": coded(c.CONDITION_VERIFICATION, "confirmed"),
        "category": [coded(c.CONDITION_CATEGORY, "encounter-diagnosis")],
        "code": coded(c.ICD10, code),
        "subject": {"reference": f"Patient/{patient_id}"},
        "encounter": {"reference": f"Encounter/{encounter_id}"},
    }


def test_diagnoses_must_be_cie10_codes_valid_for_diagnosis(clinic):
    patient = created(clinic, ec_patient(new_cedula()))
    encounter = {"resourceType": "Encounter", "status": "in-progress", "class": {"system": c.V3_ACT, "code": "AMB"},
                 "subject": {"reference": f"Patient/{patient['id']}"}}  # fmt: skip
    enc = created(clinic, encounter)["id"]
    ok = post(clinic, _condition(patient["id"], "J06.9", enc))
    assert ok.status_code == 201, ok.text
    unknown = post(clinic, _condition(patient["id"], "J99.9", enc))
    assert unknown.status_code == 422
    assert "J99.9" in unknown.json()["issue"][0]["diagnostics"]
    grouping = post(clinic, _condition(patient["id"], "J06", enc))
    assert grouping.status_code == 422
    retired = post(clinic, _condition(patient["id"], "J02.7", enc))
    assert retired.status_code == 422


def test_resources_without_a_claim_are_free_unless_profiles_are_required(clinic, strict_clinic):
    plain = {"resourceType": "Patient", "name": [{"family": "Libre"}]}
    assert post(clinic, plain).status_code == 201
    refused = post(strict_clinic, plain)
    assert refused.status_code == 422
    assert any("identifier" in e for e in expressions(refused))
    stored = created(strict_clinic, {k: v for k, v in ec_patient(new_cedula()).items() if k != "meta"})
    assert stored["meta"]["profile"] == [c.PROFILE_PATIENT]


def test_every_problem_is_reported_at_once(clinic):
    patient = ec_patient("123")
    del patient["birthDate"]
    patient["extension"][1]["valueCodeableConcept"] = coded(c.CS_ETNIA, "marciano")
    response = post(clinic, copy.deepcopy(patient))
    assert response.status_code == 422
    paths = expressions(response)
    assert "Patient.birthDate" in paths
    assert any(p.startswith("Patient.identifier[0]") for p in paths)
    assert any(p.startswith("Patient.extension[1]") for p in paths), paths

"""Tokens on the FHIR API: 401 without one, 403 out of scope, 404 outside the caller's rows (security.md 5.3, 6)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.security.conftest import seed
from tests.security.world import build, condition, observation


@pytest.fixture
def world(storage):
    build(storage)


def ids(response) -> set[str]:
    assert response.status_code == 200, response.text
    return {
        e["resource"]["id"] for e in response.json().get("entry", []) if e.get("search", {}).get("mode") != "outcome"
    }


def test_no_token_is_401_and_the_public_documents_stay_public(secured, world):
    missing = secured.get("/fhir/Patient/ana")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert missing.json()["issue"][0]["code"] == "login"
    forged = secured.get("/fhir/Patient/ana", headers={"Authorization": "Bearer no-es-un-token"})
    assert forged.status_code == 401 and 'error="invalid_token"' in forged.headers["www-authenticate"]
    assert secured.get("/fhir/metadata").status_code == 200
    assert secured.get("/fhir/.well-known/smart-configuration").status_code == 200
    assert secured.post("/fhir", content="{}").status_code == 401


def test_a_patient_sees_only_their_own_record(secured, world, mint):
    ana = mint("paciente", "Patient/ana", "patient/*.rs")
    assert secured.get("/fhir/Patient/ana", headers=ana).status_code == 200
    assert secured.get("/fhir/Patient/beto", headers=ana).status_code == 404
    assert secured.get("/fhir/Observation/obs-beto", headers=ana).status_code == 404
    assert secured.get("/fhir/Observation/obs-beto/_history/1", headers=ana).status_code == 404
    assert secured.get("/fhir/Observation/obs-beto/_history", headers=ana).status_code == 404
    assert ids(secured.get("/fhir/Patient", headers=ana)) == {"ana"}
    assert ids(secured.get("/fhir/Observation", headers=ana)) == {"obs-ana", "lab-ana"}
    assert ids(secured.get("/fhir/Observation", params={"subject": "Patient/beto"}, headers=ana)) == set()
    assert ids(secured.get("/fhir/Patient/beto/Observation", headers=ana)) == set()


def test_chaining_has_include_revinclude_and_history_do_not_leak(secured, world, mint):
    ana = mint("paciente", "Patient/ana", "patient/*.rs user/Practitioner.rs")
    chained = secured.get("/fhir/Observation", params={"subject.name": "Guamán"}, headers=ana)
    assert ids(chained) == set()
    has = secured.get("/fhir/Patient", params={"_has:Observation:subject:_id": "obs-beto"}, headers=ana)
    assert ids(has) == set()
    included = secured.get("/fhir/Observation", params={"_include": "Observation:subject"}, headers=ana)
    assert ids(included) == {"obs-ana", "lab-ana", "ana"}
    revincluded = secured.get(
        "/fhir/Practitioner", params={"_id": "dra", "_revinclude": "Observation:performer"}, headers=ana
    )
    assert ids(revincluded) == {"dra", "obs-ana"}
    history = secured.get("/fhir/Observation/_history", headers=ana)
    assert {e["resource"]["id"] for e in history.json()["entry"]} == {"obs-ana", "lab-ana"}
    assert secured.get("/fhir/_history", headers=ana).status_code == 403
    assert secured.get("/fhir", params={"_type": "Observation"}, headers=ana).status_code == 403


def test_bundles_apply_the_same_rules_entry_by_entry(secured, world, mint):
    ana = mint("paciente", "Patient/ana", "patient/*.rs patient/Appointment.cu")
    batch = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"request": {"method": "GET", "url": "Observation/obs-ana"}},
        {"request": {"method": "GET", "url": "Observation/obs-beto"}},
        {"request": {"method": "GET", "url": "Condition?subject=Patient/beto"}},
        {"resource": observation("nueva", "ana"), "request": {"method": "PUT", "url": "Observation/nueva"}},
    ]}  # fmt: skip
    response = secured.post("/fhir", content=json.dumps(batch), headers=ana)
    assert response.status_code == 200, response.text
    statuses = [e["response"]["status"].split()[0] for e in response.json()["entry"]]
    assert statuses == ["200", "404", "200", "403"]
    assert response.json()["entry"][2]["resource"].get("total", 0) == 0
    transaction = {**batch, "type": "transaction", "entry": batch["entry"][3:]}
    assert secured.post("/fhir", content=json.dumps(transaction), headers=ana).status_code == 403


def test_a_patient_books_for_themselves_only(secured, world, mint):
    ana = mint("paciente", "Patient/ana", "patient/*.rs patient/Appointment.cu user/Practitioner.rs")

    def booking(patient: str) -> str:
        return json.dumps({"resourceType": "Appointment", "status": "booked",
                           "start": "2026-12-01T10:00:00-05:00", "end": "2026-12-01T10:30:00-05:00",
                           "participant": [{"actor": {"reference": f"Patient/{patient}"}, "status": "accepted"},
                                           {"actor": {"reference": "Practitioner/drb"}, "status": "accepted"}]})  # fmt: skip

    assert secured.post("/fhir/Appointment", content=booking("ana"), headers=ana).status_code == 201
    refused = secured.post("/fhir/Appointment", content=booking("beto"), headers=ana)
    assert refused.status_code == 403
    assert refused.json()["issue"][0]["code"] == "forbidden"
    other = secured.get("/fhir/Appointment", params={"patient": "Patient/beto"}, headers=ana)
    assert ids(other) == set()


def test_a_nurse_writes_vital_signs_only_and_a_secretary_no_clinical_data(secured, world, mint):
    nurse = mint("enfermera", "Practitioner/drb", "user/*.cruds")
    assert (
        secured.post("/fhir/Observation", content=json.dumps(observation("x", "ana")), headers=nurse).status_code == 201
    )
    lab = secured.post("/fhir/Observation", content=json.dumps(observation("x", "ana", "laboratory")), headers=nurse)
    assert lab.status_code == 403
    assert secured.post("/fhir/Condition", content=json.dumps(condition("x", "ana")), headers=nurse).status_code == 403
    assert secured.get("/fhir/Observation/lab-ana", headers=nurse).status_code == 404
    seen = ids(secured.get("/fhir/Observation", params={"subject": "Patient/ana"}, headers=nurse))
    assert "obs-ana" in seen and "lab-ana" not in seen
    secretary = mint("secretaria", "Practitioner/drb", "user/*.cruds")
    assert secured.get("/fhir/Observation/obs-ana", headers=secretary).status_code == 403
    assert secured.get("/fhir/Observation", headers=secretary).status_code == 403
    assert secured.get("/fhir/Condition/cond-ana", headers=secretary).status_code == 403
    assert secured.get("/fhir/Patient/ana", headers=secretary).status_code == 200


def test_a_doctor_sees_clinical_data_within_a_care_relationship_or_by_break_glass(secured, world, mint):
    doctor = mint("doctor", "Practitioner/dra", "user/*.cruds")
    assert secured.get("/fhir/Condition/cond-ana", headers=doctor).status_code == 200
    assert secured.get("/fhir/Condition/cond-beto", headers=doctor).status_code == 404
    assert ids(secured.get("/fhir/Condition", headers=doctor)) == {"cond-ana"}
    assert secured.get("/fhir/Patient/beto", headers=doctor).status_code == 200  # demographics stay visible
    glass = {**doctor, "X-Break-Glass": "Paciente inconsciente en emergencia"}
    assert secured.get("/fhir/Condition/cond-beto", headers=glass).status_code == 200
    short = {**doctor, "X-Break-Glass": "porque"}
    assert secured.get("/fhir/Condition/cond-beto", headers=short).status_code == 404
    other = mint("doctor", "Practitioner/drb", "user/*.cruds")
    assert secured.get("/fhir/Condition/cond-ana", headers=other).status_code == 404
    write = secured.post("/fhir/Condition", content=json.dumps(condition("nueva", "beto")), headers=other)
    assert write.status_code == 403


def test_a_doctor_caring_for_several_patients_searches_all_of_them_and_nobody_else(secured, world, mint, storage):
    recent = (datetime.now(UTC) - timedelta(days=10)).isoformat()
    seed(
        storage,
        {"resourceType": "Patient", "id": "carla", "name": [{"family": "Quishpe", "given": ["Carla"]}]},
        condition("cond-carla", "carla"),
        {"resourceType": "Encounter", "id": "enc-carla", "status": "finished",
         "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
         "subject": {"reference": "Patient/carla"}, "period": {"start": recent},
         "participant": [{"individual": {"reference": "Practitioner/dra"}}]},
    )  # fmt: skip
    doctor = mint("doctor", "Practitioner/dra", "user/*.cruds")
    found = secured.get("/fhir/Condition", headers=doctor)
    assert found.status_code == 200, found.text
    assert ids(found) == {"cond-ana", "cond-carla"}


def test_nobody_deletes_clinical_data(secured, world, mint):
    doctor = mint("doctor", "Practitioner/dra", "user/*.cruds")
    assert secured.delete("/fhir/Observation/obs-ana", headers=doctor).status_code == 403
    assert secured.delete("/fhir/Patient/ana", headers=doctor).status_code == 403
    admin = mint("administrador", None, "user/*.cruds")
    assert secured.delete("/fhir/Patient/ana", headers=admin).status_code == 403
    assert secured.get("/fhir/Observation/obs-ana", headers=admin).status_code == 403


def test_backend_services_get_their_system_scopes(secured, world, mint):
    backend = mint(None, None, "system/Patient.rs system/Observation.rs")
    assert secured.get("/fhir/Patient/beto", headers=backend).status_code == 200
    assert ids(secured.get("/fhir/Observation", params={"subject": "Patient/beto"}, headers=backend)) == {"obs-beto"}
    assert secured.get("/fhir/Condition/cond-ana", headers=backend).status_code == 403
    created = secured.post("/fhir/Patient", content=json.dumps({"resourceType": "Patient"}), headers=backend)
    assert created.status_code == 403

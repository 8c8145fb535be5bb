"""Patient/$everything over HTTP on both engines: content, care-date window, _since, _type, paging, errors."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

P1_RECORD = {
    "Patient/p1", "Encounter/e1", "Observation/o1", "Observation/o2", "Condition/c1", "MedicationRequest/mr1",
    "Appointment/a1", "Practitioner/gp", "Practitioner/doc", "Organization/org", "Location/loc", "Medication/med",
    "PractitionerRole/role",
}  # fmt: skip


def _ref(target: str) -> dict[str, str]:
    return {"reference": target}


def _observation(res_id: str, patient: str, when: str, performer: str | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation", "id": res_id, "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "subject": _ref(f"Patient/{patient}"), "effectiveDateTime": when,
    }  # fmt: skip
    if performer:
        resource["performer"] = [_ref(performer)]
    return resource


RESOURCES: list[dict[str, Any]] = [
    {"resourceType": "Practitioner", "id": "gp", "name": [{"family": "Andrade"}]},
    {"resourceType": "Practitioner", "id": "doc", "name": [{"family": "Borja"}]},
    {"resourceType": "Practitioner", "id": "other", "name": [{"family": "Cueva"}]},
    {"resourceType": "Practitioner", "id": "stranger", "name": [{"family": "Duran"}]},
    {"resourceType": "PractitionerRole", "id": "role", "practitioner": _ref("Practitioner/doc")},
    {"resourceType": "Organization", "id": "org", "name": "Consultorio"},
    {"resourceType": "Location", "id": "loc", "name": "Consultorio 1"},
    {"resourceType": "Medication", "id": "med", "code": {"text": "paracetamol"}},
    {"resourceType": "Patient", "id": "p1", "generalPractitioner": [_ref("Practitioner/gp")],
     "managingOrganization": _ref("Organization/org")},
    {"resourceType": "Patient", "id": "p2", "name": [{"family": "Otro"}]},
    {"resourceType": "Encounter", "id": "e1", "status": "finished",
     "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
     "subject": _ref("Patient/p1"), "period": {"start": "2024-03-01T09:00:00-05:00", "end": "2024-03-01T09:30:00-05:00"},
     "participant": [{"individual": _ref("Practitioner/doc")}], "location": [{"location": _ref("Location/loc")}],
     "serviceProvider": _ref("Organization/org")},
    _observation("o1", "p1", "2024-03-01T09:10:00-05:00", "Practitioner/doc"),
    _observation("o2", "p1", "2025-06-10T10:00:00-05:00"),
    {"resourceType": "Condition", "id": "c1", "subject": _ref("Patient/p1"), "code": {"text": "faringitis"}},
    {"resourceType": "MedicationRequest", "id": "mr1", "status": "active", "intent": "order",
     "medicationReference": _ref("Medication/med"), "subject": _ref("Patient/p1"),
     "authoredOn": "2024-03-01", "requester": _ref("Practitioner/doc")},
    {"resourceType": "Appointment", "id": "a1", "status": "booked",
     "start": "2025-06-10T09:00:00-05:00", "end": "2025-06-10T09:30:00-05:00",
     "participant": [{"actor": _ref("Patient/p1"), "status": "accepted"},
                     {"actor": _ref("PractitionerRole/role"), "status": "accepted"}]},
    _observation("o3", "p2", "2024-03-01T09:10:00-05:00", "Practitioner/other"),
    {"resourceType": "Condition", "id": "c2", "subject": _ref("Patient/p2"), "code": {"text": "gripe"}},
]  # fmt: skip


@pytest.fixture
def record(client: TestClient) -> TestClient:
    for resource in RESOURCES:
        response = client.put(f"/fhir/{resource['resourceType']}/{resource['id']}", content=json.dumps(resource))
        assert response.status_code == 201, response.text
    return client


def keys(bundle: dict[str, Any], provenance: bool = False) -> list[str]:
    """The entries' Type/id; without the Provenance of the patient's own writes (indexed in the background)."""
    found = [f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle.get("entry", [])]
    return [key for key in found if provenance or not key.startswith("Provenance/")]


def everything(client: TestClient, path: str = "/fhir/Patient/p1/$everything", **params: Any) -> dict[str, Any]:
    response = client.get(path, params=params) if params else client.get(path)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["resourceType"] == "Bundle" and body["type"] == "searchset"
    return body


def test_the_record_holds_the_patient_its_compartment_and_what_they_reference(record):
    body = everything(record)
    found = keys(body)
    assert len(found) == len(set(found))
    assert set(found) == P1_RECORD
    assert body["total"] == len(keys(body, provenance=True))
    modes = {f"{e['resource']['resourceType']}/{e['resource']['id']}": e["search"]["mode"] for e in body["entry"]}
    assert modes["Observation/o1"] == "match" and modes["Practitioner/doc"] == "include"
    assert {link["relation"] for link in body["link"]} == {"self", "first"}
    assert body["entry"][0]["fullUrl"].startswith("http")


def test_post_with_parameters_answers_the_same(record):
    parameters = {"resourceType": "Parameters", "parameter": [
        {"name": "_type", "valueCode": "Observation"}, {"name": "_type", "valueCode": "Practitioner"},
        {"name": "start", "valueDate": "2024-01-01"},
    ]}  # fmt: skip
    response = record.post("/fhir/Patient/p1/$everything", content=json.dumps(parameters))
    assert response.status_code == 200, response.text
    assert set(keys(response.json())) == {"Observation/o1", "Observation/o2", "Practitioner/doc"}
    assert set(keys(record.post("/fhir/Patient/p1/$everything").json())) == P1_RECORD


def test_start_and_end_window_on_care_dates(record):
    in_2024 = set(keys(everything(record, start="2024-01-01", end="2024-12-31")))
    assert in_2024 == {
        "Patient/p1", "Encounter/e1", "Observation/o1", "MedicationRequest/mr1",
        "Practitioner/gp", "Practitioner/doc", "Organization/org", "Location/loc", "Medication/med",
    }  # fmt: skip
    from_2025 = set(keys(everything(record, start="2025-01")))
    assert {"Observation/o2", "Appointment/a1", "PractitionerRole/role"} <= from_2025
    assert not from_2025 & {"Observation/o1", "Encounter/e1", "Condition/c1", "Medication/med"}
    assert set(keys(everything(record, end="2023"))) == {"Patient/p1", "Practitioner/gp", "Organization/org"}


def test_since_returns_what_changed(record):
    time.sleep(0.01)
    changed = _observation("o2", "p1", "2025-06-11T10:00:00-05:00")
    response = record.put("/fhir/Observation/o2", content=json.dumps(changed))
    assert response.status_code == 200
    since = response.json()["meta"]["lastUpdated"]
    assert keys(everything(record, _since=since)) == ["Observation/o2"]
    assert set(keys(everything(record, _since="2000-01-01"))) == P1_RECORD


def test_type_restricts_the_types_returned(record):
    assert set(keys(everything(record, _type="Observation"))) == {"Observation/o1", "Observation/o2"}
    both = set(keys(everything(record, _type="Patient,Practitioner")))
    assert both == {"Patient/p1", "Practitioner/gp"}
    assert record.get("/fhir/Patient/p1/$everything", params={"_type": "Nada"}).status_code == 400


def test_paging_follows_next_links_to_the_whole_record(record):
    seen: list[str] = []
    url: str | None = "/fhir/Patient/p1/$everything?_count=4"
    pages = 0
    while url is not None:
        body = everything(record, url)
        page = keys(body, provenance=True)
        assert 0 < len(page) <= 4
        assert len(page) == 4 or "next" not in {link["relation"] for link in body["link"]}
        seen += page
        links = {link["relation"]: link["url"] for link in body["link"]}
        assert "_count=4" in links["self"]
        url = links.get("next")
        pages += 1
    assert pages >= 4
    assert len(seen) == len(set(seen))
    assert {key for key in seen if not key.startswith("Provenance/")} == P1_RECORD
    assert record.get("/fhir/Patient/p1/$everything", params={"_count": "0"}).status_code == 400
    assert record.get("/fhir/Patient/p1/$everything", params={"_cursor": "x"}).status_code == 400


def test_unknown_deleted_and_contextless_patients(record):
    missing = record.get("/fhir/Patient/nadie/$everything")
    assert missing.status_code == 404
    assert missing.json()["resourceType"] == "OperationOutcome"
    assert record.delete("/fhir/Patient/p2").status_code in (200, 204)
    assert record.get("/fhir/Patient/p2/$everything").status_code == 410
    contextless = record.get("/fhir/Patient/$everything", headers={"Accept-Language": "en"})
    assert contextless.status_code == 400
    issue = contextless.json()["issue"][0]
    assert issue["code"] == "required" and "this access has no patient" in issue["details"]["text"]
    assert record.get("/fhir/Patient/p1/$everything", params={"start": "ayer"}).status_code == 400


def test_the_capability_statement_lists_the_operation(client):
    patient = next(r for r in client.get("/fhir/metadata").json()["rest"][0]["resource"] if r["type"] == "Patient")
    definitions = {op["name"]: op["definition"] for op in patient.get("operation", [])}
    assert definitions["everything"] == "http://hl7.org/fhir/OperationDefinition/Patient-everything"

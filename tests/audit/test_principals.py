"""With authorization on, the trail names the person behind the token, their app, role and purpose."""

from __future__ import annotations

import json

from tests.audit.helpers import agent, patient_ids, request_ids, targets, written
from tests.conftest import BASE_URL
from tests.security.world import build, observation


def new_observation(patient: str) -> str:
    resource = observation("unused", patient)
    del resource["id"]
    return json.dumps(resource)


def test_a_doctors_write_names_the_doctor_the_app_and_the_purpose(secured, mint, storage):
    build(storage)
    dra = mint("doctor", "Practitioner/dra", "user/Observation.crus user/Patient.rs")
    response = secured.post("/fhir/Observation", content=new_observation("ana"), headers=dra | {"X-Request-ID": "r-1"})
    assert response.status_code == 201, response.text
    target = f"Observation/{response.json()['id']}/_history/1"

    [prov] = [p for p in written(storage, "Provenance") if targets(p) == [target]]
    author, app = prov["agent"]
    assert author["who"] == {"reference": "Practitioner/dra"}
    assert author["role"][0]["coding"][0]["code"] == "doctor"
    assert app["who"]["identifier"]["value"].startswith("app-")
    assert prov["reason"][0]["coding"][0]["code"] == "TREAT"

    [event] = [e for e in written(storage, "AuditEvent") if request_ids(e) == ["r-1"]]
    assert agent(event, "AUT")["who"] == {"reference": "Practitioner/dra"}
    assert agent(event, "110153")["who"]["identifier"]["value"] == app["who"]["identifier"]["value"]
    assert patient_ids(event) == ["ana"]
    assert event["purposeOfEvent"][0]["coding"][0]["code"] == "TREAT"


def test_break_glass_writes_are_emergency_treatment(secured, mint, storage):
    build(storage)
    dra = mint("doctor", "Practitioner/dra", "user/Observation.crus user/Patient.rs")
    reason = "paciente inconsciente en urgencias"
    response = secured.post(
        "/fhir/Observation", content=new_observation("beto"), headers=dra | {"X-Break-Glass": reason}
    )
    assert response.status_code == 201, response.text
    [event] = [e for e in written(storage, "AuditEvent") if patient_ids(e) == ["beto"] and e["action"] == "C"][-1:]
    assert event["purposeOfEvent"][0]["coding"][0]["code"] == "ETREAT"
    assert event["purposeOfEvent"][0]["text"] == reason


def test_server_writes_are_authored_by_the_server(secured, storage):
    build(storage)  # seeded by the server itself (system principal) while the application runs
    [prov] = [p for p in written(storage, "Provenance") if targets(p) == ["Patient/ana/_history/1"]]
    assert prov["agent"][0]["who"]["identifier"]["value"] == BASE_URL
    assert "reason" not in prov


def test_tokens_cannot_write_audit_records_either(secured, mint, storage):
    admin = mint("administrador", None, "user/AuditEvent.rs user/Provenance.rs user/Practitioner.crus")
    created = secured.post("/fhir/Practitioner", content=json.dumps({"resourceType": "Practitioner"}), headers=admin)
    assert created.status_code == 201
    [prov] = written(storage, "Provenance")
    body = json.dumps({k: v for k, v in prov.items() if k not in ("id", "meta")})
    assert secured.post("/fhir/Provenance", content=body, headers=admin).status_code in (403, 405)
    assert secured.get(f"/fhir/Provenance/{prov['id']}", headers=admin).status_code == 200
    # An administrator has no fhirUser: the account id identifies them.
    assert prov["agent"][0]["who"]["identifier"]["system"].endswith("/sid/account-id")

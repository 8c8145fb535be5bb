"""Patient/$everything with tokens: the caller's rows only, 404 outside them, types outside the scopes left out."""

from __future__ import annotations

import pytest

from tests.audit.helpers import patient_ids, written
from tests.security.world import build


@pytest.fixture
def world(storage):
    build(storage)


def record(response) -> set[str]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == "searchset"
    found = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in body.get("entry", [])}
    return {key for key in found if not key.startswith("Provenance/")}


def test_a_patient_gets_their_own_record_and_nobody_elses(secured, world, mint):
    ana = mint("paciente", "Patient/ana", "patient/*.rs user/Practitioner.rs")
    own = {"Patient/ana", "Observation/obs-ana", "Observation/lab-ana", "Condition/cond-ana",
           "Appointment/cita-ana", "Practitioner/dra"}  # fmt: skip
    assert record(secured.get("/fhir/Patient/ana/$everything", headers=ana)) == own
    assert record(secured.get("/fhir/Patient/$everything", headers=ana)) == own
    assert record(secured.post("/fhir/Patient/$everything", headers=ana)) == own
    for path in ("/fhir/Patient/beto/$everything", "/fhir/Patient/nadie/$everything"):
        assert secured.get(path, headers=ana).status_code == 404
        assert secured.post(path, headers=ana).status_code == 404
    # Asking for other types or dates never widens what is returned.
    typed = secured.get("/fhir/Patient/ana/$everything", params={"_type": "Condition,Patient"}, headers=ana)
    assert record(typed) == {"Condition/cond-ana", "Patient/ana"}


def test_a_bare_patient_scope_returns_no_supporting_resources(secured, world, mint):
    ana = mint(None, None, "patient/*.rs", patient="ana")
    found = record(secured.get("/fhir/Patient/$everything", headers=ana))
    assert found == {"Patient/ana", "Observation/obs-ana", "Observation/lab-ana", "Condition/cond-ana",
                     "Appointment/cita-ana"}  # fmt: skip


def test_a_doctor_needs_a_care_relationship_or_break_glass(secured, world, mint):
    dra = mint("doctor", "Practitioner/dra", "user/*.cruds")
    found = record(secured.get("/fhir/Patient/ana/$everything", headers=dra))
    assert {"Patient/ana", "Observation/obs-ana", "Condition/cond-ana", "PractitionerRole/dra-rol"} <= found
    assert not any("beto" in key for key in found)
    assert secured.get("/fhir/Patient/beto/$everything", headers=dra).status_code == 404
    drb = mint("doctor", "Practitioner/drb", "user/*.cruds")
    assert secured.get("/fhir/Patient/ana/$everything", headers=drb).status_code == 404
    glass = {**drb, "X-Break-Glass": "Paciente inconsciente en emergencia"}
    assert record(secured.get("/fhir/Patient/beto/$everything", headers=glass)) >= {
        "Patient/beto",
        "Observation/obs-beto",
        "Condition/cond-beto",
    }


def test_a_secretary_and_a_nurse_see_what_their_roles_allow(secured, world, mint):
    secretary = mint("secretaria", "Practitioner/drb", "user/*.cruds")
    found = record(secured.get("/fhir/Patient/ana/$everything", headers=secretary))
    assert found == {"Patient/ana", "Appointment/cita-ana", "PractitionerRole/dra-rol"}
    nurse = mint("enfermera", "Practitioner/drb", "user/*.cruds")
    found = record(secured.get("/fhir/Patient/ana/$everything", headers=nurse))
    assert {"Patient/ana", "Observation/obs-ana", "Condition/cond-ana"} <= found
    assert "Observation/lab-ana" not in found


def test_the_caller_without_patient_context_gets_an_outcome(secured, world, mint):
    secretary = mint("secretaria", "Practitioner/drb", "user/*.cruds")
    response = secured.get("/fhir/Patient/$everything", headers=secretary)
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    admin = mint("administrador", None, "user/*.cruds")
    # Patient.r is all an administrator's record holds; no clinical type is returned.
    found = record(secured.get("/fhir/Patient/ana/$everything", headers=admin))
    assert "Observation/obs-ana" not in found and "Patient/ana" in found


def test_everything_is_audited_with_the_patient(secured, world, mint, storage):
    ana = mint("paciente", "Patient/ana", "patient/*.rs")
    assert secured.get("/fhir/Patient/ana/$everything", headers=ana).status_code == 200
    assert secured.get("/fhir/Patient/beto/$everything", headers=ana).status_code == 404
    secured.app.state.audit.flush()
    events = [e for e in written(storage, "AuditEvent") if e["subtype"][0]["code"] != "create"]
    allowed, refused = events[-2:]
    assert allowed["outcome"] == "0" and patient_ids(allowed) == ["ana"]
    assert refused["outcome"] == "4"

"""$validate: every problem with its path, at type and instance level, with profile and mode; nothing stored."""

from __future__ import annotations

import json

from fhir_server.model import canonical as c
from tests.clinic.builders import created, ec_patient
from tests.clinic.conftest import new_cedula
from tests.fhir_helpers import FHIR_JSON


def _validate(client, path, resource=None, **parameters):
    parameter = [
        {"name": name, "valueString" if name == "mode" else "valueUri": value} for name, value in parameters.items()
    ]
    if resource is not None:
        parameter.append({"name": "resource", "resource": resource})
    body = {"resourceType": "Parameters", "parameter": parameter}
    response = client.post(path, content=json.dumps(body), headers=FHIR_JSON)
    assert response.status_code == 200, response.text
    return response.json()


def _paths(outcome):
    return [
        e for issue in outcome["issue"] if issue["severity"] in ("error", "fatal") for e in issue.get("expression", [])
    ]


def test_a_valid_resource_gets_an_informational_outcome(clinic):
    outcome = _validate(clinic, "/fhir/Patient/$validate", ec_patient(new_cedula()))
    assert outcome["resourceType"] == "OperationOutcome"
    assert all(issue["severity"] in ("information", "warning") for issue in outcome["issue"]), outcome
    assert clinic.get("/fhir/Patient", params={"family": "perez gomez", "_summary": "count"}).status_code == 200


def test_every_problem_is_listed_structure_profile_and_identity(clinic):
    taken = created(clinic, ec_patient(new_cedula()))
    patient = ec_patient(taken["identifier"][0]["value"], gender="H")
    del patient["birthDate"]
    outcome = _validate(clinic, "/fhir/Patient/$validate", patient)
    paths = _paths(outcome)
    assert "Patient.gender" in paths
    assert "Patient.birthDate" in paths
    assert "Patient.identifier[0].value" in paths  # the cédula another active patient holds
    codes = {issue["code"] for issue in outcome["issue"]}
    assert "duplicate" in codes


def test_the_resource_may_be_the_body_and_a_profile_may_be_named(clinic):
    plain = {"resourceType": "Patient", "name": [{"family": "Sin Perfil"}]}
    body = clinic.post("/fhir/Patient/$validate", content=json.dumps(plain), headers=FHIR_JSON)
    assert body.status_code == 200
    assert not _paths(body.json())
    outcome = _validate(clinic, "/fhir/Patient/$validate", plain, profile=c.PROFILE_PATIENT)
    assert "Patient.birthDate" in _paths(outcome)
    unknown = clinic.post(
        "/fhir/Patient/$validate",
        content=json.dumps({"resourceType": "Parameters", "parameter": [
            {"name": "resource", "resource": plain}, {"name": "profile", "valueUri": "http://example.org/nada"}]}),
        headers=FHIR_JSON,
    )  # fmt: skip
    assert unknown.status_code == 404


def test_instance_level_modes(clinic):
    stored = created(clinic, ec_patient(new_cedula()))
    again = _validate(clinic, f"/fhir/Patient/{stored['id']}/$validate")
    assert not _paths(again)
    update = _validate(
        clinic, f"/fhir/Patient/{stored['id']}/$validate", {**stored, "birthDate": "ayer"}, mode="update"
    )
    assert "Patient.birthDate" in _paths(update)
    gone = _validate(clinic, "/fhir/Patient/no-existe/$validate", mode="delete")
    assert any(issue["code"] == "not-found" for issue in gone["issue"])
    assert not _paths(_validate(clinic, f"/fhir/Patient/{stored['id']}/$validate", mode="delete"))
    english = clinic.post(
        "/fhir/Observation/$validate",
        content=json.dumps({"resourceType": "Observation", "status": "final"}),
        headers={**FHIR_JSON, "Accept-Language": "en"},
    )
    assert "Observation.code" in _paths(english.json())

"""The CapabilityStatement describes what is really served, and parses as FHIR."""

from __future__ import annotations

import json

from fhir_server.model.r4_types import SERVED_TYPES
from fhir_server.model.validation import validate


def test_metadata_is_a_valid_capability_statement(client):
    response = client.get("/fhir/metadata")
    assert response.status_code == 200
    statement = response.json()
    validate(statement)  # our own validator: structure, required codes, references
    assert statement["fhirVersion"] == "4.0.1"
    assert statement["kind"] == "instance"
    assert statement["status"] == "active"
    assert "application/fhir+json" in statement["format"]
    assert statement["software"]["name"] == "fhir-server"
    assert statement["implementation"]["url"] == "http://testserver/fhir"
    rest = statement["rest"][0]
    assert {r["type"] for r in rest["resource"]} == set(SERVED_TYPES)
    patient = next(r for r in rest["resource"] if r["type"] == "Patient")
    codes = {i["code"] for i in patient["interaction"]}
    assert codes >= {
        "read",
        "vread",
        "update",
        "patch",
        "delete",
        "create",
        "search-type",
        "history-instance",
        "history-type",
    }
    assert patient["versioning"] == "versioned-update"
    assert patient["conditionalDelete"] == "single"
    assert {p["name"] for p in patient["searchParam"]} >= {"_id", "_lastUpdated"}


PATCH_OPS = '[{"op":"add","path":"/subject","value":{"display":"x"}}]'
PATCH_HEADERS = {"Content-Type": "application/json-patch+json"}


def test_every_advertised_interaction_answers(client):
    """Each interaction the statement lists for a type is routed (no 404/405 for the route itself)."""
    statement = client.get("/fhir/metadata").json()
    resource = {"resourceType": "Basic", "id": "cap-1", "code": {"text": "x"}}
    body = json.dumps(resource)
    headers = {"Content-Type": "application/fhir+json"}
    assert client.put("/fhir/Basic/cap-1", content=body, headers=headers).status_code == 201
    checks = {
        "read": lambda: client.get("/fhir/Basic/cap-1"),
        "vread": lambda: client.get("/fhir/Basic/cap-1/_history/1"),
        "update": lambda: client.put("/fhir/Basic/cap-1", content=body, headers=headers),
        "patch": lambda: client.patch("/fhir/Basic/cap-1", content=PATCH_OPS, headers=PATCH_HEADERS),
        "history-instance": lambda: client.get("/fhir/Basic/cap-1/_history"),
        "history-type": lambda: client.get("/fhir/Basic/_history"),
        "create": lambda: client.post("/fhir/Basic", content=body, headers=headers),
        "search-type": lambda: client.get("/fhir/Basic"),
        "delete": lambda: client.delete("/fhir/Basic/cap-1"),
    }
    basic = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Basic")
    for interaction in basic["interaction"]:
        response = checks[interaction["code"]]()
        assert response.status_code in (200, 201), (interaction, response.text)
    for interaction in statement["rest"][0]["interaction"]:
        code = interaction["code"]
        if code in ("transaction", "batch"):
            bundle = {"resourceType": "Bundle", "type": code, "entry": [{"request": {"method": "GET", "url": "Basic"}}]}
            assert client.post("/fhir", content=json.dumps(bundle), headers=headers).status_code == 200
            continue
        url = {"history-system": "/fhir/_history", "search-system": "/fhir"}[code]
        assert client.get(url).status_code == 200


def test_operations_and_clinic_profiles_are_declared(client):
    statement = client.get("/fhir/metadata").json()
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    names = {t: {o["name"] for o in r.get("operation", [])} for t, r in resources.items()}
    assert {"validate", "record-vitals"} <= names["Encounter"]
    assert {"lookup", "validate-code", "subsumes", "validate"} <= names["CodeSystem"]
    assert {"expand", "validate-code"} <= names["ValueSet"]
    assert "generate-slots" in names["Schedule"]
    assert resources["Patient"]["supportedProfile"] == [
        "https://fhir.consultorio.ec/fhir/StructureDefinition/ec-patient"
    ]
    assert len(resources["Observation"]["supportedProfile"]) == 8

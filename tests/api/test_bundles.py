"""Transactions (all or nothing) and batches (each entry alone) at POST /fhir."""

from __future__ import annotations

import base64
import json

import pytest

from tests.api.search_helpers import idset, put
from tests.fhir_helpers import FHIR_JSON, expressions, issue_codes, patient

CEDULA = "https://www.registrocivil.gob.ec/cedula"


def post_bundle(client, kind, entries, **headers):
    body = {"resourceType": "Bundle", "type": kind, "entry": entries}
    return client.post("/fhir", content=json.dumps(body), headers={**FHIR_JSON, **headers})


def count(client, type_name):
    return client.get(f"/fhir/{type_name}", params={"_summary": "count"}).json()["total"]


def test_transaction_creates_and_links_by_urn_uuid(client):
    pid = "urn:uuid:11111111-1111-4111-8111-111111111111"
    entries = [
        {"fullUrl": "urn:uuid:22222222-2222-4222-8222-222222222222",
         "resource": {"resourceType": "Observation", "status": "final", "code": {"text": "peso"},
                      "subject": {"reference": pid},
                      "extension": [{"url": "http://example.org/about", "valueReference": {"reference": pid}}],
                      "contained": [{"resourceType": "Provenance", "id": "prov", "recorded": "2024-01-01T00:00:00Z",
                                     "agent": [{"who": {"reference": pid}}], "target": [{"reference": pid}]}]},
         "request": {"method": "POST", "url": "Observation"}},
        {"fullUrl": pid, "resource": patient(), "request": {"method": "POST", "url": "Patient"}},
    ]  # fmt: skip
    response = post_bundle(client, "transaction", entries)
    assert response.status_code == 200, response.text
    bundle = response.json()
    assert bundle["type"] == "transaction-response"
    statuses = [e["response"]["status"] for e in bundle["entry"]]
    assert statuses == ["201 Created", "201 Created"]
    patient_location = bundle["entry"][1]["response"]["location"]
    patient_id = patient_location.split("/")[-3]
    assert bundle["entry"][1]["response"]["etag"] == 'W/"1"'
    observation = client.get(bundle["entry"][0]["response"]["location"].replace("http://testserver", "")).json()
    assert observation["subject"]["reference"] == f"Patient/{patient_id}"
    assert observation["extension"][0]["valueReference"]["reference"] == f"Patient/{patient_id}"
    assert observation["contained"][0]["agent"][0]["who"]["reference"] == f"Patient/{patient_id}"
    assert idset(client, "/fhir/Observation", subject=f"Patient/{patient_id}") == {observation["id"]}


def test_transaction_with_an_invalid_entry_changes_nothing(client):
    put(client, patient(id="keep"))
    entries = [
        {"resource": patient(), "request": {"method": "POST", "url": "Patient"}},
        {"request": {"method": "DELETE", "url": "Patient/keep"}},
        {"resource": patient(gender="H"), "request": {"method": "POST", "url": "Patient"}},
    ]
    response = post_bundle(client, "transaction", entries)
    assert response.status_code == 400
    outcome = response.json()
    assert "Bundle.entry[2]" in expressions(outcome)
    assert count(client, "Patient") == 1
    assert client.get("/fhir/Patient/keep").status_code == 200


def test_transaction_failing_inside_the_database_rolls_back(client):
    put(client, patient(id="v1"))
    entries = [
        {"resource": patient(), "request": {"method": "POST", "url": "Patient"}},
        {"resource": patient(id="v1", gender="female"), "request": {"method": "PUT", "url": "Patient/v1", "ifMatch": 'W/"9"'}},
    ]  # fmt: skip
    response = post_bundle(client, "transaction", entries)
    assert response.status_code == 412
    assert "Bundle.entry[1]" in expressions(response.json())
    assert count(client, "Patient") == 1
    assert client.get("/fhir/Patient/v1").json()["gender"] == "male"


def test_conditional_references_and_creates(client):
    put(client, patient(id="pc", identifier=[{"system": CEDULA, "value": "1710034065"}]))
    entries = [
        {"resource": {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                      "subject": {"reference": f"Patient?identifier={CEDULA}|1710034065"}},
         "request": {"method": "POST", "url": "Observation"}},
        {"resource": patient(identifier=[{"system": CEDULA, "value": "1710034065"}]),
         "request": {"method": "POST", "url": "Patient", "ifNoneExist": f"identifier={CEDULA}|1710034065"}},
    ]  # fmt: skip
    bundle = post_bundle(client, "transaction", entries).json()
    assert [e["response"]["status"] for e in bundle["entry"]] == ["201 Created", "200 OK"]
    obs_url = bundle["entry"][0]["response"]["location"].replace("http://testserver", "")
    assert client.get(obs_url).json()["subject"]["reference"] == "Patient/pc"
    assert count(client, "Patient") == 1


def test_conditional_reference_matching_two_is_412(client):
    put(client, patient(id="a1", identifier=[{"system": CEDULA, "value": "X"}]))
    put(client, patient(id="a2", identifier=[{"system": CEDULA, "value": "X"}]))
    entries = [{"resource": {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                             "subject": {"reference": f"Patient?identifier={CEDULA}|X"}},
                "request": {"method": "POST", "url": "Observation"}}]  # fmt: skip
    response = post_bundle(client, "transaction", entries)
    assert response.status_code == 412
    assert issue_codes(response.json())[-1] == "multiple-matches"
    none = [{"resource": {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                          "subject": {"reference": f"Patient?identifier={CEDULA}|nobody"}},
             "request": {"method": "POST", "url": "Observation"}}]  # fmt: skip
    assert post_bundle(client, "transaction", none).status_code == 404
    assert count(client, "Observation") == 0


def test_conditional_update_delete_patch_and_reads_in_a_transaction(client):
    put(client, patient(id="u1", identifier=[{"system": CEDULA, "value": "U1"}]))
    put(client, patient(id="d1", identifier=[{"system": CEDULA, "value": "D1"}]))
    put(client, patient(id="pa"))
    ops = base64.b64encode(json.dumps([{"op": "replace", "path": "/gender", "value": "other"}]).encode()).decode()
    entries = [
        {"request": {"method": "GET", "url": "Patient?identifier=" + f"{CEDULA}|U1"}},
        {"resource": patient(gender="female", identifier=[{"system": CEDULA, "value": "U1"}]),
         "request": {"method": "PUT", "url": f"Patient?identifier={CEDULA}|U1"}},
        {"request": {"method": "DELETE", "url": f"Patient?identifier={CEDULA}|D1"}},
        {"resource": {"resourceType": "Binary", "contentType": "application/json-patch+json", "data": ops},
         "request": {"method": "PATCH", "url": "Patient/pa"}},
        {"request": {"method": "GET", "url": "Patient/pa"}},
    ]  # fmt: skip
    bundle = post_bundle(client, "transaction", entries).json()
    statuses = [e["response"]["status"] for e in bundle["entry"]]
    assert statuses == ["200 OK", "200 OK", "200 OK", "200 OK", "200 OK"]
    assert bundle["entry"][0]["resource"]["type"] == "searchset"
    assert bundle["entry"][4]["resource"]["gender"] == "other"
    assert client.get("/fhir/Patient/u1").json()["gender"] == "female"
    assert client.get("/fhir/Patient/d1").status_code == 410


def test_duplicate_identities_fail(client):
    entries = [
        {"resource": patient(id="same"), "request": {"method": "PUT", "url": "Patient/same"}},
        {"request": {"method": "DELETE", "url": "Patient/same"}},
    ]
    assert post_bundle(client, "transaction", entries).status_code == 400


def test_representation(client):
    entries = [{"resource": patient(), "request": {"method": "POST", "url": "Patient"}}]
    minimal = post_bundle(client, "transaction", entries).json()
    assert "resource" not in minimal["entry"][0]
    full = post_bundle(client, "transaction", entries, Prefer="return=representation").json()
    assert full["entry"][0]["resource"]["resourceType"] == "Patient"


def test_batch_entries_stand_alone(client):
    put(client, patient(id="b1"))
    entries = [
        {"resource": patient(), "request": {"method": "POST", "url": "Patient"}},
        {"resource": patient(gender="H"), "request": {"method": "POST", "url": "Patient"}},
        {"request": {"method": "GET", "url": "Patient/b1"}},
        {"request": {"method": "GET", "url": "Patient/nobody"}},
        {"request": {"method": "BREW", "url": "Patient"}},
    ]
    response = post_bundle(client, "batch", entries)
    assert response.status_code == 200
    bundle = response.json()
    assert bundle["type"] == "batch-response"
    statuses = [e["response"]["status"].split()[0] for e in bundle["entry"]]
    assert statuses == ["201", "400", "200", "404", "400"]
    assert bundle["entry"][1]["response"]["outcome"]["resourceType"] == "OperationOutcome"
    assert count(client, "Patient") == 2


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"resourceType": "Patient"}, 400),
        ({"resourceType": "Bundle", "type": "collection", "entry": []}, 400),
        ({"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": {"resourceType": "Patient"}}]}, 400),
        (
            {
                "resourceType": "Bundle",
                "type": "transaction",
                "entry": [{"request": {"method": "POST", "url": "Bogus"}}],
            },
            404,
        ),
    ],
)
def test_malformed_bundles(client, body, status):
    assert client.post("/fhir", content=json.dumps(body), headers=FHIR_JSON).status_code == status


def test_too_many_entries_is_413(storage, database_url):
    from fastapi.testclient import TestClient

    from fhir_server.api.app import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(database_url, max_bundle_entries=3), storage=storage)
    with TestClient(app) as small:
        entries = [{"resource": patient(), "request": {"method": "POST", "url": "Patient"}}] * 4
        assert post_bundle(small, "transaction", entries).status_code == 413
        assert post_bundle(small, "batch", entries[:3]).status_code == 200

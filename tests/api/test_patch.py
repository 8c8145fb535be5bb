"""JSON Patch: applied to the current version, validated, version-aware."""

from __future__ import annotations

import json

from tests.fhir_helpers import FHIR_JSON, issue_codes, patient

PATCH = {"Content-Type": "application/json-patch+json"}


def created(client):
    return client.post("/fhir/Patient", content=json.dumps(patient()), headers=FHIR_JSON).json()


def test_patch_replaces_and_versions(client):
    resource = created(client)
    ops = [
        {"op": "replace", "path": "/gender", "value": "female"},
        {"op": "add", "path": "/active", "value": True},
    ]
    response = client.patch(f"/fhir/Patient/{resource['id']}", content=json.dumps(ops), headers=PATCH)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["gender"] == "female" and body["active"] is True
    assert body["meta"]["versionId"] == "2"
    history = client.get(f"/fhir/Patient/{resource['id']}/_history").json()
    assert history["total"] == 2


def test_patch_result_must_be_valid(client):
    resource = created(client)
    ops = [{"op": "replace", "path": "/gender", "value": "H"}]
    response = client.patch(f"/fhir/Patient/{resource['id']}", content=json.dumps(ops), headers=PATCH)
    assert response.status_code == 400
    assert issue_codes(response.json()) == ["code-invalid"]
    assert client.get(f"/fhir/Patient/{resource['id']}").json()["meta"]["versionId"] == "1"


def test_patch_failures(client):
    resource = created(client)
    url = f"/fhir/Patient/{resource['id']}"
    failing_test = [{"op": "test", "path": "/gender", "value": "female"}]
    assert client.patch(url, content=json.dumps(failing_test), headers=PATCH).status_code == 422
    missing_path = [{"op": "remove", "path": "/telecom"}]
    assert client.patch(url, content=json.dumps(missing_path), headers=PATCH).status_code == 422
    assert client.patch(url, content=b'{"op":"x"}', headers=PATCH).status_code == 400
    assert client.patch(url, content=json.dumps([{"op": "explode", "path": "/a"}]), headers=PATCH).status_code == 400
    identity = [{"op": "replace", "path": "/id", "value": "other"}]
    assert client.patch(url, content=json.dumps(identity), headers=PATCH).status_code == 400
    assert client.patch("/fhir/Patient/nobody", content=json.dumps(failing_test), headers=PATCH).status_code == 404
    assert client.patch(url, content=json.dumps(failing_test), headers=FHIR_JSON).status_code == 415


def test_patch_if_match_and_deleted(client):
    resource = created(client)
    url = f"/fhir/Patient/{resource['id']}"
    ops = [{"op": "replace", "path": "/gender", "value": "female"}]
    assert client.patch(url, content=json.dumps(ops), headers={**PATCH, "If-Match": 'W/"9"'}).status_code == 412
    assert client.patch(url, content=json.dumps(ops), headers={**PATCH, "If-Match": 'W/"1"'}).status_code == 200
    client.delete(url)
    assert client.patch(url, content=json.dumps(ops), headers=PATCH).status_code == 410


def test_patch_keeps_decimal_precision(client):
    resource = {"resourceType": "Patient", "extension": [{"url": "http://x", "valueDecimal": 1.5}]}
    body = json.dumps(resource).replace("1.5", "1.50")
    created_id = client.post("/fhir/Patient", content=body, headers=FHIR_JSON).json()["id"]
    ops = '[{"op":"add","path":"/extension/-","value":{"url":"http://y","valueDecimal":0.000120}}]'
    response = client.patch(f"/fhir/Patient/{created_id}", content=ops, headers=PATCH)
    assert response.status_code == 200
    assert '"valueDecimal":1.50' in response.text and '"valueDecimal":0.000120' in response.text

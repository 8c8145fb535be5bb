"""create, read, vread, update (and update-as-create), delete: statuses and FHIR headers."""

from __future__ import annotations

import json

from tests.fhir_helpers import FHIR_JSON, issue_codes, patient


def create(client, resource, **headers):
    return client.post(
        f"/fhir/{resource['resourceType']}",
        content=json.dumps(resource),
        headers={**FHIR_JSON, **headers},
    )


def test_create_assigns_id_and_meta_and_sends_headers(client):
    response = create(
        client,
        patient(id="client-id", meta={"versionId": "99", "lastUpdated": "2000-01-01T00:00:00Z"}),
    )
    assert response.status_code == 201
    body = response.json()
    assert body["id"] != "client-id"
    assert body["meta"]["versionId"] == "1"
    assert body["meta"]["lastUpdated"].startswith("20") and body["meta"]["lastUpdated"] != "2000-01-01T00:00:00Z"
    assert response.headers["etag"] == 'W/"1"'
    assert response.headers["location"] == f"http://testserver/fhir/Patient/{body['id']}/_history/1"
    assert response.headers["last-modified"].endswith("GMT")
    assert response.headers["content-type"].startswith("application/fhir+json")


def test_read_returns_the_stored_bytes(client):
    created = create(client, patient()).json()
    response = client.get(f"/fhir/Patient/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created
    assert response.headers["etag"] == 'W/"1"'


def test_decimals_keep_their_precision(client):
    values = ["1.50", "0.000120", "1e2", "12345678901234567890", "3.14159265358979323846"]
    extensions = ",".join(f'{{"url":"http://example.org/v{i}","valueDecimal":{v}}}' for i, v in enumerate(values))
    body = f'{{"resourceType":"Patient","extension":[{extensions}]}}'
    created = client.post("/fhir/Patient", content=body, headers=FHIR_JSON)
    assert created.status_code == 201, created.text
    read = client.get(f"/fhir/Patient/{created.json()['id']}").text
    for value in ("1.50", "0.000120", "12345678901234567890", "3.14159265358979323846"):
        assert f'"valueDecimal":{value}' in read
    # 1e2 keeps its value and precision (the exponent may be written as 1E+2)
    assert '"valueDecimal":1E+2' in read or '"valueDecimal":1e2' in read


def test_read_unknown_is_404_with_outcome(client):
    response = client.get("/fhir/Patient/does-not-exist")
    assert response.status_code == 404
    assert issue_codes(response.json()) == ["not-found"]


def test_update_creates_a_new_version(client):
    created = create(client, patient()).json()
    changed = {**created, "gender": "female"}
    response = client.put(f"/fhir/Patient/{created['id']}", content=json.dumps(changed), headers=FHIR_JSON)
    assert response.status_code == 200
    assert response.json()["meta"]["versionId"] == "2"
    assert response.headers["etag"] == 'W/"2"'
    assert response.headers["location"].endswith("/_history/2")
    assert client.get(f"/fhir/Patient/{created['id']}/_history/1").json()["gender"] == "male"
    assert client.get(f"/fhir/Patient/{created['id']}/_history/2").json()["gender"] == "female"


def test_update_without_change_keeps_the_version(client):
    created = create(client, patient()).json()
    response = client.put(f"/fhir/Patient/{created['id']}", content=json.dumps(created), headers=FHIR_JSON)
    assert response.status_code == 200
    assert response.json()["meta"]["versionId"] == "1"


def test_update_as_create_with_client_id(client):
    response = client.put(
        "/fhir/Patient/paciente-001",
        content=json.dumps(patient(id="paciente-001")),
        headers=FHIR_JSON,
    )
    assert response.status_code == 201
    assert response.json()["id"] == "paciente-001"
    assert response.headers["location"] == "http://testserver/fhir/Patient/paciente-001/_history/1"


def test_update_id_rules(client):
    mismatch = client.put("/fhir/Patient/a", content=json.dumps(patient(id="b")), headers=FHIR_JSON)
    assert mismatch.status_code == 400
    missing = client.put("/fhir/Patient/a", content=json.dumps(patient()), headers=FHIR_JSON)
    assert missing.status_code == 400
    bad = client.put("/fhir/Patient/a_b", content=json.dumps(patient(id="a_b")), headers=FHIR_JSON)
    assert bad.status_code == 400
    assert client.get("/fhir/Patient/a").status_code == 404


def test_vread_unknown_version_is_404(client):
    created = create(client, patient()).json()
    assert client.get(f"/fhir/Patient/{created['id']}/_history/7").status_code == 404
    assert client.get(f"/fhir/Patient/{created['id']}/_history/x").status_code == 404


def test_delete_is_a_versioned_tombstone_and_put_revives(client):
    created = create(client, patient()).json()
    url = f"/fhir/Patient/{created['id']}"
    deleted = client.delete(url)
    assert deleted.status_code == 200
    assert deleted.json()["resourceType"] == "OperationOutcome"
    assert deleted.headers["etag"] == 'W/"2"'
    gone = client.get(url)
    assert gone.status_code == 410
    assert issue_codes(gone.json()) == ["deleted"]
    assert client.get(f"{url}/_history/2").status_code == 410
    assert client.get(f"{url}/_history/1").status_code == 200
    again = client.delete(url)
    assert again.status_code == 200
    assert again.headers["etag"] == 'W/"2"'
    history = client.get(f"{url}/_history").json()
    assert [e["request"]["method"] for e in history["entry"]] == ["DELETE", "POST"]
    revived = client.put(url, content=json.dumps({**patient(), "id": created["id"]}), headers=FHIR_JSON)
    assert revived.status_code == 201
    assert revived.json()["meta"]["versionId"] == "3"
    assert client.get(url).status_code == 200


def test_delete_of_nothing_is_200(client):
    response = client.delete("/fhir/Patient/never-was")
    assert response.status_code == 200
    assert response.json()["issue"][0]["severity"] == "information"


def test_deleted_resources_leave_search(client):
    created = create(client, patient()).json()
    client.delete(f"/fhir/Patient/{created['id']}")
    bundle = client.get("/fhir/Patient").json()
    assert bundle.get("entry", []) == []

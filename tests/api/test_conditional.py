"""Conditional create, update, delete and read; If-Match version checks."""

from __future__ import annotations

import json

from tests.fhir_helpers import FHIR_JSON, issue_codes, patient


def post(client, resource, **headers):
    return client.post("/fhir/Patient", content=json.dumps(resource), headers={**FHIR_JSON, **headers})


def test_if_none_exist_returns_the_match(client):
    first = post(client, patient(id="x"))
    first_id = first.json()["id"]
    again = post(client, patient(), **{"If-None-Exist": f"_id={first_id}"})
    assert again.status_code == 200
    assert again.json()["id"] == first_id
    assert again.headers["location"].endswith(f"/Patient/{first_id}/_history/1")
    none = post(client, patient(), **{"If-None-Exist": "_id=nobody"})
    assert none.status_code == 201


def test_if_none_exist_with_several_matches_is_412(client):
    post(client, patient())
    post(client, patient())
    response = post(client, patient(), **{"If-None-Exist": "_lastUpdated=gt2000-01-01"})
    assert response.status_code == 412
    assert issue_codes(response.json()) == ["multiple-matches"]


def test_conditional_criteria_must_be_known(client):
    response = post(client, patient(), **{"If-None-Exist": "nonsense=1"})
    assert response.status_code == 400
    assert post(client, patient(), **{"If-None-Exist": ""}).status_code == 400


def test_conditional_update(client):
    created = client.put("/fhir/Patient?_id=cond-1", content=json.dumps(patient(id="cond-1")), headers=FHIR_JSON)
    assert created.status_code == 201
    assert created.json()["id"] == "cond-1"
    updated = client.put("/fhir/Patient?_id=cond-1", content=json.dumps(patient(gender="female")), headers=FHIR_JSON)
    assert updated.status_code == 200
    assert updated.json()["id"] == "cond-1"
    assert updated.json()["meta"]["versionId"] == "2"
    wrong_id = client.put("/fhir/Patient?_id=cond-1", content=json.dumps(patient(id="other")), headers=FHIR_JSON)
    assert wrong_id.status_code == 400
    server_id = client.put("/fhir/Patient?_id=nobody", content=json.dumps(patient()), headers=FHIR_JSON)
    assert server_id.status_code == 201
    post(client, patient())
    several = client.put("/fhir/Patient?_lastUpdated=gt2000", content=json.dumps(patient()), headers=FHIR_JSON)
    assert several.status_code == 412


def test_conditional_delete(client):
    created = post(client, patient()).json()
    response = client.delete(f"/fhir/Patient?_id={created['id']}")
    assert response.status_code == 200
    assert client.get(f"/fhir/Patient/{created['id']}").status_code == 410
    assert client.delete("/fhir/Patient?_id=nobody").status_code == 200
    post(client, patient())
    post(client, patient())
    assert client.delete("/fhir/Patient?_lastUpdated=gt2000").status_code == 412
    assert client.delete("/fhir/Patient").status_code == 400


def test_if_match(client):
    created = post(client, patient()).json()
    url = f"/fhir/Patient/{created['id']}"
    ok = client.put(
        url,
        content=json.dumps({**created, "gender": "female"}),
        headers={**FHIR_JSON, "If-Match": 'W/"1"'},
    )
    assert ok.status_code == 200
    stale = client.put(
        url,
        content=json.dumps({**created, "gender": "other"}),
        headers={**FHIR_JSON, "If-Match": 'W/"1"'},
    )
    assert stale.status_code == 412
    assert issue_codes(stale.json()) == ["conflict"]
    assert client.get(url).json()["gender"] == "female"
    bad = client.put(url, content=json.dumps(created), headers={**FHIR_JSON, "If-Match": "garbage"})
    assert bad.status_code == 400
    missing = client.put(
        "/fhir/Patient/nobody",
        content=json.dumps(patient(id="nobody")),
        headers={**FHIR_JSON, "If-Match": 'W/"1"'},
    )
    assert missing.status_code == 412
    assert client.delete(url, headers={"If-Match": 'W/"1"'}).status_code == 412
    assert client.delete(url, headers={"If-Match": 'W/"2"'}).status_code == 200


def test_conditional_read(client):
    created = post(client, patient())
    url = f"/fhir/Patient/{created.json()['id']}"
    assert client.get(url, headers={"If-None-Match": 'W/"1"'}).status_code == 304
    assert client.get(url, headers={"If-None-Match": 'W/"2"'}).status_code == 200
    assert client.get(url, headers={"If-None-Match": "*"}).status_code == 304
    last_modified = created.headers["last-modified"]
    assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200

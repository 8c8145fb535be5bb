"""One active Patient or Practitioner per cédula: 409 naming the holder, enforced under concurrency."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx

from fhir_server.model.canonical import CEDULA_SYSTEM
from tests.fhir_helpers import FHIR_JSON

CEDULA = "1710034065"


def person(resource_type: str = "Patient", cedula: str = CEDULA, **fields: object) -> dict[str, object]:
    identifier = {"use": "official", "system": CEDULA_SYSTEM, "value": cedula}
    return {"resourceType": resource_type, "identifier": [identifier], **fields}


def post(client, resource, **headers):
    return client.post(
        f"/fhir/{resource['resourceType']}", content=json.dumps(resource), headers={**FHIR_JSON, **headers}
    )


def test_second_active_patient_with_the_same_cedula_is_refused_naming_the_first(client):
    first = post(client, person())
    assert first.status_code == 201
    again = post(client, person(name=[{"family": "Otro"}]))
    assert again.status_code == 409
    issue = again.json()["issue"][0]
    assert issue["code"] == "duplicate"
    assert f"Patient/{first.json()['id']}" in issue["diagnostics"]
    assert issue["expression"] == ["Patient.identifier[0].value"]
    english = post(client, person(), **{"Accept-Language": "en"})
    assert "already holds identifier" in english.json()["issue"][0]["diagnostics"]
    assert client.get("/fhir/Patient", params={"identifier": f"{CEDULA_SYSTEM}|{CEDULA}"}).json()["total"] == 1


def test_updating_the_holder_and_inactive_duplicates_are_allowed(client):
    first = post(client, person()).json()
    updated = client.put(
        f"/fhir/Patient/{first['id']}", content=json.dumps({**first, "gender": "female"}), headers=FHIR_JSON
    )
    assert updated.status_code == 200
    assert post(client, person(active=False)).status_code == 201
    # Once the holder is deactivated, the cédula can be registered again.
    deactivated = {**updated.json(), "active": False}
    assert (
        client.put(f"/fhir/Patient/{first['id']}", content=json.dumps(deactivated), headers=FHIR_JSON).status_code
        == 200
    )
    assert post(client, person()).status_code == 201


def test_practitioners_have_their_own_namespace(client):
    assert post(client, person()).status_code == 201
    assert post(client, person("Practitioner")).status_code == 201
    assert post(client, person("Practitioner")).status_code == 409


def test_a_transaction_with_two_holders_of_one_cedula_stores_nothing(client):
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": f"urn:uuid:0000000{n}-0000-4000-8000-000000000000", "resource": person(),
             "request": {"method": "POST", "url": "Patient"}}
            for n in range(2)
        ],
    }  # fmt: skip
    response = client.post("/fhir", content=json.dumps(bundle), headers=FHIR_JSON)
    assert response.status_code == 409, response.text
    assert client.get("/fhir/Patient", params={"_summary": "count"}).json()["total"] == 0


def test_concurrent_registrations_of_one_cedula_create_exactly_one(live_server):
    def register(n: int) -> int:
        with httpx.Client(timeout=30) as http:
            body = person(name=[{"family": f"Cliente{n}"}])
            return http.post(f"{live_server}/Patient", content=json.dumps(body), headers=FHIR_JSON).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(register, range(8)))
    assert statuses == [201] + [409] * 7, statuses

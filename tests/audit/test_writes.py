"""Every committed write has its Provenance and AuditEvent, written in the same transaction; failed ones have none."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from fhir_server.api.app import create_app
from fhir_server.interactions.auditing import audit_write
from fhir_server.model.canonical import CEDULA_SYSTEM
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.writer import Writer
from tests.audit.helpers import agent, context, entities, patient_ids, request_ids, targets, written
from tests.conftest import make_settings
from tests.fhir_helpers import FHIR_JSON, observation, patient


def post(client: TestClient, resource: dict[str, object], **headers: str) -> dict[str, object]:
    response = client.post(
        f"/fhir/{resource['resourceType']}", content=json.dumps(resource), headers=FHIR_JSON | headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def by_target(storage: SqlStorage) -> dict[str, dict[str, object]]:
    return {target: p for p in written(storage, "Provenance") for target in targets(p)}


def test_create_update_patch_delete_each_write_provenance_and_audit_event(client, storage):
    owner = post(client, patient())
    obs = post(client, observation(subject={"reference": f"Patient/{owner['id']}"}), **{"X-Request-ID": "req-create"})
    path = f"/fhir/Observation/{obs['id']}"
    updated = client.put(path, content=json.dumps({**obs, "status": "amended"}), headers=FHIR_JSON)
    assert updated.status_code == 200
    patched = client.patch(
        path,
        content=json.dumps([{"op": "replace", "path": "/status", "value": "corrected"}]),
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert patched.status_code == 200, patched.text
    assert client.delete(path).status_code == 200

    # Written with the write itself: visible at once, no flush.
    provenances = by_target(storage)
    activities = {
        t: p["activity"]["coding"][0]["code"]  # type: ignore[index]
        for t, p in provenances.items()
        if t.startswith("Observation/")
    }
    assert activities == {
        f"Observation/{obs['id']}/_history/1": "CREATE",
        f"Observation/{obs['id']}/_history/2": "UPDATE",
        f"Observation/{obs['id']}/_history/3": "UPDATE",
        f"Observation/{obs['id']}/_history/4": "DELETE",
    }
    events = [e for e in written(storage, "AuditEvent") if entities(e, "4")[0]["what"]["reference"].startswith("Obs")]
    assert [(e["subtype"][0]["code"], e["action"], e["outcome"]) for e in events] == [
        ("create", "C", "0"),
        ("update", "U", "0"),
        ("patch", "U", "0"),
        ("delete", "D", "0"),
    ]
    assert all(patient_ids(e) == [owner["id"]] for e in events)  # even the delete: from the version it removed
    assert request_ids(events[0]) == ["req-create"]
    assert entities(events[3], "4")[0]["what"]["reference"] == f"Observation/{obs['id']}/_history/4"


def test_a_patient_write_names_the_patient_and_provenance_is_searchable(client, storage):
    created = post(client, patient())
    [event] = written(storage, "AuditEvent")
    assert patient_ids(event) == [created["id"]]
    assert agent(event, "110153")["who"] == {"display": "anonymous"}  # authorization is off: nobody identified
    found = client.get("/fhir/Provenance", params={"target": f"Patient/{created['id']}"}).json()
    assert found["total"] == 1
    assert client.get("/fhir/AuditEvent", params={"patient": created["id"]}).json()["total"] == 1


def test_failed_writes_leave_no_provenance_and_no_audit_event(client, storage):
    cedula = [{"use": "official", "system": CEDULA_SYSTEM, "value": "1710034065"}]
    holder = post(client, patient(identifier=cedula))
    before = (len(written(storage, "Provenance")), len(written(storage, "AuditEvent")))
    duplicate = client.post("/fhir/Patient", content=json.dumps(patient(identifier=cedula)), headers=FHIR_JSON)
    assert duplicate.status_code == 409
    stale = client.put(
        f"/fhir/Patient/{holder['id']}",
        content=json.dumps({**holder, "gender": "female"}),
        headers=FHIR_JSON | {"If-Match": 'W/"7"'},
    )
    assert stale.status_code == 412
    # A transaction whose second entry fails: the first entry's create is rolled back with its audit.
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": observation(), "request": {"method": "POST", "url": "Observation"}},
            {"resource": patient(identifier=cedula), "request": {"method": "POST", "url": "Patient"}},
        ],
    }
    failed = client.post("/fhir", content=json.dumps(bundle), headers=FHIR_JSON)
    assert failed.status_code == 409, failed.text
    assert (len(written(storage, "Provenance")), len(written(storage, "AuditEvent"))) == before


def test_a_transaction_audits_every_entry(client, storage):
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:8f6c1d1e-4b59-4a4e-9d33-0c5a2f6b7a10",
                "resource": patient(),
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "resource": observation(subject={"reference": "urn:uuid:8f6c1d1e-4b59-4a4e-9d33-0c5a2f6b7a10"}),
                "request": {"method": "POST", "url": "Observation"},
            },
        ],
    }
    response = client.post("/fhir", content=json.dumps(bundle), headers=FHIR_JSON)
    assert response.status_code == 200, response.text
    locations = [e["response"]["location"].removeprefix("http://testserver/fhir/") for e in response.json()["entry"]]
    assert set(by_target(storage)) == set(locations)
    patient_id = locations[0].split("/")[1]
    assert [patient_ids(e) for e in written(storage, "AuditEvent")] == [[patient_id], [patient_id]]


@pytest.mark.parametrize("language", ["es", "en"])
def test_nobody_creates_changes_or_deletes_audit_records_through_the_api(client, storage, language):
    post(client, patient())
    [event] = written(storage, "AuditEvent")
    [prov] = written(storage, "Provenance")
    new_event = {k: v for k, v in event.items() if k not in ("id", "meta")}
    new_prov = {k: v for k, v in prov.items() if k not in ("id", "meta")}
    headers = FHIR_JSON | {"Accept-Language": language}
    attempts = [
        client.post("/fhir/AuditEvent", content=json.dumps(new_event), headers=headers),
        client.put(f"/fhir/AuditEvent/{event['id']}", content=json.dumps({**event, "outcome": "4"}), headers=headers),
        client.delete(f"/fhir/AuditEvent/{event['id']}", headers=headers),
        client.post("/fhir/Provenance", content=json.dumps(new_prov), headers=headers),
        client.put(
            f"/fhir/Provenance/{prov['id']}", content=json.dumps({**prov, "policy": ["urn:x"]}), headers=headers
        ),
        client.patch(
            f"/fhir/Provenance/{prov['id']}",
            content=json.dumps([{"op": "add", "path": "/policy", "value": ["urn:x"]}]),
            headers={"Content-Type": "application/json-patch+json", "Accept-Language": language},
        ),
        client.delete(f"/fhir/Provenance/{prov['id']}", headers=headers),
    ]
    for response in attempts:
        assert response.status_code == 405, response.text
        issue = response.json()["issue"][0]
        assert issue["code"] == "not-supported"
        assert ("solo escribe el servidor" if language == "es" else "only the server writes") in issue["diagnostics"]
    # Still readable and searchable, unchanged.
    assert client.get(f"/fhir/AuditEvent/{event['id']}").json()["outcome"] == "0"
    assert client.get("/fhir/Provenance").json()["total"] == 1


def test_no_audit_when_disabled(storage, database_url):
    app = create_app(make_settings(database_url, audit_enabled=False), storage=storage)
    with TestClient(app, base_url="http://testserver") as client:
        post(client, patient())
        assert app.state.audit is None
    assert written(storage, "Provenance") == []
    assert written(storage, "AuditEvent") == []


def test_writes_outside_a_running_application_are_not_audited(storage):
    # audit_write needs the trail of a running application (the CLI's loaders write without one).
    def work(writer: Writer) -> None:
        saved = writer.save({"resourceType": "Patient"}, "p-cli", "PUT", None)
        audit_write(writer, context(), saved, None)

    storage.write(work)
    assert written(storage, "Provenance") == []

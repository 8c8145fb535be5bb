"""AuditEvents are append-only and stay out of system history (ADR 0016).

Through the application (its own trail, flushed explicitly) on SQLite and PostgreSQL: read, vread,
instance and type history with paging, _since and _at, system history without them, every change
refused (also to the server itself), and an event an earlier release stored (its copy in
resource_version, no place in history of its own) read the same way.
"""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from fhir_server.errors import MethodNotAllowed
from fhir_server.interactions import crud
from fhir_server.interactions.audit_trail import trail_for
from fhir_server.interactions.context import Principal, RequestContext
from fhir_server.storage.history import HistoryQuery
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.schema import resource_version
from tests.conftest import BASE_URL
from tests.fhir_helpers import FHIR_JSON, patient
from tests.storage.layouts import as_written_before

SYSTEM = RequestContext(BASE_URL, "en", ZoneInfo("America/Guayaquil"), principal=Principal(kind="system"))


def _audited_traffic(client: TestClient) -> list[str]:
    """A few audited requests; the ids of the AuditEvents they left, oldest first."""
    created = client.post("/fhir/Patient", json=patient(), headers=FHIR_JSON)
    assert created.status_code == 201
    pid = created.json()["id"]
    for _ in range(3):
        assert client.get(f"/fhir/Patient/{pid}").status_code == 200
    assert client.get("/fhir/Patient", params={"_id": pid}).status_code == 200
    trail = trail_for(BASE_URL)
    assert trail is not None
    trail.flush()
    ids: list[str] = []
    url: str | None = "/fhir/AuditEvent/_history?_count=2"
    while url:
        page = client.get(url)
        assert page.status_code == 200
        bundle = page.json()
        ids += [entry["resource"]["id"] for entry in bundle.get("entry", [])]
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
    return list(reversed(ids))


def _copies(storage: SqlStorage, type_name: str) -> int:
    with storage.engine.connect() as connection:
        stmt = sa.select(sa.func.count()).select_from(resource_version)
        return int(connection.execute(stmt.where(resource_version.c.res_type == type_name)).scalar_one())


def _postgres(storage: SqlStorage) -> bool:
    return storage.engine.dialect.name == "postgresql"


def test_audit_events_are_served_without_version_rows(client: TestClient, storage: SqlStorage) -> None:
    ids = _audited_traffic(client)
    # The history pages hold every event once: the create's (through the outbox)
    # and the three reads' and the search's (the history pages' own events are still queued).
    assert len(ids) == len(set(ids)) == 5
    # PostgreSQL copies no current version; SQLite copies every version.
    assert _copies(storage, "AuditEvent") == (0 if _postgres(storage) else len(ids))

    event_id = ids[-1]
    current = client.get(f"/fhir/AuditEvent/{event_id}")
    assert current.status_code == 200 and current.json()["meta"]["versionId"] == "1"
    version = client.get(f"/fhir/AuditEvent/{event_id}/_history/1")
    assert version.status_code == 200 and version.json() == current.json()
    assert version.headers["etag"] == 'W/"1"'
    assert client.get(f"/fhir/AuditEvent/{event_id}/_history/2").status_code == 404
    assert client.get("/fhir/AuditEvent/none/_history/1").status_code == 404

    instance = client.get(f"/fhir/AuditEvent/{event_id}/_history").json()
    assert instance["total"] == 1
    [entry] = instance["entry"]
    assert entry["resource"] == current.json()
    assert entry["request"] == {"method": "POST", "url": "AuditEvent"}
    assert entry["response"]["status"] == "201 Created"

    system = client.get("/fhir/_history", params={"_count": 500}).json()
    types = {entry["resource"]["resourceType"] for entry in system["entry"]}
    assert "Patient" in types and "AuditEvent" not in types


def test_type_history_since_and_at(client: TestClient, storage: SqlStorage) -> None:
    ids = _audited_traffic(client)
    rows = storage.history(HistoryQuery(type="AuditEvent", count=1000)).rows
    by_id = {row.id: row for row in rows}
    middle = by_id[ids[len(ids) // 2]].last_updated
    since = storage.history(HistoryQuery(type="AuditEvent", since=middle, count=1000)).rows
    assert {row.id for row in since} == {row.id for row in rows if row.last_updated >= middle}
    before = storage.history(HistoryQuery(type="AuditEvent", at=(middle, middle + 1), count=1000)).rows
    assert {row.id for row in before} == {row.id for row in rows if row.last_updated <= middle}
    assert all(row.method == "POST" and row.version == 1 for row in rows)


def test_no_one_changes_or_deletes_an_audit_event(client: TestClient, storage: SqlStorage) -> None:
    event_id = _audited_traffic(client)[-1]
    stored = client.get(f"/fhir/AuditEvent/{event_id}").json()
    changed = {**stored, "outcome": "8"}
    put = client.put(f"/fhir/AuditEvent/{event_id}", json=changed, headers={**FHIR_JSON, "Accept-Language": "en"})
    assert put.status_code == 405 and put.json()["resourceType"] == "OperationOutcome"
    assert client.delete(f"/fhir/AuditEvent/{event_id}").status_code == 405
    # The server itself (imports, the trail) is refused too: the history above rests on it.
    with pytest.raises(MethodNotAllowed) as refused:
        crud.update(storage, SYSTEM, "AuditEvent", event_id, json.dumps(changed).encode())
    assert refused.value.issues[0].message == "audit-append-only"
    with pytest.raises(MethodNotAllowed):
        crud.delete(storage, SYSTEM, "AuditEvent", event_id)
    assert client.get(f"/fhir/AuditEvent/{event_id}").json() == stored
    assert storage.history(HistoryQuery(type="AuditEvent", id=event_id)).total == 1


def test_events_stored_with_version_rows_before_read_the_same(client: TestClient, storage: SqlStorage) -> None:
    event_id = _audited_traffic(client)[-1]
    as_written_before(storage, event_id)
    assert client.get(f"/fhir/AuditEvent/{event_id}/_history/1").json()["id"] == event_id
    history = storage.history(HistoryQuery(type="AuditEvent", count=1000)).rows
    assert [row.id for row in history].count(event_id) == 1
    assert client.get(f"/fhir/AuditEvent/{event_id}/_history").json()["total"] == 1
    system = storage.history(HistoryQuery(count=1000)).rows
    assert system and all(row.type != "AuditEvent" for row in system)

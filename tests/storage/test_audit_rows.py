"""AuditEvents' index rows in one ``audit_index`` row each (ADR 0019), on SQLite and PostgreSQL.

The rows read back through the searches' view are exactly those ``index_rows`` extracts; an event
whose rows do not fit keeps them in the index tables; and every kind of AuditEvent search (each
parameter, modifiers, prefixes, sort, paging, includes, chains, _has, compartments) answers the same
for events stored compactly (the trail's batches) as for the same events in the index tables.
"""

from __future__ import annotations

from collections import Counter
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from fhir_server.audit.events import Access, Actor, rest_events
from fhir_server.audit.login import Authentication, authentication_event
from fhir_server.storage.audit_rows import AUDIT_TYPE, compact, index_source, present
from fhir_server.storage.indexing import index_rows
from fhir_server.storage.records import Stored
from fhir_server.storage.reindex import reindex_type
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.schema import INDEX_TABLES, audit_index
from fhir_server.storage.writer import Writer
from tests.conftest import BASE_URL

NOW = 1_795_982_706_935_298  # 2026-11-29T20:05:06.935298Z
DOCTOR = Actor("user", "Practitioner/dr-1", "acc-1", "Ana Pérez", "doctor", "web", "10.0.0.7")
SECRETARY = Actor("user", None, "acc-9", None, "secretaria", "web")
BULK = Actor("client", client_id="bulk-1")


def _events() -> list[dict[str, Any]]:
    """Events of every shape the server writes, over two patients and an hour."""
    accesses = [
        Access("read", 200, NOW, Actor(), BASE_URL, "req-1", "Observation", "o-1", 3, ("p-1",)),
        Access(
            "search-type",
            200,
            NOW + 60_000_000,
            DOCTOR,
            BASE_URL,
            "req-2",
            "Observation",
            None,
            None,
            ("p-1", "p-2"),
            "code=8867-4",
        ),
        Access(
            "operation",
            200,
            NOW + 120_000_000,
            BULK,
            BASE_URL,
            "req-3",
            "Patient",
            "p-1",
            None,
            ("p-1",),
            "_since=2026",
            "everything",
        ),
        Access("create", 201, NOW + 180_000_000, SECRETARY, BASE_URL, "-", "Patient", "p-2", 1),
        Access("read", 404, NOW + 240_000_000, DOCTOR, BASE_URL, "req-5", "Patient", "p-3", detail="not-found"),
        Access("search-system", 200, NOW + 3_600_000_000, DOCTOR, BASE_URL, "req-6", query="_lastUpdated=gt2026"),
    ]
    events = [event for access in accesses for event in rest_events(access)]
    events.append(authentication_event(Authentication("login", True, NOW + 30_000_000, DOCTOR, BASE_URL, "password")))
    events.append(authentication_event(Authentication("login", False, NOW + 90_000_000, Actor(name="x"), BASE_URL)))
    return events


def _too_many_entities() -> dict[str, Any]:
    [event] = rest_events(Access("read", 200, NOW, DOCTOR, BASE_URL, "req-9", "Observation", "o-9", 1, ("p-1",)))
    event["entity"] = [*event["entity"], {"what": {"reference": "Encounter/e-1"}}, {"what": {"reference": "Device/d"}}]
    return event


def _as_rows(found: Any, kind: str) -> Counter[tuple[Any, ...]]:
    names = [c.name for c in INDEX_TABLES[kind].columns if c.name not in ("resource_pk", "res_type")]
    return Counter(tuple(getattr(row, name) for name in names) for row in found)


def _expected(rows: list[dict[str, Any]], kind: str) -> Counter[tuple[Any, ...]]:
    names = [c.name for c in INDEX_TABLES[kind].columns if c.name not in ("resource_pk", "res_type")]
    return Counter(tuple(row.get(name) for name in names) for row in rows)


def test_slots_read_back_as_the_extracted_rows(storage: SqlStorage) -> None:
    events = [*_events(), _too_many_entities()]
    saved = storage.write(lambda w: w.create_many([(e, f"c-{n}", "POST") for n, e in enumerate(events)]))
    with storage.engine.connect() as connection:
        compacted = set(connection.execute(sa.select(audit_index.c.resource_pk)).scalars())
        for stored, event in zip(saved, events, strict=True):
            expected = index_rows(event, storage.context)
            assert (compact(stored.pk, expected) is not None) == (stored.pk in compacted)
            for kind in ("token", "reference", "date"):
                view = index_source(kind, AUDIT_TYPE)
                filled = present(kind, view)
                assert filled is not None
                found = connection.execute(sa.select(view).where(view.c.resource_pk == stored.pk, filled))
                assert _as_rows(found, kind) == _expected(expected.get(kind, []), kind), (stored.id, kind)
            table = INDEX_TABLES["reference"]
            plain = connection.execute(sa.select(sa.func.count()).where(table.c.resource_pk == stored.pk)).scalar()
            assert (plain == 0) == (stored.pk in compacted)
    assert len(compacted) == len(events) - 1  # all but the event with five entities


def _save_one(event: dict[str, Any], res_id: str, writer: Writer) -> Stored:
    return writer.save(event, res_id, "POST", None)


@pytest.fixture
def twice(storage: SqlStorage, client: TestClient) -> TestClient:
    """The events stored twice: compactly by one batch (ids c-n) and in the index tables (ids g-n)."""
    events = _events()
    # And one event kept only compactly, about a patient no other seeded event names.
    [only] = rest_events(Access("read", 200, NOW, DOCTOR, BASE_URL, "req-7", "Observation", "o-4", 1, ("p-4",)))
    storage.write(
        lambda w: w.create_many([*((e, f"c-{n}", "POST") for n, e in enumerate(events)), (only, "x-1", "POST")])
    )
    for n, event in enumerate(events):
        storage.write(partial(_save_one, dict(event), f"g-{n}"))
    with storage.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(audit_index)).scalar() == len(events) + 1
    for n, name in ((1, "García"), (2, "Andrade"), (4, "Zambrano")):
        created = client.put(f"/fhir/Patient/p-{n}", json={"resourceType": "Patient", "id": f"p-{n}",
                                                            "name": [{"family": name}]})  # fmt: skip
        assert created.status_code in (200, 201)
    return client


QUERIES = [
    "patient=p-1",
    "patient=Patient/p-2",
    "agent=Practitioner/dr-1",
    "agent:identifier=https://fhir.consultorio.ec/fhir/sid/client-id|bulk-1",
    "entity=Observation/o-1",
    "entity:identifier=req-2",
    "entity:missing=true",
    "agent:missing=false&subtype=operation",
    "subtype=|",
    "date=ge2026-11-29T20:07:00Z",
    "date=lt2026-11-29T20:07:00Z&action=E",
    "date=2026-11-29",
    "action=R",
    "action:not=E",
    "outcome=4",
    "subtype=http://hl7.org/fhir/restful-interaction|search-type",
    "subtype=operation,create",
    "subtype:text=$everything",
    "type=http://dicom.nema.org/resources/ontology/DCM|110114",
    "type=rest&outcome=0&_sort=-date",
    "_sort=date&_count=2",
    "patient.name=García",
    "patient=p-1&_include=AuditEvent:patient",
    "agent:Practitioner=dr-1&_include=AuditEvent:entity:Patient",
]


def _ids(client: TestClient, url: str) -> list[str]:
    found: list[str] = []
    while url:
        answer = client.get(url)
        assert answer.status_code == 200, answer.text
        bundle = answer.json()
        found += [f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle.get("entry", [])]
        url = next((link["url"] for link in bundle.get("link", []) if link["relation"] == "next"), "")
        url = url.replace("http://testserver", "")
    return found


@pytest.mark.parametrize("query", QUERIES)
def test_searches_answer_alike_from_both_places(twice: TestClient, query: str) -> None:
    found = _ids(twice, f"/fhir/AuditEvent?{query}")
    # Only the seeded events (ids c-n, g-n): the requests of the test add their own, ids of another form.
    compacted = [i.replace("/c-", "/") for i in found if i.startswith("AuditEvent/c-")]
    indexed = [i.replace("/g-", "/") for i in found if i.startswith("AuditEvent/g-")]
    assert compacted, query
    if "_sort" in query:
        assert compacted == indexed, query  # same values, so the same order
    else:
        assert sorted(compacted) == sorted(indexed), query
    if "_include" in query:
        assert any(not i.startswith("AuditEvent/") for i in found), query


def test_reverse_includes_and_has_see_compact_events(twice: TestClient) -> None:
    found = _ids(twice, "/fhir/Patient?_id=p-1&_revinclude=AuditEvent:patient")
    events = {i for i in found if i.startswith("AuditEvent/c-") or i.startswith("AuditEvent/g-")}
    assert {i.replace("/c-", "/") for i in events if "/c-" in i} == {
        i.replace("/g-", "/") for i in events if "/g-" in i
    }
    assert events
    assert "AuditEvent/x-1" in _ids(twice, "/fhir/Patient?_id=p-4&_revinclude=AuditEvent:patient")
    assert _ids(twice, "/fhir/Patient?_has:AuditEvent:patient:entity=Observation/o-4") == ["Patient/p-4"]
    with_operation = _ids(twice, "/fhir/Patient?_has:AuditEvent:patient:subtype=operation")
    assert with_operation == ["Patient/p-1"]


def test_compartment_and_everything_see_compact_events(twice: TestClient) -> None:
    assert "AuditEvent/x-1" in _ids(twice, "/fhir/Patient/p-4/AuditEvent")
    everything = _ids(twice, "/fhir/Patient/p-4/$everything?_type=Patient,AuditEvent")
    assert "AuditEvent/x-1" in everything
    assert not any(i.startswith("AuditEvent/c-") or i.startswith("AuditEvent/g-") for i in everything)


def test_reindexing_moves_an_audit_event_s_rows_and_nothing_else_touches_them(storage: SqlStorage) -> None:
    events = _events()
    saved = storage.write(lambda w: w.create_many([(e, f"c-{n}", "POST") for n, e in enumerate(events)]))
    reference = INDEX_TABLES["reference"]

    def counts() -> tuple[int, int]:
        with storage.engine.connect() as connection:
            compacted = connection.execute(sa.select(sa.func.count()).select_from(audit_index)).scalar_one()
            plain = connection.execute(
                sa.select(sa.func.count()).where(reference.c.resource_pk.in_([s.pk for s in saved]))
            ).scalar_one()
        return compacted, plain

    assert counts() == (len(events), 0)
    assert reindex_type(storage, "Observation", restart=True) == 0
    assert counts() == (len(events), 0)
    assert reindex_type(storage, AUDIT_TYPE, restart=True) == len(events)
    compacted, plain = counts()
    assert compacted == 0
    assert plain == sum(len(index_rows(e, storage.context).get("reference", [])) for e in events)

"""Reads and searches are queued, then written in batches by the trail (flushed explicitly: no sleeping)."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from fhir_server.api.app import create_app
from fhir_server.audit.events import Access, Actor, rest_events
from fhir_server.interactions.audit_trail import AuditTrail, defer_records, trail_for
from fhir_server.interactions.auditing import patients_of_stored, record_access
from fhir_server.interactions.context import Principal
from fhir_server.model.instants import now_us
from fhir_server.model.json import dumps
from fhir_server.storage.engine import make_engine
from fhir_server.storage.records import Stored
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.schema import deferred_record
from tests.audit.helpers import agent, context, entities, patient_ids, request_ids, written
from tests.conftest import BASE_URL, make_settings
from tests.fhir_helpers import FHIR_JSON, observation, patient

DOCTOR = Principal(kind="user", subject="Practitioner/dr1", role="doctor", client_id="web", account_id="acc-1")


@pytest.fixture
def trail(storage: SqlStorage) -> Iterator[AuditTrail]:
    """A started trail for the tests' base URL (its thread may flush too: results are the same)."""
    running = AuditTrail(storage, BASE_URL, flush_interval_s=3600, batch_size=500, max_queued=1000)
    running.start()
    yield running
    running.stop()


def stored(type_name: str, res_id: str, resource: dict[str, object] | None) -> Stored:
    content = dumps({"resourceType": type_name, "id": res_id, **(resource or {})}) if resource is not None else None
    return Stored(1, type_name, res_id, 1, 0, content is None, content)


def test_patients_of_stored_rows():
    rows = [
        stored("Patient", "p1", {}),
        stored(
            "Observation", "o1", {"subject": {"reference": "Patient/p2"}, "performer": [{"reference": "Patient/p3"}]}
        ),
        stored("Observation", "o2", {"subject": {"reference": "Group/g1"}}),
        stored("Encounter", "e1", {"subject": {"reference": "Patient/p2"}}),
        stored("Practitioner", "dr1", {}),
        stored("Condition", "gone", None),  # a tombstone belongs to nobody any more
    ]
    assert patients_of_stored(rows) == ("p1", "p2", "p3")


def test_patients_of_stored_rows_seen_again_or_large():
    """Contents are remembered by their bytes: the same id with other content names its own patients,
    and a content too large to remember is read each time."""
    first = stored("Observation", "o1", {"subject": {"reference": "Patient/p1"}})
    moved = stored("Observation", "o1", {"subject": {"reference": "Patient/p2"}})
    note = "x" * 20_000
    large = stored("Observation", "o2", {"subject": {"reference": "Patient/p3"}, "note": [{"text": note}]})
    for _ in range(2):
        assert patients_of_stored([first]) == ("p1",)
        assert patients_of_stored([moved]) == ("p2",)
        assert patients_of_stored([large, first]) == ("p3", "p1")


def test_read_and_search_events_after_a_flush(storage, trail):
    ctx = context(DOCTOR, request_id="req-read")
    record_access(ctx, "read", "Observation", "o1", ["p1"], 200, version=2)
    record_access(ctx, "search-type", "Observation", None, ["p1", "p2"], 200, query="code=8310-5&_count=5")
    assert written(storage, "AuditEvent") == []  # nothing touched the database in the request
    assert trail.flush() == 3
    read, *searches = written(storage, "AuditEvent")
    assert read["action"] == "R" and read["outcome"] == "0"
    assert entities(read, "4")[0]["what"]["reference"] == "Observation/o1/_history/2"
    assert patient_ids(read) == ["p1"]
    assert agent(read, "IRCP")["who"] == {"reference": "Practitioner/dr1"}
    assert request_ids(read) == ["req-read"]
    assert sorted(patient_ids(e)[0] for e in searches) == ["p1", "p2"]
    assert base64.b64decode(entities(searches[0], "24")[0]["query"]).decode() == "code=8310-5&_count=5"


def test_failed_requests_are_audited_as_minor_failures(storage, trail):
    record_access(context(DOCTOR), "read", "Patient", "nobody", [], 404, detail="not-found")
    record_access(context(DOCTOR), "search-type", "Observation", None, [], 403, query="code=x")
    trail.flush()
    missing, denied = written(storage, "AuditEvent")
    assert (missing["outcome"], missing["outcomeDesc"]) == ("4", "not-found")
    assert entities(missing, "4")[0]["what"]["reference"] == "Patient/nobody"
    assert denied["outcome"] == "4"


def test_break_glass_reads_carry_emergency_purpose(storage, trail):
    principal = Principal(kind="user", subject="Practitioner/dr2", role="doctor", break_glass="urgencia")
    record_access(context(principal), "read", "Condition", "c1", ["p9"], 200)
    trail.flush()
    [event] = written(storage, "AuditEvent")
    assert event["purposeOfEvent"][0]["coding"][0]["code"] == "ETREAT"


def test_full_queue_drops_the_oldest_with_a_warning(storage, caplog):
    small = AuditTrail(storage, BASE_URL, max_queued=3, flush_interval_s=3600)
    small.start()
    try:
        for number in range(5):
            record_access(context(), "read", "Patient", f"p{number}", [], 200)
        assert small.pending == 3
        assert small.dropped == 2
        with caplog.at_level(logging.WARNING, logger="fhir_server.audit"):
            small.flush()
        assert "dropped the 2 oldest" in caplog.text
    finally:
        small.stop()
    read = [entities(e, "4")[0]["what"]["reference"] for e in written(storage, "AuditEvent")]
    assert read == ["Patient/p2", "Patient/p3", "Patient/p4"]


def test_large_queues_are_written_in_batches(storage):
    batched = AuditTrail(storage, BASE_URL, batch_size=7, flush_interval_s=3600)
    batched.start()
    try:
        for number in range(20):
            record_access(context(), "read", "Patient", f"p{number}", [], 200)
    finally:
        batched.stop()  # shutdown writes whatever is still queued, 7 per transaction
    assert len(written(storage, "AuditEvent")) == 20
    assert batched.pending == 0


def test_shutdown_flushes_and_unregisters(storage):
    trail = AuditTrail(storage, BASE_URL, flush_interval_s=3600)
    trail.start()
    assert trail_for(BASE_URL) is trail
    record_access(context(), "search-system", None, None, [], 200, query="_lastUpdated=gt2020")
    trail.stop()
    assert trail_for(BASE_URL) is None
    assert len(written(storage, "AuditEvent")) == 1
    record_access(context(), "read", "Patient", "p1", [], 200)  # no running trail: ignored, never an error
    assert len(written(storage, "AuditEvent")) == 1


def test_a_batch_that_cannot_be_written_stays_queued(storage, tmp_path, caplog):
    unreachable = SqlStorage(make_engine(f"sqlite:///{tmp_path / 'missing' / 'no.sqlite3'}"))
    trail = AuditTrail(unreachable, BASE_URL)
    trail.enqueue(Access("read", 200, now_us(), Actor(), BASE_URL, type_name="Patient", res_id="p1"))
    with caplog.at_level(logging.ERROR, logger="fhir_server.audit"):
        assert trail.flush() == 0
    assert "stay queued" in caplog.text
    assert trail.pending == 1
    trail.storage = storage  # the database is back
    assert trail.flush() == 1
    assert len(written(storage, "AuditEvent")) == 1
    unreachable.engine.dispose()


def test_the_application_runs_a_trail_and_flushes_it_on_shutdown(storage, database_url):
    app = create_app(make_settings(database_url, audit_flush_interval_ms=60_000), storage=storage)
    with TestClient(app, base_url="http://testserver") as client:
        created = client.post("/fhir/Patient", content=json.dumps(patient()), headers=FHIR_JSON).json()
        client.post(
            "/fhir/Observation",
            content=json.dumps(observation(subject={"reference": f"Patient/{created['id']}"})),
            headers=FHIR_JSON,
        )
        trail: AuditTrail = app.state.audit
        assert trail_for(BASE_URL) is trail
        record_access(context(DOCTOR), "read", "Patient", created["id"], [created["id"]], 200)
        assert trail.pending == 1
    # Leaving the client ran the lifespan's shutdown: the queued read was written.
    events = written(storage, "AuditEvent")
    assert [e["action"] for e in events] == ["C", "C", "R"]
    assert trail_for(BASE_URL) is None


def test_a_burst_goes_through_the_outbox_and_nothing_is_lost(storage):
    # Not started: no thread flushes behind the test's back.
    burst = AuditTrail(storage, BASE_URL, flush_interval_s=3600, batch_size=2, max_queued=100)
    for n in range(7):
        burst.enqueue(
            Access("read", 200, now_us(), Actor(), BASE_URL, f"req-{n}", "Patient", f"p{n}", None, (f"p{n}",))
        )
    # 4 go to the outbox (5 and 3 were still waiting behind them), 3 are stored at once, then one drain
    # transaction (a batch: 2) indexes outbox records up to the limit of 1.
    assert burst.flush(drain_limit=1) == 5
    with storage.engine.connect() as connection:
        waiting = connection.execute(sa.select(sa.func.count()).select_from(deferred_record)).scalar_one()
    assert waiting == 2
    events = written(storage, "AuditEvent")
    assert sorted(request_ids(e)[0] for e in events) == [f"req-{n}" for n in range(7)]


def test_a_tick_leaves_less_than_a_batch_for_the_next_one(storage):
    # Not started: the test plays the thread's ticks. A tick writes while a full batch waits, then stops, so
    # the events that arrive during a write join the next tick's batch instead of a transaction of their own.
    ticking = AuditTrail(storage, BASE_URL, flush_interval_s=3600, batch_size=3, max_queued=100)

    def enqueue(count: int) -> None:
        for _ in range(count):
            ticking.enqueue(Access("read", 200, now_us(), Actor(), BASE_URL, type_name="Patient", res_id="p1"))

    enqueue(2)
    assert ticking.flush(whole=False) == 2  # less than a batch queued: all of it, in one transaction
    enqueue(8)
    assert ticking.flush(whole=False) == 6  # 8 -> 5 -> 2 waiting: two batches, then the rest waits
    assert ticking.pending == 2
    assert ticking.flush() == 2  # shutdown and tests: everything
    assert len(written(storage, "AuditEvent")) == 10


def test_a_tick_indexes_the_outbox_in_the_transaction_of_its_batch(storage):
    # Records committed with writes wait in the outbox; a tick indexes them beside its queued batch, in
    # one transaction, instead of a transaction of their own for the few that came in since the last tick.
    ticking = AuditTrail(storage, BASE_URL, flush_interval_s=3600, batch_size=50, max_queued=100)
    outboxed = [Access("create", 201, now_us(), Actor(), BASE_URL, f"w-{n}", "Patient", f"p{n}") for n in range(3)]
    storage.write(lambda writer: defer_records([e for a in outboxed for e in rest_events(a)], writer))
    for n in range(4):
        ticking.enqueue(Access("read", 200, now_us(), Actor(), BASE_URL, f"r-{n}", "Patient", f"p{n}"))
    commits: list[object] = []

    def count_commit(connection: object) -> None:
        commits.append(connection)

    sa.event.listen(storage.engine, "commit", count_commit)
    try:
        assert ticking.flush(whole=False) == 7
    finally:
        sa.event.remove(storage.engine, "commit", count_commit)
    assert len(commits) == 1
    with storage.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(deferred_record)).scalar_one() == 0
    events = written(storage, "AuditEvent")
    assert sorted(request_ids(e)[0] for e in events) == ["r-0", "r-1", "r-2", "r-3", "w-0", "w-1", "w-2"]


def test_a_tick_works_off_an_outbox_backlog_up_to_its_limit(storage):
    ticking = AuditTrail(storage, BASE_URL, flush_interval_s=3600, batch_size=2, max_queued=100)
    outboxed = [Access("create", 201, now_us(), Actor(), BASE_URL, f"w-{n}", "Patient", f"p{n}") for n in range(7)]
    storage.write(lambda writer: defer_records([e for a in outboxed for e in rest_events(a)], writer))
    assert ticking.flush(drain_limit=4, whole=False) == 4  # nothing queued: two outbox shares of a batch
    assert ticking.flush(drain_limit=4, whole=False) == 3
    assert ticking.flush(drain_limit=4, whole=False) == 0
    assert len(written(storage, "AuditEvent")) == 7

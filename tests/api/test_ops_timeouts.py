"""Request time limit: a request stuck behind a lock answers 503 with an OperationOutcome; on PostgreSQL
its statement is cancelled by the database too."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from fhir_server.api.app import create_app
from fhir_server.api.ops import statement_timeout_ms
from fhir_server.settings import Settings
from fhir_server.storage.engine import is_sqlite, make_engine
from fhir_server.storage.migrate import upgrade
from fhir_server.storage.params.common import ExtractContext
from fhir_server.storage.repository import SqlStorage
from tests.conftest import BASE_URL, _postgres_database, make_settings

FHIR = {"Content-Type": "application/fhir+json", "Accept-Language": "en"}
BUNDLE = {"resourceType": "Bundle", "type": "transaction",
          "entry": [{"resource": {"resourceType": "Patient", "gender": "other"}, "request": {"method": "POST", "url": "Patient"}}]}  # fmt: skip


def test_statement_timeout_never_outlasts_the_request() -> None:
    assert statement_timeout_ms(Settings(request_timeout_seconds=2, db_statement_timeout_ms=30_000)) == 2000
    assert statement_timeout_ms(Settings(request_timeout_seconds=60, db_statement_timeout_ms=30_000)) == 30_000
    assert statement_timeout_ms(Settings(request_timeout_seconds=0, db_statement_timeout_ms=0)) == 0


@contextmanager
def write_lock(engine: sa.Engine, table: str = "resource") -> Iterator[None]:
    """Another connection holds the write lock on the table (SQLite: the database) until the block ends."""
    if is_sqlite(engine):
        connection = sqlite3.connect(str(engine.url.database), isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    with engine.connect() as holder, holder.begin():
        holder.execute(sa.text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
        yield


def waiting_on_locks(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )).scalar_one())  # fmt: skip


def patients(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text("SELECT count(*) FROM resource WHERE res_type = 'Patient'")).scalar_one())


def wait_for_abandoned_writes(engine: sa.Engine) -> None:
    """Until the writes abandoned at their time limit have ended in their threads (their task may end first)."""
    deadline = time.monotonic() + 15
    while engine.pool.checkedout() and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.05)
    assert not engine.pool.checkedout()  # type: ignore[attr-defined]


def test_a_request_over_the_limit_answers_503(storage: SqlStorage, database_url: str) -> None:
    settings = make_settings(database_url, request_timeout_seconds=1, audit_enabled=False)
    # The app's own engine, with the statement timeout the server derives from the request limit.
    engine = make_engine(database_url, statement_timeout_ms=statement_timeout_ms(settings))
    app_storage = SqlStorage(engine, context=ExtractContext(ZoneInfo("America/Guayaquil"), BASE_URL))
    try:
        with TestClient(create_app(settings, storage=app_storage), raise_server_exceptions=False) as client:
            with write_lock(storage.engine):
                response = client.post("/fhir", json=BUNDLE, headers=FHIR)
                assert response.status_code == 503, response.text
                assert response.headers["x-request-id"]
                issue = response.json()["issue"][0]
                # The request limit answers first ("timeout"), or the equal statement timeout ("transient").
                assert issue["code"] in ("timeout", "transient")
                if not is_sqlite(engine):
                    # The database stopped the statement itself: nothing waits on the lock any more.
                    deadline = time.monotonic() + 15
                    while waiting_on_locks(storage.engine) and time.monotonic() < deadline:
                        time.sleep(0.05)
                    assert waiting_on_locks(storage.engine) == 0
            # SQLite cannot cancel the statement: the abandoned write goes on once the lock is free, but
            # it was answered 503, so it rolls back instead of committing.
            wait_for_abandoned_writes(engine)
            assert patients(storage.engine) == 0
            assert client.post("/fhir", json=BUNDLE, headers=FHIR).status_code == 200  # the server goes on
    finally:
        engine.dispose()


def test_the_timeout_message_is_translated(storage: SqlStorage, database_url: str) -> None:
    settings = make_settings(database_url, request_timeout_seconds=0.5, audit_enabled=False)
    if not is_sqlite(storage.engine):
        return  # on PostgreSQL the equal statement timeout may answer first; the sqlite run covers the text
    with TestClient(create_app(settings, storage=storage), raise_server_exceptions=False) as client:
        with write_lock(storage.engine):
            spanish = client.post("/fhir", json=BUNDLE, headers={"Content-Type": "application/fhir+json"})
        assert spanish.status_code == 503
        issue = spanish.json()["issue"][0]
        assert issue["code"] == "timeout"
        assert issue["details"]["text"] == "La solicitud superó el tiempo máximo de 0.5 s y se canceló"
        wait_for_abandoned_writes(storage.engine)
        assert patients(storage.engine) == 0


def test_a_write_answered_503_never_commits_later(storage: SqlStorage, database_url: str) -> None:
    """The abandoned write outlives its 503 in its thread (no statement timeout stops it here), and
    must roll back rather than store what the client was told failed: a retry would store it twice."""
    settings = make_settings(database_url, request_timeout_seconds=0.5, audit_enabled=False)
    with TestClient(create_app(settings, storage=storage), raise_server_exceptions=False) as client:
        with write_lock(storage.engine):
            response = client.post("/fhir/Patient", json={"resourceType": "Patient"}, headers=FHIR)
            assert response.status_code == 503, response.text
            time.sleep(0.5)  # the write is still waiting for the lock, past its answer
        wait_for_abandoned_writes(storage.engine)
        assert patients(storage.engine) == 0
        assert client.post("/fhir/Patient", json={"resourceType": "Patient"}, headers=FHIR).status_code == 201
        assert patients(storage.engine) == 1


@contextmanager
def slow_commits(engine: sa.Engine, seconds: float) -> Iterator[None]:
    """Every commit that inserted a resource takes ``seconds`` longer (a deferred trigger that sleeps)."""
    with engine.begin() as connection:
        connection.execute(sa.text(f"""
            CREATE FUNCTION test_slow_commit() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN PERFORM pg_sleep({seconds}); RETURN NULL; END $$;
            CREATE CONSTRAINT TRIGGER test_slow_commit AFTER INSERT ON resource
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_slow_commit();
        """))  # fmt: skip
    try:
        yield
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text("DROP TRIGGER test_slow_commit ON resource; DROP FUNCTION test_slow_commit()"))


@pytest.mark.postgres
def test_a_write_committing_at_the_limit_gets_its_real_answer() -> None:
    """When the limit expires during the commit, the server waits for it: a 503 would hide a stored write.
    PostgreSQL only: SQLite has no way to make a commit itself slow."""
    for url in _postgres_database():
        engine = make_engine(url)
        try:
            upgrade(engine)
            storage = SqlStorage(engine, context=ExtractContext(ZoneInfo("America/Guayaquil"), BASE_URL))
            settings = make_settings(url, request_timeout_seconds=0.5, audit_enabled=False)
            app = create_app(settings, storage=storage)
            with TestClient(app, raise_server_exceptions=False) as client, slow_commits(engine, 1.5):
                started = time.monotonic()
                response = client.post("/fhir/Patient", json={"resourceType": "Patient"}, headers=FHIR)
                elapsed = time.monotonic() - started
            assert response.status_code == 201, response.text
            assert elapsed >= 1.5  # it did outlast its limit, in the commit
            assert patients(engine) == 1
        finally:
            engine.dispose()


def export_jobs(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text("SELECT count(*) FROM bulk_export_job")).scalar_one())


def test_an_export_kickoff_answered_503_leaves_no_job(storage: SqlStorage, database_url: str, tmp_path) -> None:
    """Jobs are written outside the resource transaction: the same rule holds for them."""
    settings = make_settings(database_url, request_timeout_seconds=0.5, audit_enabled=False, bulk_dir=tmp_path)
    kickoff = {"Prefer": "respond-async", "Accept": "application/fhir+json"}
    with TestClient(create_app(settings, storage=storage), raise_server_exceptions=False) as client:
        with write_lock(storage.engine, "bulk_export_job"):
            assert client.get("/fhir/$export", headers=kickoff).status_code == 503
            time.sleep(0.5)  # the kick-off still waits for the lock, past its answer
        wait_for_abandoned_writes(storage.engine)
        assert export_jobs(storage.engine) == 0
        assert client.get("/fhir/$export", headers=kickoff).status_code == 202
        assert export_jobs(storage.engine) == 1

"""Reads on a real streaming replica: searches leave the primary, writers read their writes, a lost replica is
survived. One primary + replica pair (two PostgreSQL clusters on 127.0.0.1) serves the whole module."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from fhir_server.api.app import create_app
from fhir_server.api.read_your_writes import COOKIE, HEADER
from fhir_server.storage.engine import make_engine
from fhir_server.storage.migrate import upgrade
from fhir_server.storage.replica import ReplicatedStorage
from fhir_server.storage.repository import SqlStorage
from tests.conftest import make_settings
from tests.pg_cluster import PgCluster, replicated_pair

pytestmark = pytest.mark.postgres
FHIR_JSON = {"Content-Type": "application/fhir+json"}


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[PgCluster, PgCluster]]:
    with replicated_pair(databases=["fhir"]) as (primary, replica):
        engine = make_engine(primary.url("fhir"))
        upgrade(engine)
        engine.dispose()
        replica.wait_replayed(primary.wal_lsn())
        yield primary, replica


@pytest.fixture(scope="module")
def app(pair: tuple[PgCluster, PgCluster]) -> Iterator[Any]:
    primary, replica = pair
    settings = make_settings(
        primary.url("fhir"), database_replica_url=replica.url("fhir"), audit_enabled=False, replica_retry_seconds=0
    )
    application = create_app(settings)
    assert isinstance(application.state.storage, ReplicatedStorage)
    yield application


def _client(app: Any) -> TestClient:
    return TestClient(app, base_url="http://testserver", raise_server_exceptions=False)


def _patient(family: str) -> dict[str, Any]:
    return {"resourceType": "Patient", "name": [{"family": family}]}


def _found(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [entry["resource"]["id"] for entry in response.json().get("entry", [])]


def test_searches_and_reads_are_served_by_the_replica(app: Any, pair: tuple[PgCluster, PgCluster]) -> None:
    primary, replica = pair
    with _client(app) as writer:
        created = writer.post("/fhir/Patient", json=_patient("Quishpe"), headers=FHIR_JSON)
        assert created.status_code == 201, created.text
        assert created.headers[HEADER] and COOKIE in created.headers["set-cookie"]
        patient_id = created.json()["id"]
    replica.wait_replayed(primary.wal_lsn())
    primary.stop("fast")  # from here on only the replica can answer
    try:
        with _client(app) as reader:
            assert _found(reader.get("/fhir/Patient", params={"family": "Quishpe"})) == [patient_id]
            assert reader.get(f"/fhir/Patient/{patient_id}").status_code == 200
            assert reader.get(f"/fhir/Patient/{patient_id}/_history/1").status_code == 200
            assert reader.get(f"/fhir/Patient/{patient_id}/_history").status_code == 200
            # A write needs the primary: it fails cleanly, as a 503 OperationOutcome.
            refused = reader.post("/fhir/Patient", json=_patient("Sin primario"), headers=FHIR_JSON)
            assert refused.status_code == 503
            assert refused.json()["resourceType"] == "OperationOutcome"
    finally:
        primary.start()


def test_the_writing_client_reads_its_writes_while_the_replica_lags(
    app: Any, pair: tuple[PgCluster, PgCluster]
) -> None:
    primary, replica = pair
    replica.query("SELECT pg_wal_replay_pause()")  # the replica stops applying WAL: a lag as long as we like
    try:
        with _client(app) as writer, _client(app) as stranger:
            created = writer.post("/fhir/Patient", json=_patient("Guamán"), headers=FHIR_JSON)
            assert created.status_code == 201, created.text
            patient_id = created.json()["id"]
            # The writer (its cookie jar echoes the mark) sees the write at once, by id, in searches and history.
            assert writer.get(f"/fhir/Patient/{patient_id}").status_code == 200
            assert _found(writer.get("/fhir/Patient", params={"family": "Guamán"})) == [patient_id]
            assert writer.get(f"/fhir/Patient/{patient_id}/_history").json()["total"] == 1
            updated = writer.put(
                f"/fhir/Patient/{patient_id}",
                json={**_patient("Guamán"), "id": patient_id, "gender": "female"},
                headers=FHIR_JSON,
            )
            assert updated.status_code == 200
            assert writer.get(f"/fhir/Patient/{patient_id}").json()["meta"]["versionId"] == "2"
            # Another client without the mark reads the lagging replica: proof the lag is real.
            assert stranger.get(f"/fhir/Patient/{patient_id}").status_code == 404
            assert _found(stranger.get("/fhir/Patient", params={"family": "Guamán"})) == []
            # The mark also works as a header, for clients that keep no cookies.
            echoed = stranger.get(f"/fhir/Patient/{patient_id}", headers={HEADER: created.headers[HEADER]})
            assert echoed.status_code == 200
            # A malformed mark is ignored, never an error.
            assert stranger.get(f"/fhir/Patient/{patient_id}", headers={HEADER: "not-an-lsn"}).status_code == 404
    finally:
        replica.query("SELECT pg_wal_replay_resume()")
    replica.wait_replayed(primary.wal_lsn())
    with _client(app) as stranger:
        assert stranger.get(f"/fhir/Patient/{patient_id}").json()["meta"]["versionId"] == "2"


def test_reads_fall_back_to_the_primary_when_the_replica_is_down(
    app: Any, pair: tuple[PgCluster, PgCluster], caplog: pytest.LogCaptureFixture
) -> None:
    _primary, replica = pair
    storage = app.state.storage
    with _client(app) as client:
        created = client.post("/fhir/Patient", json=_patient("Tenesaca"), headers=FHIR_JSON)
        patient_id = created.json()["id"]
        replica.stop("immediate")
        try:
            with _client(app) as reader, caplog.at_level(logging.WARNING):
                before = storage.primary_reads
                assert _found(reader.get("/fhir/Patient", params={"family": "Tenesaca"})) == [patient_id]
                assert reader.get(f"/fhir/Patient/{patient_id}").status_code == 200
                assert storage.primary_reads >= before + 2
            assert "replica unavailable" in caplog.text
        finally:
            replica.start()
    replica_reads = storage.replica_reads
    with _client(app) as reader:  # the replica is back: reads return to it
        assert reader.get(f"/fhir/Patient/{patient_id}").status_code == 200
    assert storage.replica_reads == replica_reads + 1


def test_sqlite_ignores_the_replica_setting(tmp_path: Any, caplog: pytest.LogCaptureFixture) -> None:
    url = f"sqlite:///{tmp_path / 'fhir.sqlite3'}"
    with caplog.at_level(logging.WARNING):
        application = create_app(make_settings(url, database_replica_url="postgresql://127.0.0.1:1/none"))
    assert type(application.state.storage) is SqlStorage
    assert "SQLite has no replicas" in caplog.text


def test_replica_reads_are_bounded_by_the_same_statement_timeout(app: Any) -> None:
    storage = app.state.storage

    def timeout_of(engine: sa.Engine) -> str:
        with engine.connect() as connection:
            return str(connection.exec_driver_sql("SHOW statement_timeout").scalar())

    primary = timeout_of(storage.engine)
    assert primary not in ("0", "")  # the request time limit relies on it for reads
    assert timeout_of(storage.replica_engine) == primary
    assert timeout_of(storage.read_engine) == primary

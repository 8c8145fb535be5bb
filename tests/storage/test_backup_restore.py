"""Backups restore to a server that answers exactly as the original did: pg_dump -Fc / pg_restore on PostgreSQL,
the online backup API on SQLite (docs/operations/backup.md)."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fhir_server.api.app import create_app
from fhir_server.storage.engine import make_engine
from fhir_server.storage.migrate import upgrade
from tests.conftest import IN_CI, _postgres_database, make_settings
from tests.pg_cluster import PgClusterUnavailable, find_bindir

FHIR_JSON = {"Content-Type": "application/fhir+json"}


def _client(url: str) -> TestClient:
    app = create_app(make_settings(url, audit_enabled=False))
    return TestClient(app, base_url="http://testserver", raise_server_exceptions=False)


def _populate(client: TestClient) -> None:
    """Patients with observations, an update (two versions) and a delete (a tombstone in history)."""
    for n in range(5):
        patient = client.post(
            "/fhir/Patient", json={"resourceType": "Patient", "name": [{"family": f"Respaldo{n}"}]}, headers=FHIR_JSON
        ).json()
        for value in (120, 135):
            observation = {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                "subject": {"reference": f"Patient/{patient['id']}"},
                "valueQuantity": {"value": value + n, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org"},
            }
            assert client.post("/fhir/Observation", json=observation, headers=FHIR_JSON).status_code == 201
        patient["gender"] = "male"
        assert client.put(f"/fhir/Patient/{patient['id']}", json=patient, headers=FHIR_JSON).status_code == 200
    gone = client.post("/fhir/Patient", json={"resourceType": "Patient"}, headers=FHIR_JSON).json()
    assert client.delete(f"/fhir/Patient/{gone['id']}").status_code in (200, 204)


def _snapshot(client: TestClient) -> dict[str, Any]:
    """Everything a client can see: every version (system history), every current resource, some searches."""
    history = client.get("/fhir/_history", params={"_count": "1000"}).json()
    versions = [(entry.get("request"), entry.get("resource"), entry.get("response")) for entry in history["entry"]]
    current = {}
    for entry in history["entry"]:
        resource = entry.get("resource")
        if resource is not None:
            type_name, res_id = resource["resourceType"], resource["id"]
        else:  # a deletion: its request names the resource
            type_name, res_id = entry["request"]["url"].split("/")[:2]
        read = client.get(f"/fhir/{type_name}/{res_id}")
        current[f"{type_name}/{res_id}"] = (read.status_code, read.json())
    searches = {
        query: sorted(e["resource"]["id"] for e in client.get(f"/fhir/{query}").json().get("entry", []))
        for query in (
            "Patient?family=Respaldo3",
            "Patient?gender=male",
            "Observation?code=http://loinc.org|8480-6&value-quantity=gt130",
            "Observation?subject.family=Respaldo1",
        )
    }
    return {"versions": versions, "current": current, "searches": searches, "total": history.get("total")}


def _check_restored(original: dict[str, Any], restored: dict[str, Any]) -> None:
    assert len(original["versions"]) == 5 * 4 + 2  # 5 x (patient v1, v2, two observations) + created/deleted
    assert restored == original
    assert all(ids for ids in original["searches"].values())


@pytest.fixture
def pg_tools() -> Path:
    try:
        bindir = find_bindir()
    except PgClusterUnavailable as exc:
        if IN_CI:
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    return bindir


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@pytest.mark.postgres
def test_pg_dump_and_pg_restore_round_trip(pg_tools: Path, tmp_path: Path) -> None:
    databases: Generator[str] = _postgres_database()  # type: ignore[assignment]
    restored_databases: Generator[str] = _postgres_database()  # type: ignore[assignment]
    source_url, target_url = next(databases), next(restored_databases)
    try:
        engine = make_engine(source_url)
        upgrade(engine)
        engine.dispose()
        with _client(source_url) as client:
            _populate(client)
            original = _snapshot(client)
            dump = tmp_path / "fhir.dump"
            # Taken while the server is up: pg_dump reads one consistent snapshot.
            subprocess.run(
                [str(pg_tools / "pg_dump"), "-Fc", "-f", str(dump), "-d", _libpq(source_url)], check=True, timeout=120
            )
        subprocess.run(
            [str(pg_tools / "pg_restore"), "--no-owner", "--exit-on-error", "-d", _libpq(target_url), str(dump)],
            check=True,
            timeout=120,
        )
        with _client(target_url) as restored_client:
            _check_restored(original, _snapshot(restored_client))
            # The restored server takes writes: sequences came back past the restored rows.
            created = restored_client.post("/fhir/Patient", json={"resourceType": "Patient"}, headers=FHIR_JSON)
            assert created.status_code == 201
    finally:
        for generator in (databases, restored_databases):
            generator.close()  # drops the scratch database


def test_sqlite_online_backup_round_trip(tmp_path: Path) -> None:
    source_path, backup_path = tmp_path / "fhir.sqlite3", tmp_path / "backup.sqlite3"
    source_url = f"sqlite:///{source_path}"
    engine = make_engine(source_url)
    upgrade(engine)
    engine.dispose()
    with _client(source_url) as client:
        _populate(client)
        original = _snapshot(client)
        # The online backup API copies a consistent database while the server keeps it open (WAL mode).
        with sqlite3.connect(source_path) as source, sqlite3.connect(backup_path) as target:
            source.backup(target)
        source.close()
        target.close()
    with _client(f"sqlite:///{backup_path}") as restored_client:
        _check_restored(original, _snapshot(restored_client))

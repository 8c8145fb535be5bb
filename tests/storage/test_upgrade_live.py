"""`fhir-server migrate` on a live database: from the previous release's schema (revision 0008), with data, while a
real server keeps reading and writing it. No request fails, nothing is lost, and the server works afterwards."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command

from fhir_server.api.app import create_app
from fhir_server.storage.engine import make_engine
from fhir_server.storage.migrate import MIGRATIONS, alembic_config, is_current
from tests.conftest import _postgres_database, make_settings, serving

PREVIOUS_RELEASE = "0008"
FHIR_JSON = {"Content-Type": "application/fhir+json"}
FHIR_SERVER = Path(sys.executable).with_name("fhir-server")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fhir.sqlite3'}"
    else:
        yield from _postgres_database()


def _upgrade_to(url: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def _patient(family: str) -> dict[str, Any]:
    return {"resourceType": "Patient", "name": [{"family": family}], "gender": "female"}


class Traffic:
    """Client threads creating, reading and searching patients until stopped; every status is kept."""

    def __init__(self, base: str, clients: int = 2) -> None:
        self.base = base
        self.stop = threading.Event()
        self.statuses: list[tuple[str, int]] = []
        self.acknowledged: dict[str, str] = {}  # id -> family, for every 201
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(clients)]

    def __enter__(self) -> Traffic:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def _record(self, label: str, response: httpx.Response) -> None:
        with self.lock:
            self.statuses.append((label, response.status_code))

    def _run(self, number: int) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as client:
            while not self.stop.is_set():
                family = f"Live{number}x{uuid.uuid4().hex[:8]}"
                created = client.post("/Patient", json=_patient(family), headers=FHIR_JSON)
                self._record("create", created)
                if created.status_code == 201:
                    patient_id = created.json()["id"]
                    with self.lock:
                        self.acknowledged[patient_id] = family
                    self._record("read", client.get(f"/Patient/{patient_id}"))
                self._record("search", client.get("/Patient", params={"family": family}))


def test_migrate_runs_on_a_live_database_from_the_previous_release(fresh_database_url: str) -> None:
    url = fresh_database_url
    _upgrade_to(url, PREVIOUS_RELEASE)
    with (
        serving(lambda base: create_app(make_settings(url, base_url=base))) as base,
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        seeded = {}
        for n in range(10):
            created = client.post("/Patient", json=_patient(f"Anterior{n}"), headers=FHIR_JSON)
            assert created.status_code == 201, created.text
            seeded[created.json()["id"]] = created.json()
        with Traffic(base) as traffic:
            time.sleep(0.3)
            environment = {**os.environ, "FHIR_DATABASE_URL": url}
            migrated = subprocess.run(
                [str(FHIR_SERVER), "migrate"], env=environment, capture_output=True, text=True, timeout=120
            )
            time.sleep(0.3)
        assert migrated.returncode == 0, migrated.stderr
        failures = [(label, status) for label, status in traffic.statuses if status >= 500]
        assert failures == []
        assert len(traffic.acknowledged) > 0
        # Everything written before and during the migration reads back as written.
        for patient_id, body in seeded.items():
            assert client.get(f"/Patient/{patient_id}").json() == body
        for patient_id, family in traffic.acknowledged.items():
            read = client.get(f"/Patient/{patient_id}")
            assert read.status_code == 200 and read.json()["name"][0]["family"] == family
        total = client.get("/Patient", params={"_summary": "count"}).json()["total"]
        assert total == len(seeded) + len(traffic.acknowledged)
        # The server keeps working on the new schema.
        after = client.post("/Patient", json=_patient("Posterior"), headers=FHIR_JSON)
        assert after.status_code == 201
        assert client.get("/Patient", params={"family": "Posterior"}).json()["total"] == 1
    engine = make_engine(url)
    try:
        assert is_current(engine)
    finally:
        engine.dispose()


def _calls(function: ast.FunctionDef, name: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(function)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == name
    ]


def _first_string(call: ast.Call, position: int) -> str | None:
    argument = call.args[position] if len(call.args) > position else None
    if isinstance(argument, ast.Constant):
        return str(argument.value)
    return None


def _reached(tree: ast.Module, start: ast.FunctionDef) -> list[ast.FunctionDef]:
    """``start`` and the module's functions it calls, directly or through each other."""
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    reached, pending = [start], [start]
    while pending:
        for node in ast.walk(pending.pop()):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                called = functions.get(node.func.id)
                if called is not None and called not in reached:
                    reached.append(called)
                    pending.append(called)
    return reached


def _sql_text(call: ast.Call) -> str:
    """The literal text of an ``op.execute`` argument (an f-string's literal parts), or ""."""
    argument = call.args[0] if call.args else None
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        return argument.value
    if isinstance(argument, ast.JoinedStr):
        return " ".join(str(part.value) for part in argument.values if isinstance(part, ast.Constant))
    return ""


def test_migrations_after_the_previous_release_do_not_lock_existing_tables() -> None:
    """On a live PostgreSQL a plain CREATE INDEX blocks writes to its table for the whole build, and a table rewrite
    (column type change, SQLite-style batch copy) blocks reads too. New revisions may create tables freely; on tables
    that already exist they must build indexes CONCURRENTLY and must not rewrite them."""
    problems = []
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        if path.name[:4] <= PREVIOUS_RELEASE:
            continue
        tree = ast.parse(path.read_text())
        upgrade = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade")
        created = {_first_string(call, 0) for call in _calls(upgrade, "create_table")}
        for call in _calls(upgrade, "create_index"):
            concurrent = any(k.arg == "postgresql_concurrently" for k in call.keywords)
            if _first_string(call, 1) not in created and not concurrent:
                problems.append(f"{path.name}: index {_first_string(call, 0)} on an existing table, not CONCURRENTLY")
        for call in (c for function in _reached(tree, upgrade) for c in _calls(function, "execute")):
            sql = _sql_text(call).lower()
            if "create index" in sql and "concurrently" not in sql:
                problems.append(f"{path.name}: raw CREATE INDEX without CONCURRENTLY")
        for call in _calls(upgrade, "alter_column") + _calls(upgrade, "batch_alter_table"):
            if _first_string(call, 0) not in created:
                problems.append(f"{path.name}: rewrites existing table {_first_string(call, 0)}")
        for call in _calls(upgrade, "drop_column") + _calls(upgrade, "drop_table"):
            # Workers of the previous release still use them while they are replaced.
            problems.append(f"{path.name}: drops {_first_string(call, 0)} in the release that stops using it")
    assert problems == []

"""SIGKILL ``fhir-server import-legacy ehr`` midway, run it again: the end state is that of one clean run.

The import runs as a real subprocess of the CLI against the FHIR database of the test (SQLite and
PostgreSQL). The kill comes once the vital signs (a table in the middle of the import) have started
to land; what the killed run left must be whole legacy rows (each chunk is one transaction), and
after a re-run every resource, its version count, the counts per type and the report's counts are
those of a clean run into an empty database.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from fhir_server.model.json import loads
from fhir_server.settings import Settings
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.schema import metadata, resource
from tests.clinic.conftest import load_clinic
from tests.mappings.legacy.conftest import LegacyEhr, scratch_ehr
from tests.storage.layouts import versions_by_resource

ROOT = Path(__file__).resolve().parents[3]
AUDIT = ("AuditEvent", "Provenance")
LEGACY = "/sid/legacy/ehr/"
CHUNK = "8"  # legacy rows per transaction: many chunks, so the kill lands between two of them


@pytest.fixture(scope="module")
def kill_ehr() -> Iterator[LegacyEhr]:
    yield from scratch_ehr(patients=12, consultations=40)


def _command(settings: Settings, legacy: LegacyEhr, report: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FHIR_DATABASE_URL": settings.database_url, "FHIR_BASE_URL": settings.base_url,
           "FHIR_LOG_LEVEL": "warning"}  # fmt: skip
    args = ["import-legacy", "ehr", "--source", legacy.url, "--chunk", CHUNK, "--no-progress", "--report", str(report)]
    return subprocess.Popen(
        [sys.executable, "-m", "fhir_server", *args],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def _run(settings: Settings, legacy: LegacyEhr, report: Path) -> dict[str, Any]:
    process = _command(settings, legacy, report)
    _, errors = process.communicate(timeout=120)
    assert process.returncode == 0, errors.decode()
    data: dict[str, Any] = json.loads(report.read_text("utf-8"))
    return data


def _count(storage: SqlStorage, type_name: str) -> int:
    query = sa.select(sa.func.count()).select_from(resource).where(resource.c.res_type == type_name)
    with storage.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def _kill_midway(storage: SqlStorage, settings: Settings, legacy: LegacyEhr, report: Path) -> None:
    process = _command(settings, legacy, report)
    try:
        deadline = time.monotonic() + 60
        while _count(storage, "Observation") == 0:
            assert process.poll() is None, "the import ended before it could be killed"
            assert time.monotonic() < deadline, "no vital signs were written within a minute"
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL
    assert not report.exists()  # the report is written only by a run that ended


def _state(storage: SqlStorage) -> dict[tuple[str, str], tuple[Any, int]]:
    """Every clinical resource: its content without versionId/lastUpdated, and how many versions it has."""
    with storage.engine.connect() as connection:
        versions = versions_by_resource(connection)
        rows = connection.execute(sa.select(resource.c.res_type, resource.c.res_id, resource.c.content)).all()
    found = {}
    for type_name, res_id, content in rows:
        if type_name in AUDIT:
            continue
        body = loads(content) if content is not None else None
        if body is not None:
            body["meta"] = {k: v for k, v in body.get("meta", {}).items() if k not in ("versionId", "lastUpdated")}
        found[(type_name, res_id)] = (body, versions[(type_name, res_id)])
    return found


def _provenances(storage: SqlStorage) -> dict[str, set[str]]:
    """The versions each Provenance names, by the Provenance's id."""
    with storage.engine.connect() as connection:
        query = sa.select(resource.c.res_id, resource.c.content).where(resource.c.res_type == "Provenance")
        rows = connection.execute(query).all()
    return {res_id: {t["reference"] for t in loads(content)["target"]} for res_id, content in rows if content}


def _legacy_rows(state: dict[tuple[str, str], tuple[Any, int]]) -> dict[tuple[str, str], set[str]]:
    """Resources as ``Type/id`` by the legacy row they came from: the table of their first ``use=old``
    identifier (``Patients.tipo_seguro`` is the Patients row) and the row key before any ``-suffix``
    (``12-pulso`` is vitals row 12)."""
    rows: dict[tuple[str, str], set[str]] = {}
    for (type_name, res_id), (body, _) in state.items():
        old = next((i for i in (body or {}).get("identifier", []) if i.get("use") == "old"), None)
        if old is None or LEGACY not in old["system"]:
            continue
        table = old["system"].rsplit("/", 1)[1].split(".")[0]
        rows.setdefault((table, old["value"].split("-")[0]), set()).add(f"{type_name}/{res_id}")
    return rows


def _named(storage: SqlStorage, before: dict[str, set[str]]) -> list[str]:
    """Every version named by a Provenance written since ``before``, repeats kept."""
    return [target for res_id, targets in _provenances(storage).items() if res_id not in before for target in targets]


def _wipe(storage: SqlStorage) -> None:
    with storage.engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
    load_clinic(storage)


def _totals(report: dict[str, Any]) -> dict[str, int]:
    return {name: sum(counts.values()) for name, counts in report["types"].items()}


def _rows_written(storage: SqlStorage) -> set[str]:
    """Every live non-audit resource as ``Type/id``."""
    return {f"{t}/{i}" for (t, i), (body, _) in _state(storage).items() if body is not None}


@pytest.mark.slow
def test_killed_import_reruns_to_the_clean_result(
    storage: SqlStorage, settings: Settings, kill_ehr: LegacyEhr, tmp_path: Path
) -> None:
    # One clean run into an empty database: the reference.
    _wipe(storage)
    before = _provenances(storage)  # the clinic's terminology load has its own
    clean_report = _run(settings, kill_ehr, tmp_path / "clean.json")
    clean = _state(storage)
    clean_rows = list(_legacy_rows(clean).values())
    assert max(map(len, clean_rows)) >= 8  # a vitals row is eight Observations or more
    # Every version written is named by exactly one Provenance (one per chunk).
    clean_named = _named(storage, before)
    written = sum(counts["created"] + counts["updated"] for counts in clean_report["types"].values())
    assert len(clean_named) == len(set(clean_named)) == written
    assert _count(storage, "Observation") > 0 and _count(storage, "MedicationRequest") > 0

    # The same import killed midway, into an empty database again.
    _wipe(storage)
    loaded, before = _rows_written(storage), _provenances(storage)  # the clinic's terminology
    _kill_midway(storage, settings, kill_ehr, tmp_path / "killed.json")
    left = _rows_written(storage) - loaded
    assert 0 < _count(storage, "Observation") < sum(1 for t, _ in clean if t == "Observation")
    assert _count(storage, "MedicationRequest") == 0  # the last table had not started: the kill was midway
    # Only whole legacy rows: each row's resources are all there or none is.
    for row in clean_rows:
        assert row <= left or not row & left, sorted(row)
    # Every version the killed run wrote has its Provenance (they commit together).
    assert {f"{key}/_history/1" for key in left} <= set(_named(storage, before))

    # Run again to the end: the clean result.
    rerun_report = _run(settings, kill_ehr, tmp_path / "rerun.json")
    assert _state(storage) == clean
    assert Counter(t for t, _ in _state(storage)) == Counter(t for t, _ in clean)
    assert sorted(_named(storage, before)) == sorted(clean_named)  # each version named once, as in a clean run
    assert rerun_report["tables"] == clean_report["tables"]
    assert _totals(rerun_report) == _totals(clean_report)
    # The re-run wrote only what the killed run had not (versions above are those of a clean run).
    for name, counts in rerun_report["types"].items():
        clean_counts = clean_report["types"][name]
        assert counts["created"] + counts["updated"] <= clean_counts["created"] + clean_counts["updated"], name
    assert rerun_report["types"]["Patient"]["unchanged"] == clean_report["types"]["Patient"]["created"]
    assert sum(rerun_report["accounts"].values()) == sum(clean_report["accounts"].values())
    assert sorted(map(json.dumps, rerun_report["findings"])) == sorted(map(json.dumps, clean_report["findings"]))

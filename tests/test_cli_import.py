"""``fhir-server import``: the command reads files and directories, prints a summary, exits 1 on failures."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from fhir_server.cli import main
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.schema import resource
from tests.conftest import BASE_URL


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str, storage: SqlStorage) -> SqlStorage:
    monkeypatch.setenv("FHIR_DATABASE_URL", database_url)
    monkeypatch.setenv("FHIR_BASE_URL", BASE_URL)
    return storage


def _patients(storage: SqlStorage, type_name: str = "Patient") -> int:
    stmt = sa.select(sa.func.count()).select_from(resource).where(resource.c.res_type == type_name)
    with storage.engine.connect() as connection:
        return int(connection.execute(stmt).scalar_one())


def test_import_gzip_ndjson_and_bundle_directory(
    env: SqlStorage, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [{"resourceType": "Patient", "id": f"p{n}", "gender": "female"} for n in range(3)]
    with gzip.open(tmp_path / "Patient.ndjson.gz", "wt") as handle:
        handle.writelines(json.dumps(line) + "\n" for line in lines)
    nested = tmp_path / "bundles"
    nested.mkdir()
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:a",
                "resource": {"resourceType": "Patient"},
                "request": {"method": "POST", "url": "Patient"},
            }
        ],
    }
    (nested / "one.json").write_text(json.dumps(bundle))
    (tmp_path / "notes.txt").write_text("ignored inside a directory")
    assert main(["import", str(tmp_path), "--workers", "1", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "2 files, 4 resources read, 4 written" in out
    assert _patients(env) == 4
    assert _patients(env, "AuditEvent") == 1  # one per run
    # Again: the NDJSON ids are unchanged; the id-less bundle entry is created once more.
    assert main(["import", str(tmp_path), "--workers", "1", "--no-progress"]) == 0
    assert "1 written, 3 unchanged" in capsys.readouterr().out
    assert _patients(env) == 5


def test_failures_are_listed_and_exit_1(env: SqlStorage, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.ndjson"
    path.write_text('{"resourceType": "Patient", "id": "ok"}\n{"resourceType": "Patient", "gender": "H"}\n')
    failures = tmp_path / "failures.txt"
    code = main(["import", str(path), "--workers", "1", "--no-progress", "--failures", str(failures)])
    assert code == 1
    captured = capsys.readouterr()
    assert f"failed: {path}:2: " in captured.err
    assert failures.read_text().startswith(f"{path}:2: ")
    assert _patients(env) == 1


def test_dry_run_and_bad_arguments(env: SqlStorage, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.ndjson"
    path.write_text('{"resourceType": "Patient", "id": "p1"}\n')
    assert main(["import", str(path), "--dry-run", "--workers", "1", "--no-progress"]) == 0
    assert "1 would write" in capsys.readouterr().out
    assert _patients(env) == 0
    assert main(["import", str(tmp_path / "missing.csv"), "--no-progress"]) == 2


def test_the_command_with_worker_processes_and_the_progress_bar(env: SqlStorage, tmp_path: Path) -> None:
    """As an operator runs it: its own process, forked workers, the bar counting the files beside the import."""
    for part in range(4):
        lines = [{"resourceType": "Patient", "id": f"w{part}-{n}", "gender": "male"} for n in range(25)]
        (tmp_path / f"Patient-{part}.ndjson").write_text("".join(json.dumps(line) + "\n" for line in lines))
    command = [str(Path(sys.executable).with_name("fhir-server")), "import", str(tmp_path), "--workers", "2"]
    command += ["--batch", "10"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=dict(os.environ), check=False)
    assert done.returncode == 0, done.stderr
    assert "4 files, 100 resources read, 100 written" in done.stdout
    assert "100/100" in done.stderr  # the bar learnt its total while the workers ran
    assert _patients(env) == 100


def test_an_import_leaves_the_planner_statistics_fresh(env: SqlStorage, tmp_path: Path) -> None:
    lines = [{"resourceType": "Patient", "id": f"s{n}", "gender": "male"} for n in range(11)]
    (tmp_path / "Patient.ndjson").write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert main(["import", str(tmp_path), "--workers", "1", "--no-progress"]) == 0
    with env.engine.connect() as connection:
        rows = connection.execute(sa.select(sa.func.count()).select_from(resource)).scalar_one()
        if connection.dialect.name == "postgresql":
            estimate = connection.execute(sa.text("SELECT reltuples FROM pg_class WHERE relname = 'resource'"))
            planned = int(estimate.scalar_one())
        else:  # each index's statistics start with the table's row count
            stat = connection.execute(sa.text("SELECT stat FROM sqlite_stat1 WHERE tbl = 'resource' LIMIT 1"))
            planned = int(stat.scalar_one().split()[0])
    assert planned == rows  # 11 Patients, the run's Provenance and AuditEvent: counted by ANALYZE, all of them

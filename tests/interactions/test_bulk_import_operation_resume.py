"""$import jobs live in the database: a job taken over (its process died) continues after its last
recorded batch without writing anything twice; a cancelled job stops before its next batch; a file
gone since the kick-off is one failure of that input, not of the job."""

from __future__ import annotations

import gzip
import json
import threading
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from fhir_server.interactions.bulk_import.operation import error_file, kickoff, status
from fhir_server.interactions.bulk_import.operation_runner import ImportRun, ImportSettings, line_id
from fhir_server.interactions.bulk_import.operation_sources import FileStore
from fhir_server.interactions.bulk_import.operation_worker import ImportWorkers
from fhir_server.interactions.bulk_import.resources import Line, import_lines
from fhir_server.interactions.context import RequestContext
from fhir_server.model.json import dumps
from fhir_server.storage.export_jobs import ExportJobs
from fhir_server.storage.import_jobs import COMPLETED, ImportJobs
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.schema import resource
from tests.conftest import BASE_URL
from tests.interactions.test_bulk_export_resume import _StopAfter

ZONE = ZoneInfo("America/Guayaquil")
CTX = RequestContext(base_url=BASE_URL, language="en", zone=ZONE)
NDJSON = "application/fhir+ndjson"


def _patient(i: int) -> dict[str, Any]:
    return {"resourceType": "Patient", "name": [{"family": f"Fam{i}"}]}  # no id: the job gives one


def _start(storage: SqlStorage, tmp_path: Path, *names: str) -> tuple[ImportJobs, ImportSettings, str]:
    store = FileStore(BASE_URL, tmp_path / "bulk", tmp_path)
    jobs = ImportJobs(storage.engine)
    inputs = [{"type": "Patient", "url": f"{BASE_URL}/$import-file/{name}"} for name in names]
    body = {"inputFormat": NDJSON, "inputSource": "urn:test", "input": inputs}
    result = kickoff(jobs, ExportJobs(storage.engine), store, CTX, body, lenient=False,
                     request_url=f"{BASE_URL}/$import")  # fmt: skip
    job_id = result.headers["Content-Location"].rsplit("/", 1)[1]
    return jobs, ImportSettings(store=store, batch_size=2, lease_us=1, zone=ZONE, clinic_profiles="claimed"), job_id


def _patients(storage: SqlStorage) -> int:
    with storage.engine.connect() as connection:
        query = sa.select(sa.func.count()).select_from(resource).where(resource.c.res_type == "Patient")
        return int(connection.execute(query).scalar_one())


def _write(tmp_path: Path, name: str, count: int) -> None:
    (tmp_path / name).write_text("".join(json.dumps(_patient(i)) + "\n" for i in range(1, count + 1)))


def test_a_taken_over_import_continues_without_duplicates(storage: SqlStorage, tmp_path: Path) -> None:
    _write(tmp_path, "p.ndjson", 7)
    jobs, run, job_id = _start(storage, tmp_path, "p.ndjson")

    # The first worker records two batches (lines 1-4), then stops.
    first = jobs.claim("w1", 0, 1)
    assert first is not None
    ImportRun(storage, jobs, first, "w1", run, _StopAfter(2)).execute()
    [item] = jobs.inputs(job_id)
    assert (item.line, item.written, item.done) == (4, 4, False)
    # Line 5 was committed by a batch whose worker died before recording it.
    line = dumps({"resourceType": "Patient", "id": line_id(job_id, 1, 5), **_patient(5)})
    assert import_lines(storage, CTX, "p.ndjson", [Line(5, line)]).total_written == 1

    # Another worker (another process, after a restart) takes it over and finishes it.
    workers = ImportWorkers(storage, run, threads=0, poll_seconds=1, retention_us=10**12)
    assert workers.run_once("w2")
    job = jobs.get(job_id)
    assert job is not None and job.status == COMPLETED
    [item] = jobs.inputs(job_id)
    assert (item.line, item.written, item.unchanged, item.failed, item.done) == (7, 6, 1, 0, True)
    assert _patients(storage) == 7
    manifest = status(jobs, CTX, job_id).body
    assert isinstance(manifest, dict) and manifest["output"][0]["count"] == 7 and manifest["error"] == []
    assert not workers.run_once("w2")  # nothing left to do


def test_a_cancelled_job_stops_before_its_next_batch(storage: SqlStorage, tmp_path: Path) -> None:
    _write(tmp_path, "p.ndjson", 7)
    jobs, run, job_id = _start(storage, tmp_path, "p.ndjson")
    job = jobs.claim("w1", 0, 10**18)
    assert job is not None
    jobs.cancel(job_id, 1)  # DELETE on the status URL while the worker runs
    ImportRun(storage, jobs, job, "w1", run, threading.Event()).execute()
    assert jobs.get(job_id) is None  # the worker removed it
    assert _patients(storage) == 2  # the batch it was writing committed; nothing after it


def test_a_file_gone_or_unreadable_is_one_failure(storage: SqlStorage, tmp_path: Path) -> None:
    _write(tmp_path, "a.ndjson", 3)
    _write(tmp_path, "b.ndjson", 2)
    packed = gzip.compress("".join(json.dumps(_patient(i)) + "\n" for i in range(50)).encode())
    (tmp_path / "c.ndjson.gz").write_bytes(packed)
    jobs, run, job_id = _start(storage, tmp_path, "a.ndjson", "b.ndjson", "c.ndjson.gz")
    (tmp_path / "b.ndjson").unlink()
    (tmp_path / "c.ndjson.gz").write_bytes(packed[: len(packed) // 2])  # truncated since the kick-off
    workers = ImportWorkers(storage, run, threads=0, poll_seconds=1, retention_us=10**12)
    assert workers.run_once("w1")
    manifest = status(jobs, CTX, job_id).body
    assert isinstance(manifest, dict)
    assert [o["count"] for o in manifest["output"]][:2] == [3, 0]
    assert [(e["inputUrl"].rsplit("/", 1)[1], e["count"]) for e in manifest["error"]] == [
        ("b.ndjson", 1),
        ("c.ndjson.gz", 1),
    ]
    for name in ("2.ndjson", "3.ndjson"):
        [outcome] = error_file(jobs, CTX, job_id, name).splitlines()
        assert "no longer available" in json.loads(outcome)["issue"][0]["diagnostics"]
    # Expired jobs are cleaned up with their counts and errors.
    ImportWorkers(storage, run, threads=0, poll_seconds=1, retention_us=-(10**12)).cleanup()
    assert jobs.get(job_id) is None and jobs.inputs(job_id) == [] and jobs.errors(job_id, 2) == []

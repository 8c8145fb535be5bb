"""A job taken over mid-export (its process died) resumes from its recorded point: complete, no duplicates."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

from fhir_server.interactions.bulk_export.jobs import kickoff
from fhir_server.interactions.bulk_export.runner import JobRun, RunSettings
from fhir_server.interactions.bulk_export.worker import ExportWorkers
from fhir_server.interactions.context import RequestContext
from fhir_server.storage.export_jobs import COMPLETED, ExportJobs
from fhir_server.storage.repository import SqlStorage
from tests.conftest import BASE_URL
from tests.security.conftest import seed

ZONE = ZoneInfo("America/Guayaquil")


class _StopAfter(threading.Event):
    """A stop signal that fires after a number of checks (one check per batch)."""

    def __init__(self, checks: int) -> None:
        super().__init__()
        self.left = checks

    def is_set(self) -> bool:
        self.left -= 1
        return self.left < 0


def test_a_taken_over_job_continues_without_duplicates(storage: SqlStorage, tmp_path: Path) -> None:
    seed(storage, *({"resourceType": "Patient", "id": f"p{i:02d}"} for i in range(25)))
    jobs = ExportJobs(storage.engine)
    ctx = RequestContext(base_url=BASE_URL, language="en", zone=ZONE)
    location = kickoff(storage, jobs, ctx, "system", None, {"_type": ["Patient"]}, lenient=False, method="GET",
                       request_url=f"{BASE_URL}/$export").headers["Content-Location"]  # fmt: skip
    job_id = location.rsplit("/", 1)[1]
    run = RunSettings(root=tmp_path, batch_size=4, lease_us=1, base_url=BASE_URL, zone=ZONE)

    # The first worker stops after three batches, one more line already in its file but not recorded.
    first = jobs.claim("w1", 0, 1)
    assert first is not None
    JobRun(storage, jobs, first, "w1", run, _StopAfter(3)).execute()
    part = jobs.parts(job_id)[0]
    assert (part.count, part.cursor, part.done) == (12, "p11", False)
    path = tmp_path / job_id / part.file_name
    with path.open("ab") as out:
        out.write(b'{"resourceType":"Patient","id":"p12"}\n')  # written but never recorded

    # Another worker takes it over once the lease ran out, and finishes it.
    workers = ExportWorkers(storage, run, threads=0, poll_seconds=1, retention_us=10**12)
    assert workers.run_once("w2")
    job = jobs.get(job_id)
    assert job is not None and job.status == COMPLETED
    ids = [json.loads(line)["id"] for line in path.read_text().splitlines()]
    assert ids == [f"p{i:02d}" for i in range(25)]
    assert jobs.parts(job_id)[0].count == 25

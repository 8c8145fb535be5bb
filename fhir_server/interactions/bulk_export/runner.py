"""Run one claimed export job: stream each type's rows into its NDJSON file, batch by batch.

After every batch the job records, per type, the last id written and the file length then; a job
taken over after its process died truncates each file back to that length and continues after that
id, so the output is complete and has no duplicates. Rows are written as the stored JSON bytes,
one per line; only types whose scopes SQL cannot express exactly are parsed (for the row check).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo

from fhir_server.errors import FhirError, Unavailable
from fhir_server.interactions.bulk_export.files import job_folder, remove_files
from fhir_server.interactions.bulk_export.plan import TypePlan, admitted, type_plan
from fhir_server.interactions.bulk_export.principal import load_principal
from fhir_server.interactions.bulk_export.request import ExportRequest
from fhir_server.interactions.context import RequestContext
from fhir_server.model.instants import now_us
from fhir_server.model.json import dumps, loads
from fhir_server.storage.export_jobs import COMPLETED, FAILED, ExportJob, ExportJobs, ExportPart
from fhir_server.storage.export_rows import next_batch
from fhir_server.storage.repository import SqlStorage

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunSettings:
    root: Path
    batch_size: int
    lease_us: int
    base_url: str
    zone: ZoneInfo


class _Stop(Exception):
    """The job was cancelled, taken over, or the server is shutting down."""


def _lines(storage: SqlStorage, ctx: RequestContext, plan: TypePlan, contents: list[bytes]) -> tuple[bytes, int]:
    if plan.row_check:
        contents = [c for c in contents if admitted(storage, ctx, c)]
    if not contents:
        return b"", 0
    blob = b"\n".join(contents) + b"\n"
    if blob.count(b"\n") != len(contents):
        # Stored JSON is compact; should a line break ever slip in, re-encode rather than split a resource.
        blob = b"".join(dumps(loads(c)) + b"\n" for c in contents)
    return blob, len(contents)


class JobRun:
    """One worker's run of one job."""

    def __init__(
        self,
        storage: SqlStorage,
        jobs: ExportJobs,
        job: ExportJob,
        worker: str,
        run: RunSettings,
        stop: threading.Event,
    ) -> None:
        self.storage, self.jobs, self.job, self.worker, self.run, self.stop = storage, jobs, job, worker, run, stop
        params = json.loads(job.parameters)
        self.request = ExportRequest.from_json(job.kind, params)
        self.ctx = RequestContext(
            base_url=run.base_url,
            language="en",
            zone=run.zone,
            request_id=f"export-{job.job_id}",
            principal=load_principal(job.principal),
            strict_handling=not params.get("lenient", False),
        )
        self.folder = job_folder(run.root, job.job_id)

    def execute(self) -> None:
        """Write every unfinished type, then mark the job completed (or failed, with its reason)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            parts = self.jobs.parts(self.job.job_id)
            for index, part in enumerate(parts):
                if not part.done:
                    parts[index] = self._write_part(part, parts)
            for part in parts:
                if part.count == 0:
                    (self.folder / part.file_name).unlink(missing_ok=True)
            self.jobs.finish(self.job.job_id, self.worker, COMPLETED, now_us())
        except _Stop:
            current = self.jobs.get(self.job.job_id)
            if current is None or current.cancelled:
                remove_files(self.run.root, self.job.job_id)
                self.jobs.remove(self.job.job_id)
            else:
                self.jobs.release(self.job.job_id, self.worker)
        except Unavailable:
            log.warning("export %s paused: database unavailable; it resumes when its lease expires", self.job.job_id)
        except FhirError as error:
            message = error.issues[0].render("en")["details"]["text"] if error.issues else "error"
            self.jobs.finish(self.job.job_id, self.worker, FAILED, now_us(), message)
        except Exception:
            log.exception("export %s failed", self.job.job_id)
            self.jobs.finish(self.job.job_id, self.worker, FAILED, now_us(), "internal error")

    def _progress(self, parts: list[ExportPart], current: ExportPart) -> str:
        done = sum(1 for p in parts if p.done)
        return f"{done}/{len(parts)} types; {current.res_type}: {current.count} resources"

    def _write_part(self, part: ExportPart, parts: list[ExportPart]) -> ExportPart:
        plan = type_plan(self.storage, self.ctx, self.request, part.res_type)
        path = self.folder / part.file_name
        if part.bytes and (not path.exists() or path.stat().st_size < part.bytes):
            part = replace(part, cursor=None, count=0, bytes=0)  # the file lost what was recorded: start over
        with path.open("r+b" if path.exists() else "w+b") as out:
            out.truncate(part.bytes)
            out.seek(part.bytes)
            while True:
                if self.stop.is_set():
                    raise _Stop
                rows = next_batch(self.storage.read_engine, plan.selection, part.cursor, self.run.batch_size)
                blob, written = _lines(self.storage, self.ctx, plan, [row[2] for row in rows])
                if blob:
                    out.write(blob)
                    out.flush()
                finished = len(rows) < self.run.batch_size
                cursor = rows[-1][0] if rows else part.cursor
                part = replace(
                    part, cursor=cursor, count=part.count + written, bytes=part.bytes + len(blob), done=finished
                )
                now = now_us()
                recorded = self.jobs.record(
                    self.job.job_id, self.worker, part, now_us=now, lease_until_us=now + self.run.lease_us,
                    progress=self._progress(parts, part),
                )  # fmt: skip
                if not recorded:
                    raise _Stop
                if finished:
                    return part

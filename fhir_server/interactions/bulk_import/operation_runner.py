"""Run one claimed ``$import`` job: each input file, batch by batch, through the bulk-import pipeline.

Every batch goes through ``resources.import_lines`` exactly as ``fhir-server import`` writes it:
validation, clinic rules, indexing and one Provenance per committed batch, in one transaction (a
failing batch is retried line by line, so nothing is half-written). Resources keep their ids (PUT
semantics); a line must hold its input's resource type, and a line without an id gets one derived
from the job, the file and the line number, so a batch written again after a take-over finds its
own resources unchanged instead of creating them twice.

After each batch the job records, in one transaction, the last line done, the counts and the new
failures; a job taken over after its process died continues after that line.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
import zlib
from dataclasses import dataclass, replace
from functools import partial
from zoneinfo import ZoneInfo

from fhir_server.errors import FhirError, Invalid, Unavailable
from fhir_server.interactions.bulk_export.principal import load_principal
from fhir_server.interactions.bulk_import.audit import record_run
from fhir_server.interactions.bulk_import.operation_sources import FileStore, open_path
from fhir_server.interactions.bulk_import.report import outcome_text
from fhir_server.interactions.bulk_import.resources import Expect, Line, import_lines
from fhir_server.interactions.bulk_import.sources import ndjson_batches
from fhir_server.interactions.context import RequestContext
from fhir_server.model.instants import now_us
from fhir_server.storage.import_jobs import COMPLETED, FAILED, ImportInput, ImportJob, ImportJobs
from fhir_server.storage.repository import SqlStorage

log = logging.getLogger(__name__)
# Failed lines kept per input file for the error file; beyond it they are only counted.
MAX_LISTED_ERRORS = 10_000
FILE_LINE = 0  # the "line" of a failure of the whole file
_IDS = uuid.UUID("5b0e4f0e-7c1a-4d8e-9a51-6f1d2c3b4a59")  # namespace of the ids given to lines without one


@dataclass(frozen=True, slots=True)
class ImportSettings:
    store: FileStore
    batch_size: int
    lease_us: int
    zone: ZoneInfo
    clinic_profiles: str


class _Stop(Exception):
    """The job was cancelled, taken over, or the server is shutting down."""


def line_id(job_id: str, position: int, number: int) -> str:
    """The id a line without one gets: the same whenever the same line of the same job is written."""
    return str(uuid.uuid5(_IDS, f"{job_id}/{position}/{number}"))


class ImportRun:
    """One worker's run of one import job."""

    def __init__(
        self,
        storage: SqlStorage,
        jobs: ImportJobs,
        job: ImportJob,
        worker: str,
        run: ImportSettings,
        stop: threading.Event,
    ) -> None:
        self.storage, self.jobs, self.job, self.worker, self.run, self.stop = storage, jobs, job, worker, run, stop
        params = json.loads(job.parameters)
        self.ctx = RequestContext(
            base_url=run.store.base_url,
            language=params.get("language", "en"),
            zone=run.zone,
            request_id=f"import-{job.job_id}",
            principal=load_principal(job.principal),
            clinic_profiles=run.clinic_profiles,
        )

    def execute(self) -> None:
        """Import every unfinished input, then mark the job completed (or failed, with its reason)."""
        try:
            inputs = self.jobs.inputs(self.job.job_id)
            for index, item in enumerate(inputs):
                if not item.done:
                    inputs[index] = self._import(item, inputs)
            self._audit(inputs)
            self.jobs.finish(self.job.job_id, self.worker, COMPLETED, now_us())
        except _Stop:
            current = self.jobs.get(self.job.job_id)
            if current is None or current.cancelled:
                self.jobs.remove(self.job.job_id)
            else:
                self.jobs.release(self.job.job_id, self.worker)
        except Unavailable:
            log.warning("import %s paused: database unavailable; it resumes when its lease expires", self.job.job_id)
        except FhirError as error:
            self.jobs.finish(self.job.job_id, self.worker, FAILED, now_us(), outcome_text(error, "en"))
        except Exception:
            log.exception("import %s failed", self.job.job_id)
            self.jobs.finish(self.job.job_id, self.worker, FAILED, now_us(), "internal error")

    def _progress(self, inputs: list[ImportInput], current: ImportInput) -> str:
        done = sum(1 for i in inputs if i.done)
        return f"{done}/{len(inputs)} files; {current.res_type}: {current.line} lines"[:100]

    def _record(self, item: ImportInput, inputs: list[ImportInput], errors: list[tuple[int, str]]) -> None:
        now = now_us()
        recorded = self.jobs.record(
            self.job.job_id, self.worker, item, errors, now_us=now, lease_until_us=now + self.run.lease_us,
            progress=self._progress(inputs, item),
        )  # fmt: skip
        if not recorded:
            raise _Stop

    def _import(self, item: ImportInput, inputs: list[ImportInput]) -> ImportInput:
        path = open_path(item.source, self.run.store)
        batches = ndjson_batches(path, self.run.batch_size) if path is not None else None
        while batches is not None:
            try:
                batch = next(batches, None)
            except (OSError, EOFError, zlib.error):
                batches = None  # unreadable from here on (a truncated or corrupt .gz)
                break
            if batch is None:
                item = replace(item, done=True)
                self._record(item, inputs, [])
                return item
            if self.stop.is_set():
                raise _Stop
            lines = [line for line in batch if line.number > item.line]
            if lines:
                item = self._batch(item, inputs, lines)
        # Gone since the kick-off (an expired export) or unreadable: the rest of the file is one failure;
        # what was imported from it stays.
        message = outcome_text(Invalid("bulk-import-file-gone", code="not-found"), self.ctx.language)
        errors = [(FILE_LINE, message)] if item.failed < MAX_LISTED_ERRORS else []
        item = replace(item, failed=item.failed + 1, done=True)
        self._record(item, inputs, errors)
        return item

    def _batch(self, item: ImportInput, inputs: list[ImportInput], lines: list[Line]) -> ImportInput:
        expect = Expect(item.res_type, partial(line_id, self.job.job_id, item.position))
        report = import_lines(self.storage, self.ctx, item.url, lines, expect=expect)
        failures: dict[int, str] = {}
        for failure in report.failures:
            failures.setdefault(failure.line or FILE_LINE, failure.text)
        room = max(0, MAX_LISTED_ERRORS - item.failed)
        errors = sorted(failures.items())[:room]
        item = replace(
            item,
            line=lines[-1].number,
            written=item.written + report.total_written,
            unchanged=item.unchanged + sum(report.unchanged.values()),
            failed=item.failed + len(failures),
        )
        self._record(item, inputs, errors)
        return item

    def _audit(self, inputs: list[ImportInput]) -> None:
        """The run's AuditEvent, with its counts (one per job, when it completes)."""
        written = sum(i.written for i in inputs)
        unchanged = sum(i.unchanged for i in inputs)
        failed = sum(i.failed for i in inputs)
        detail = (
            f"$import {self.job.job_id}: {len(inputs)} files, {written} resources written, "
            f"{unchanged} unchanged, {failed} failed"
        )
        record_run(self.storage, self.ctx, detail, failed=bool(failed))

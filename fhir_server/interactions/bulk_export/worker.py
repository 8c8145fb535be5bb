"""Export worker threads (``job_workers``): run export jobs of any process, delete expired ones with their files."""

from __future__ import annotations

import threading

from fhir_server.interactions.bulk_export.files import remove_files
from fhir_server.interactions.bulk_export.runner import JobRun, RunSettings
from fhir_server.interactions.job_workers import JobWorkers
from fhir_server.settings import Settings
from fhir_server.storage.export_jobs import ExportJob, ExportJobs
from fhir_server.storage.repository import SqlStorage


class ExportWorkers(JobWorkers):
    """A few daemon threads running export jobs of this process."""

    kind = "export"

    def __init__(
        self,
        storage: SqlStorage,
        run: RunSettings,
        *,
        threads: int,
        poll_seconds: float,
        retention_us: int,
    ) -> None:
        self.storage, self.run = storage, run
        self.jobs: ExportJobs = ExportJobs(storage.engine)
        super().__init__(
            self.jobs, threads=threads, poll_seconds=poll_seconds, lease_us=run.lease_us, retention_us=retention_us
        )

    def execute(self, job: ExportJob, worker: str, stop: threading.Event) -> None:
        JobRun(self.storage, self.jobs, job, worker, self.run, stop).execute()

    def removed(self, job_id: str) -> None:
        remove_files(self.run.root, job_id)


def export_workers(storage: SqlStorage, settings: Settings) -> ExportWorkers:
    """The workers the settings ask for (FHIR_BULK_*)."""
    run = RunSettings(
        root=settings.bulk_path,
        batch_size=settings.bulk_batch_size,
        lease_us=settings.bulk_lease_seconds * 1_000_000,
        base_url=settings.base_url,
        zone=settings.zone,
    )
    return ExportWorkers(
        storage,
        run,
        threads=settings.bulk_workers,
        poll_seconds=settings.bulk_poll_seconds,
        retention_us=settings.bulk_retention_hours * 3_600_000_000,
    )

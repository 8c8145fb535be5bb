"""Import worker threads (``job_workers``): run ``$import`` jobs of any process, delete expired ones."""

from __future__ import annotations

import threading

from fhir_server.interactions.bulk_import.operation_runner import ImportRun, ImportSettings
from fhir_server.interactions.bulk_import.operation_sources import FileStore
from fhir_server.interactions.job_workers import JobWorkers
from fhir_server.settings import Settings
from fhir_server.storage.import_jobs import ImportJob, ImportJobs
from fhir_server.storage.repository import SqlStorage


class ImportWorkers(JobWorkers):
    """A few daemon threads running import jobs of this process."""

    kind = "import"

    def __init__(
        self,
        storage: SqlStorage,
        run: ImportSettings,
        *,
        threads: int,
        poll_seconds: float,
        retention_us: int,
    ) -> None:
        self.storage, self.run = storage, run
        self.jobs: ImportJobs = ImportJobs(storage.engine)
        super().__init__(
            self.jobs, threads=threads, poll_seconds=poll_seconds, lease_us=run.lease_us, retention_us=retention_us
        )

    def execute(self, job: ImportJob, worker: str, stop: threading.Event) -> None:
        ImportRun(self.storage, self.jobs, job, worker, self.run, stop).execute()


def file_store(settings: Settings) -> FileStore:
    """The files $import may read: FHIR_BULK_DIR's export files and FHIR_IMPORT_DIR."""
    return FileStore(base_url=settings.base_url, export_root=settings.bulk_path, import_dir=settings.import_dir)


def import_workers(storage: SqlStorage, settings: Settings) -> ImportWorkers:
    """The workers the settings ask for (FHIR_IMPORT_WORKERS, FHIR_IMPORT_BATCH_SIZE, FHIR_BULK_*)."""
    run = ImportSettings(
        store=file_store(settings),
        batch_size=settings.import_batch_size,
        lease_us=settings.bulk_lease_seconds * 1_000_000,
        zone=settings.zone,
        clinic_profiles=settings.clinic_profiles,
    )
    return ImportWorkers(
        storage,
        run,
        threads=settings.import_workers,
        poll_seconds=settings.bulk_poll_seconds,
        retention_us=settings.bulk_retention_hours * 3_600_000_000,
    )

"""Import worker threads: claim queued (or abandoned) ``$import`` jobs from the database and run them.

The same scheme as the export workers: jobs live in the database, so the worker of any server
process may take any job, and a job whose process died is taken over once its lease runs out.
Finished jobs (their counts and error lists) are deleted after the retention time.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid

from fhir_server.interactions.bulk_import.operation_runner import ImportRun, ImportSettings
from fhir_server.interactions.bulk_import.operation_sources import FileStore
from fhir_server.model.instants import now_us
from fhir_server.settings import Settings
from fhir_server.storage.import_jobs import ImportJobs
from fhir_server.storage.repository import SqlStorage

log = logging.getLogger(__name__)
_CLEANUP_EVERY_US = 60_000_000


class ImportWorkers:
    """A few daemon threads running import jobs of this process."""

    def __init__(
        self,
        storage: SqlStorage,
        run: ImportSettings,
        *,
        threads: int,
        poll_seconds: float,
        retention_us: int,
    ) -> None:
        self.storage, self.run, self.threads = storage, run, threads
        self.poll_seconds, self.retention_us = poll_seconds, retention_us
        self.jobs = ImportJobs(storage.engine)
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._started: list[threading.Thread] = []
        self._last_cleanup = 0
        self._name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def start(self) -> None:
        self._stop.clear()
        for index in range(self.threads):
            thread = threading.Thread(target=self._loop, args=(f"{self._name}:{index}",), daemon=True,
                                      name=f"bulk-import-{index}")  # fmt: skip
            thread.start()
            self._started.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current batch; running jobs are released for another worker to continue."""
        self._stop.set()
        self.wake()
        for thread in self._started:
            thread.join(timeout)
        self._started.clear()

    def wake(self) -> None:
        """A job was queued: look now rather than at the next poll."""
        with self._wake:
            self._wake.notify_all()

    def run_once(self, worker: str) -> bool:
        """Claim and run one job; False when there was none."""
        now = now_us()
        job = self.jobs.claim(worker, now, now + self.run.lease_us)
        if job is None:
            return False
        ImportRun(self.storage, self.jobs, job, worker, self.run, self._stop).execute()
        return True

    def cleanup(self) -> None:
        """Delete finished jobs past retention and cancelled ones no worker holds any more."""
        now = now_us()
        for job_id in self.jobs.stale(now - self.retention_us, now - self.run.lease_us):
            self.jobs.remove(job_id)

    def _loop(self, worker: str) -> None:
        while not self._stop.is_set():
            try:
                if now_us() - self._last_cleanup > _CLEANUP_EVERY_US:
                    self._last_cleanup = now_us()
                    self.cleanup()
                if self.run_once(worker):
                    continue
            except Exception:
                log.exception("import worker error")  # keep the thread alive; the lease protects the job
            with self._wake:
                if not self._stop.is_set():
                    self._wake.wait(self.poll_seconds)


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

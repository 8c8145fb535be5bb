"""Worker threads that claim queued (or abandoned) jobs from the database and run them; expire old ones.

Jobs live in the database (``storage.leased_jobs``), so the worker of any server process may take any
job; a job whose process died is taken over once its lease runs out. Finished jobs are deleted after
the retention time. Bulk export and bulk import each run a few of these threads per process.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from typing import Any

from fhir_server.model.instants import now_us
from fhir_server.storage.leased_jobs import LeasedJobs

log = logging.getLogger(__name__)
_CLEANUP_EVERY_US = 60_000_000


class JobWorkers:
    """A few daemon threads running one kind of job in this process."""

    kind = "job"  # names the threads and the log lines

    def __init__(
        self, jobs: LeasedJobs[Any], *, threads: int, poll_seconds: float, lease_us: int, retention_us: int
    ) -> None:
        self.jobs, self.threads = jobs, threads
        self.poll_seconds, self.lease_us, self.retention_us = poll_seconds, lease_us, retention_us
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._started: list[threading.Thread] = []
        self._last_cleanup = 0
        self._name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def execute(self, job: Any, worker: str, stop: threading.Event) -> None:
        """Run one claimed job until it ends or ``stop`` is set."""
        raise NotImplementedError

    def removed(self, job_id: str) -> None:
        """What else goes with a job the cleanup deletes (its files)."""

    def start(self) -> None:
        self._stop.clear()
        for index in range(self.threads):
            thread = threading.Thread(target=self._loop, args=(f"{self._name}:{index}",), daemon=True,
                                      name=f"bulk-{self.kind}-{index}")  # fmt: skip
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
        job = self.jobs.claim(worker, now, now + self.lease_us)
        if job is None:
            return False
        self.execute(job, worker, self._stop)
        return True

    def cleanup(self) -> None:
        """Delete finished jobs past retention and cancelled ones no worker holds any more."""
        now = now_us()
        for job_id in self.jobs.stale(now - self.retention_us, now - self.lease_us):
            self.removed(job_id)
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
                log.exception("%s worker error", self.kind)  # keep the thread alive; the lease protects the job
            with self._wake:
                if not self._stop.is_set():
                    self._wake.wait(self.poll_seconds)

"""Bulk import ($import) jobs in the database, so any server process can run them and a restart resumes them.

Claimed like export jobs (``export_jobs``): a worker writes its name and a lease deadline and renews
the lease with every batch it records. Per input file the job keeps the last line whose batch
committed, its counts, and the failed lines, all recorded in one transaction: a job taken over after
its process died starts again after that line, and no failure is listed twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, insert, or_, select, update

from fhir_server.storage.engine import WRITE_OPTION
from fhir_server.storage.schema import bulk_import_error as error_table
from fhir_server.storage.schema import bulk_import_input as input_table
from fhir_server.storage.schema import bulk_import_job as job_table

QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED = "queued", "running", "completed", "failed", "cancelled"
ACTIVE = (QUEUED, RUNNING)


@dataclass(frozen=True, slots=True)
class ImportJob:
    job_id: str
    parameters: str
    request_url: str
    owner: str
    principal: str
    status: str
    progress: str | None
    cancelled: bool
    error: str | None
    transaction_time: int
    created_us: int
    updated_us: int


@dataclass(frozen=True, slots=True)
class ImportInput:
    """One input file: where it is, how far the import got, and what became of its lines."""

    position: int
    res_type: str
    url: str
    source: str
    line: int  # the last line of the last committed batch (0: none yet)
    written: int
    unchanged: int
    failed: int
    done: bool


_JOB_COLUMNS = tuple(job_table.c[name] for name in ImportJob.__dataclass_fields__)
_INPUT_COLUMNS = tuple(input_table.c[name] for name in ImportInput.__dataclass_fields__)


class ImportJobs:
    """The job, input and error tables on one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        # The write option makes SQLite open a real transaction too (its reads run in autocommit).
        with self.engine.connect() as connection:
            connection = connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                yield connection

    def create(self, values: Mapping[str, Any], inputs: Sequence[Mapping[str, Any]]) -> None:
        """A new queued job with its input files."""
        with self._transaction() as connection:
            connection.execute(insert(job_table), [dict(values)])
            connection.execute(insert(input_table), [{"job_id": values["job_id"], **item} for item in inputs])

    def get(self, job_id: str) -> ImportJob | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(*_JOB_COLUMNS).where(job_table.c.job_id == job_id)).first()
        return ImportJob(*row) if row is not None else None

    def inputs(self, job_id: str) -> list[ImportInput]:
        stmt = select(*_INPUT_COLUMNS).where(input_table.c.job_id == job_id).order_by(input_table.c.position)
        with self.engine.connect() as connection:
            return [ImportInput(*row) for row in connection.execute(stmt)]

    def errors(self, job_id: str, position: int) -> list[tuple[int, str]]:
        """The failed lines of one input, in file order: (line number, message)."""
        stmt = (
            select(error_table.c.line, error_table.c.message)
            .where(error_table.c.job_id == job_id, error_table.c.position == position)
            .order_by(error_table.c.line)
        )
        with self.engine.connect() as connection:
            return [(int(line), str(message)) for line, message in connection.execute(stmt)]

    def claim(self, worker: str, now_us: int, lease_until_us: int) -> ImportJob | None:
        """Take the oldest active job nobody holds (or whose holder's lease ran out)."""
        free = and_(
            job_table.c.status.in_(ACTIVE),
            job_table.c.cancelled.is_(False),
            or_(job_table.c.lease_until_us.is_(None), job_table.c.lease_until_us < now_us),
        )
        candidate = select(job_table.c.job_id).where(free).order_by(job_table.c.created_us).limit(1)
        with self._transaction() as connection:
            if connection.dialect.name == "postgresql":
                candidate = candidate.with_for_update(skip_locked=True)
            job_id = connection.execute(candidate).scalar()
            if job_id is None:
                return None
            taken = connection.execute(
                update(job_table)
                .where(job_table.c.job_id == job_id, free)
                .values(status=RUNNING, worker=worker, lease_until_us=lease_until_us, updated_us=now_us)
            )
            if taken.rowcount != 1:
                return None  # another worker won the race (SQLite)
        return self.get(str(job_id))

    def record(
        self,
        job_id: str,
        worker: str,
        item: ImportInput,
        errors: Sequence[tuple[int, str]],
        *,
        now_us: int,
        lease_until_us: int,
        progress: str,
    ) -> bool:
        """Save one input's resume point, counts and new failures, and renew the lease.

        False when the job was cancelled or taken over (nothing is saved then).
        """
        with self._transaction() as connection:
            held = connection.execute(
                update(job_table)
                .where(job_table.c.job_id == job_id, job_table.c.worker == worker, job_table.c.cancelled.is_(False))
                .values(lease_until_us=lease_until_us, updated_us=now_us, progress=progress)
            )
            if held.rowcount != 1:
                return False
            connection.execute(
                update(input_table)
                .where(input_table.c.job_id == job_id, input_table.c.position == item.position)
                .values(
                    line=item.line, written=item.written, unchanged=item.unchanged, failed=item.failed, done=item.done
                )
            )
            if errors:
                rows = [{"job_id": job_id, "position": item.position, "line": n, "message": m} for n, m in errors]
                connection.execute(insert(error_table), rows)
        return True

    def release(self, job_id: str, worker: str) -> None:
        """Give a job back (server shutting down) so another worker takes it at once."""
        with self._transaction() as connection:
            connection.execute(
                update(job_table)
                .where(job_table.c.job_id == job_id, job_table.c.worker == worker)
                .values(lease_until_us=None, worker=None)
            )

    def finish(self, job_id: str, worker: str, status: str, now_us: int, error: str | None = None) -> bool:
        """Mark the job completed or failed (unless it was cancelled or taken over meanwhile)."""
        with self._transaction() as connection:
            done = connection.execute(
                update(job_table)
                .where(job_table.c.job_id == job_id, job_table.c.worker == worker, job_table.c.cancelled.is_(False))
                .values(status=status, error=error, updated_us=now_us, lease_until_us=None, progress=None)
            )
        return done.rowcount == 1

    def cancel(self, job_id: str, now_us: int) -> None:
        """Flag the job cancelled; its worker stops before its next batch."""
        with self._transaction() as connection:
            connection.execute(
                update(job_table)
                .where(job_table.c.job_id == job_id)
                .values(cancelled=True, status=CANCELLED, updated_us=now_us)
            )

    def remove(self, job_id: str) -> None:
        with self._transaction() as connection:
            connection.execute(delete(error_table).where(error_table.c.job_id == job_id))
            connection.execute(delete(input_table).where(input_table.c.job_id == job_id))
            connection.execute(delete(job_table).where(job_table.c.job_id == job_id))

    def stale(self, finished_before_us: int, cancelled_before_us: int) -> list[str]:
        """Jobs to clean up: finished before the retention cut-off, or cancelled and no longer running."""
        stmt = select(job_table.c.job_id).where(
            or_(
                and_(job_table.c.status.in_((COMPLETED, FAILED)), job_table.c.updated_us < finished_before_us),
                and_(job_table.c.cancelled.is_(True), job_table.c.updated_us < cancelled_before_us),
            )
        )
        with self.engine.connect() as connection:
            return [row[0] for row in connection.execute(stmt)]

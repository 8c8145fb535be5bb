"""Background jobs in the database, so any server process can run them and a restart resumes them.

A worker claims a job by writing its name and a lease deadline (``SELECT ... FOR UPDATE SKIP
LOCKED`` on PostgreSQL, a conditional UPDATE on SQLite); it renews the lease with every batch it
records. A job whose lease ran out (its process died) is claimed again and continues from where
its last recorded batch left it. Bulk exports and bulk imports keep their jobs this way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Engine, Table, and_, delete, or_, select, update

from fhir_server.commit_guard import claim_commit
from fhir_server.storage.engine import WRITE_OPTION

QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED = "queued", "running", "completed", "failed", "cancelled"
ACTIVE = (QUEUED, RUNNING)
Job = TypeVar("Job")


class LeasedJobs(Generic[Job]):
    """A job table (and the tables of its parts, removed with it) on one engine."""

    def __init__(self, engine: Engine, table: Table, make: Callable[..., Job], parts: tuple[Table, ...]) -> None:
        self.engine = engine
        self.table = table
        self._make = make
        self._columns = tuple(table.c[name] for name in make.__dataclass_fields__)  # type: ignore[attr-defined]
        self._parts = parts

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        # The write option makes SQLite open a real transaction too (its reads run in autocommit).
        with self.engine.connect() as connection:
            connection = connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                yield connection
                claim_commit()  # a kick-off or cancel answered 503 by the time limit changes nothing

    def get(self, job_id: str) -> Job | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(*self._columns).where(self.table.c.job_id == job_id)).first()
        return self._make(*row) if row is not None else None

    def claim(self, worker: str, now_us: int, lease_until_us: int) -> Job | None:
        """Take the oldest active job nobody holds (or whose holder's lease ran out)."""
        jobs = self.table
        free = and_(
            jobs.c.status.in_(ACTIVE),
            jobs.c.cancelled.is_(False),
            or_(jobs.c.lease_until_us.is_(None), jobs.c.lease_until_us < now_us),
        )
        candidate = select(jobs.c.job_id).where(free).order_by(jobs.c.created_us).limit(1)
        with self._transaction() as connection:
            if connection.dialect.name == "postgresql":
                candidate = candidate.with_for_update(skip_locked=True)
            job_id = connection.execute(candidate).scalar()
            if job_id is None:
                return None
            taken = connection.execute(
                update(jobs)
                .where(jobs.c.job_id == job_id, free)
                .values(status=RUNNING, worker=worker, lease_until_us=lease_until_us, updated_us=now_us)
            )
            if taken.rowcount != 1:
                return None  # another worker won the race (SQLite)
        return self.get(str(job_id))

    def _renew(self, connection: Connection, job_id: str, worker: str, **values: Any) -> bool:
        """Renew the lease inside a recording transaction; False when the job was cancelled or taken over."""
        jobs = self.table
        held = connection.execute(
            update(jobs)
            .where(jobs.c.job_id == job_id, jobs.c.worker == worker, jobs.c.cancelled.is_(False))
            .values(**values)
        )
        return bool(held.rowcount == 1)

    def release(self, job_id: str, worker: str) -> None:
        """Give a job back (server shutting down) so another worker takes it at once."""
        with self._transaction() as connection:
            connection.execute(
                update(self.table)
                .where(self.table.c.job_id == job_id, self.table.c.worker == worker)
                .values(lease_until_us=None, worker=None)
            )

    def finish(self, job_id: str, worker: str, status: str, now_us: int, error: str | None = None) -> bool:
        """Mark the job completed or failed (unless it was cancelled or taken over meanwhile)."""
        with self._transaction() as connection:
            values = {"status": status, "error": error, "updated_us": now_us, "lease_until_us": None, "progress": None}
            return self._renew(connection, job_id, worker, **values)

    def cancel(self, job_id: str, now_us: int) -> None:
        """Flag the job cancelled; its worker stops before its next batch."""
        with self._transaction() as connection:
            connection.execute(
                update(self.table)
                .where(self.table.c.job_id == job_id)
                .values(cancelled=True, status=CANCELLED, updated_us=now_us)
            )

    def remove(self, job_id: str) -> None:
        with self._transaction() as connection:
            for part in self._parts:
                connection.execute(delete(part).where(part.c.job_id == job_id))
            connection.execute(delete(self.table).where(self.table.c.job_id == job_id))

    def stale(self, finished_before_us: int, cancelled_before_us: int) -> list[str]:
        """Jobs to clean up: finished before the retention cut-off, or cancelled and no longer running."""
        jobs = self.table
        stmt = select(jobs.c.job_id).where(
            or_(
                and_(jobs.c.status.in_((COMPLETED, FAILED)), jobs.c.updated_us < finished_before_us),
                and_(jobs.c.cancelled.is_(True), jobs.c.updated_us < cancelled_before_us),
            )
        )
        with self.engine.connect() as connection:
            return [row[0] for row in connection.execute(stmt)]

"""Bulk import ($import) jobs in the database (``leased_jobs``), so any server process can run them and a
restart resumes them. Per input file the job keeps the last line whose batch committed, its counts, and
the failed lines, recorded in one transaction with the lease renewal: a job taken over after its
process died starts again after that line, and no failure is listed twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, insert, select, update

from fhir_server.storage.leased_jobs import ACTIVE, CANCELLED, COMPLETED, FAILED, QUEUED, RUNNING, LeasedJobs
from fhir_server.storage.schema import bulk_import_error as error_table
from fhir_server.storage.schema import bulk_import_input as input_table
from fhir_server.storage.schema import bulk_import_job as job_table

__all__ = ["ACTIVE", "CANCELLED", "COMPLETED", "FAILED", "QUEUED", "RUNNING", "ImportInput", "ImportJob", "ImportJobs"]


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


_INPUT_COLUMNS = tuple(input_table.c[name] for name in ImportInput.__dataclass_fields__)


class ImportJobs(LeasedJobs[ImportJob]):
    """The job, input and error tables on one engine."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine, job_table, ImportJob, (error_table, input_table))

    def create(self, values: Mapping[str, Any], inputs: Sequence[Mapping[str, Any]]) -> None:
        """A new queued job with its input files."""
        with self._transaction() as connection:
            connection.execute(insert(job_table), [dict(values)])
            connection.execute(insert(input_table), [{"job_id": values["job_id"], **item} for item in inputs])

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
            if not self._renew(connection, job_id, worker, lease_until_us=lease_until_us, updated_us=now_us,
                               progress=progress):  # fmt: skip
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

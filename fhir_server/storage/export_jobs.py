"""Bulk export jobs in the database (``leased_jobs``): one row per job, one part per output type with its
resume point, so any server process can run a job and a restart resumes it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, insert, select, update

from fhir_server.storage.leased_jobs import ACTIVE, CANCELLED, COMPLETED, FAILED, QUEUED, RUNNING, LeasedJobs
from fhir_server.storage.schema import bulk_export_job as job_table
from fhir_server.storage.schema import bulk_export_part as part_table

__all__ = ["ACTIVE", "CANCELLED", "COMPLETED", "FAILED", "QUEUED", "RUNNING", "ExportJob", "ExportJobs", "ExportPart"]


@dataclass(frozen=True, slots=True)
class ExportJob:
    job_id: str
    kind: str
    group_id: str | None
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
class ExportPart:
    res_type: str
    position: int
    file_name: str
    cursor: str | None
    count: int
    bytes: int
    done: bool


_PART_COLUMNS = tuple(part_table.c[name] for name in ExportPart.__dataclass_fields__)


class ExportJobs(LeasedJobs[ExportJob]):
    """The job and part tables on one engine."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine, job_table, ExportJob, (part_table,))

    def create(self, values: Mapping[str, Any], parts: Sequence[Mapping[str, Any]]) -> None:
        """A new queued job with one part per output type."""
        with self._transaction() as connection:
            connection.execute(insert(job_table), [dict(values)])
            if parts:
                connection.execute(insert(part_table), [{"job_id": values["job_id"], **p} for p in parts])

    def parts(self, job_id: str) -> list[ExportPart]:
        stmt = select(*_PART_COLUMNS).where(part_table.c.job_id == job_id).order_by(part_table.c.position)
        with self.engine.connect() as connection:
            return [ExportPart(*row) for row in connection.execute(stmt)]

    def record(
        self, job_id: str, worker: str, part: ExportPart, *, now_us: int, lease_until_us: int, progress: str
    ) -> bool:
        """Save one type's resume point and renew the lease; False when the job was cancelled or taken over."""
        with self._transaction() as connection:
            if not self._renew(connection, job_id, worker, lease_until_us=lease_until_us, updated_us=now_us,
                               progress=progress):  # fmt: skip
                return False
            connection.execute(
                update(part_table)
                .where(part_table.c.job_id == job_id, part_table.c.res_type == part.res_type)
                .values(cursor=part.cursor, count=part.count, bytes=part.bytes, done=part.done)
            )
        return True

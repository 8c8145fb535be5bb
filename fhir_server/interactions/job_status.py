"""What a bulk job's status URL answers, for exports and imports alike (the Bulk Data async pattern)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from fhir_server.errors import Internal, NotFound
from fhir_server.interactions.bulk_export.files import valid_job_id
from fhir_server.interactions.bulk_export.principal import owner_of
from fhir_server.interactions.context import RequestContext, Result
from fhir_server.storage.leased_jobs import ACTIVE, COMPLETED, FAILED, QUEUED, LeasedJobs

RETRY_AFTER_SECONDS = 2


class Job(Protocol):
    @property
    def job_id(self) -> str: ...
    @property
    def owner(self) -> str: ...
    @property
    def cancelled(self) -> bool: ...
    @property
    def status(self) -> str: ...
    @property
    def progress(self) -> str | None: ...
    @property
    def error(self) -> str | None: ...


J = TypeVar("J", bound=Job)


def owned(jobs: LeasedJobs[J], ctx: RequestContext, job_id: str, unknown: str) -> J:
    """The caller's own live job; any other caller, a cancelled job or a bad id: 404 (message ``unknown``)."""
    job = jobs.get(job_id) if valid_job_id(job_id) else None
    if job is None or job.cancelled or job.owner != owner_of(ctx.principal):
        raise NotFound(unknown, id=job_id)
    return job


def status_answer(job: Job, manifest: Callable[[], dict[str, Any]], failed: str) -> Result:
    """202 with X-Progress while running, 200 with the manifest when done, 500 (message ``failed``) when it failed."""
    if job.status in ACTIVE:
        progress = job.progress or ("queued" if job.status == QUEUED else "starting")
        return Result(202, headers={"X-Progress": progress, "Retry-After": str(RETRY_AFTER_SECONDS)})
    if job.status == FAILED:
        raise Internal(failed, code="exception", id=job.job_id, diagnostics=job.error)
    assert job.status == COMPLETED
    return Result(200, body=manifest(), headers={"Expires": "-1"})

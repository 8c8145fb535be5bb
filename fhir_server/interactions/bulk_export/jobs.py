"""Kick-off, status, cancel and file access of ``$export`` jobs; each job belongs to its caller.

Only the client that started a job sees it: any other caller gets 404 for its status and files,
as if it did not exist. Files are served to the owner with a valid token whose scopes still cover
the file's type (``requiresAccessToken: true``).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from fhir_server.errors import Forbidden, NotFound
from fhir_server.interactions.access import require, visible
from fhir_server.interactions.audited import audited
from fhir_server.interactions.bulk_export.files import file_name, job_file, remove_files
from fhir_server.interactions.bulk_export.plan import output_types, type_plan
from fhir_server.interactions.bulk_export.principal import dump_principal, owner_of
from fhir_server.interactions.bulk_export.request import GROUP, ExportRequest, parse_request
from fhir_server.interactions.context import RequestContext, Result
from fhir_server.interactions.job_status import owned, status_answer
from fhir_server.model.instants import fhir_instant, now_us
from fhir_server.model.json import loads
from fhir_server.model.references import RefKind, parse_reference
from fhir_server.storage.export_jobs import ACTIVE, COMPLETED, ExportJob, ExportJobs
from fhir_server.storage.repository import SqlStorage

STATUS_PATH = "$export-status"
FILE_PATH = "$export-file"


def _members(storage: SqlStorage, ctx: RequestContext, group_id: str) -> tuple[str, ...]:
    """The active Patient members of a Group the caller may read (404 otherwise)."""
    require(ctx, "Group", "read")
    stored = storage.read("Group", group_id)
    if stored is None or stored.deleted or stored.content is None or not visible(ctx, storage, stored):
        raise NotFound("not-found", type="Group", id=group_id)
    members: set[str] = set()
    for member in loads(stored.content).get("member", []):
        entity = member.get("entity", {}).get("reference") if isinstance(member, dict) else None
        ref = parse_reference(entity) if isinstance(entity, str) else None
        if (
            ref is not None
            and ref.kind is RefKind.RELATIVE
            and ref.type == "Patient"
            and ref.id
            and not member.get("inactive")
        ):
            members.add(ref.id)
    return tuple(sorted(members))


def kickoff(
    storage: SqlStorage,
    jobs: ExportJobs,
    ctx: RequestContext,
    kind: str,
    group_id: str | None,
    params: dict[str, list[Any]],
    *,
    lenient: bool,
    method: str,
    request_url: str,
) -> Result:
    """Validate the request, queue the job, answer 202 with the status URL in Content-Location."""
    type_name = "Group" if kind == GROUP else "Patient" if kind == "patient" else None
    ctx = replace(ctx, strict_handling=not lenient)  # unknown _typeFilter parameters: 400 unless lenient
    with audited(ctx, "operation", type_name, group_id, operation="export"):
        principal = ctx.principal
        if principal.scopes is not None and principal.kind != "client":
            raise Forbidden("bulk-clients-only", code="forbidden")
        request = parse_request(kind, params, lenient=lenient, zone=ctx.zone, method=method)
        if kind == GROUP:
            assert group_id is not None
            members = _members(storage, ctx, group_id)
            if request.patients is not None:
                members = tuple(p for p in request.patients if p in members)
            request = ExportRequest(kind, request.types, request.since, request.since_us, request.type_filters, members)
        types = output_types(ctx, request)
        for name in types:
            type_plan(storage, ctx, request, name)  # malformed _typeFilter queries answer 400 now, not later
        job_id = uuid.uuid4().hex
        now = now_us()
        values = {
            "job_id": job_id, "kind": kind, "group_id": group_id,
            "parameters": json.dumps({**request.as_json(), "lenient": lenient}), "request_url": request_url,
            "client_id": principal.client_id, "subject": principal.subject, "owner": owner_of(principal),
            "principal": dump_principal(principal),
            "scopes": principal.scopes.render() if principal.scopes is not None else None,
            "status": "queued", "progress": None, "cancelled": False, "error": None, "transaction_time": now,
            "created_us": now, "updated_us": now, "lease_until_us": None, "worker": None,
        }  # fmt: skip
        parts = [
            {"res_type": name, "position": i, "file_name": file_name(i, name), "cursor": None, "count": 0,
             "bytes": 0, "done": False}
            for i, name in enumerate(types, start=1)
        ]  # fmt: skip
        jobs.create(values, parts)
    location = f"{ctx.base_url}/{STATUS_PATH}/{job_id}"
    return Result(202, headers={"Content-Location": location})


def _owned(jobs: ExportJobs, ctx: RequestContext, job_id: str) -> ExportJob:
    return owned(jobs, ctx, job_id, "bulk-job-unknown")


def _manifest(jobs: ExportJobs, ctx: RequestContext, job: ExportJob) -> dict[str, Any]:
    base = f"{ctx.base_url}/{FILE_PATH}/{job.job_id}"
    output = [
        {"type": part.res_type, "url": f"{base}/{part.file_name}", "count": part.count}
        for part in jobs.parts(job.job_id)
        if part.count > 0
    ]
    return {
        "transactionTime": fhir_instant(job.transaction_time),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": output,
        "error": [],
    }


def status(jobs: ExportJobs, ctx: RequestContext, job_id: str) -> Result:
    """202 with X-Progress while running, 200 with the manifest when done, 500 when the job failed."""
    job = _owned(jobs, ctx, job_id)
    return status_answer(job, lambda: _manifest(jobs, ctx, job), "bulk-job-failed")


def cancel(jobs: ExportJobs, ctx: RequestContext, root: Path, job_id: str) -> Result:
    """Stop the job and delete its files; its status URL answers 404 from now on."""
    job = _owned(jobs, ctx, job_id)
    jobs.cancel(job.job_id, now_us())
    remove_files(root, job.job_id)
    if job.status not in ACTIVE:
        jobs.remove(job.job_id)  # no worker holds it: nothing else will clean it up sooner
    return Result(202)


def export_file(jobs: ExportJobs, ctx: RequestContext, root: Path, job_id: str, name: str) -> Path:
    """The path of one output file of a completed job of the caller's (404 for anything else)."""
    job = _owned(jobs, ctx, job_id)
    part = next((p for p in jobs.parts(job.job_id) if p.file_name == name), None)
    path = job_file(root, job.job_id, name)
    if job.status != COMPLETED or part is None or part.count == 0 or path is None or not path.is_file():
        raise NotFound("bulk-file-unknown", name=name)
    with audited(ctx, "operation", part.res_type, None, operation="export-file"):
        require(ctx, part.res_type, "search")
    return path

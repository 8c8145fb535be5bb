"""Bulk Data $export: kick-off at system, Patient and Group level, status polling, cancel, and files.

Included before the generic routes, whose ``{type}/{id}`` and ``{type}/{operation}`` patterns
would otherwise take these paths.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from fhir_server.api.deps import context_of, language_of, query_pairs, settings_of, storage_of
from fhir_server.api.execution import run_long
from fhir_server.api.negotiation import require_body_type
from fhir_server.api.responses import render_json
from fhir_server.api.routes.common import ResourceId, responses
from fhir_server.errors import Invalid, Issue, operation_outcome
from fhir_server.interactions.bulk_export import jobs
from fhir_server.interactions.bulk_export.files import MEDIA_TYPE
from fhir_server.interactions.bulk_export.request import GROUP, PATIENT, SYSTEM
from fhir_server.interactions.context import Result
from fhir_server.interactions.operations import parameters_from_body, parameters_from_query
from fhir_server.model.validation import parse_json
from fhir_server.storage.export_jobs import ExportJobs

router = APIRouter()
ACCEPTED = {**responses(200), 202: {"description": "Accepted"}}


def prefer_flags(request: Request) -> tuple[bool, bool]:
    """(respond-async, handling=lenient) from the Prefer header."""
    respond_async = lenient = False
    for part in request.headers.get("prefer", "").replace(";", ",").split(","):
        name, _, value = part.strip().partition("=")
        respond_async |= name.strip() == "respond-async"
        lenient |= name.strip() == "handling" and value.strip().strip('"') == "lenient"
    return respond_async, lenient


def _jobs(request: Request) -> ExportJobs:
    return ExportJobs(storage_of(request).engine)


def job_response(request: Request, result: Result) -> Response:
    if isinstance(result.body, dict):
        return render_json(request, result.body, result.status, result.headers, "application/json")
    issue = Issue("informational", "ok", severity="information")
    return render_json(request, operation_outcome([issue], language_of(request)), result.status, result.headers)


async def _kickoff(request: Request, kind: str, group_id: str | None) -> Response:
    respond_async, lenient = prefer_flags(request)
    if not respond_async:
        raise Invalid("bulk-async-required", code="required")
    params: dict[str, list[Any]] = parameters_from_query(query_pairs(request))
    if request.method == "POST":
        body = await request.body()
        if body.strip():
            require_body_type(request)
            params = parameters_from_body(parse_json(body))
    result = await run_long(
        jobs.kickoff, storage_of(request), _jobs(request), context_of(request), kind, group_id, params,
        lenient=lenient, method=request.method, request_url=str(request.url),
    )  # fmt: skip
    workers = getattr(request.app.state, "bulk_workers", None)
    if workers is not None:
        workers.wake()
    return job_response(request, result)


@router.get("/$export", responses=ACCEPTED, summary="Bulk export: system")
@router.post("/$export", responses=ACCEPTED, summary="Bulk export: system")
async def system_export(request: Request) -> Response:
    return await _kickoff(request, SYSTEM, None)


@router.get("/Patient/$export", responses=ACCEPTED, summary="Bulk export: patients")
@router.post("/Patient/$export", responses=ACCEPTED, summary="Bulk export: patients")
async def patient_export(request: Request) -> Response:
    return await _kickoff(request, PATIENT, None)


@router.get("/Group/{group_id}/$export", responses=ACCEPTED, summary="Bulk export: group")
@router.post("/Group/{group_id}/$export", responses=ACCEPTED, summary="Bulk export: group")
async def group_export(request: Request, group_id: ResourceId) -> Response:
    return await _kickoff(request, GROUP, group_id)


@router.get(f"/{jobs.STATUS_PATH}/{{job_id}}", responses=ACCEPTED, summary="Bulk export status")
async def export_status(request: Request, job_id: str) -> Response:
    result = await run_long(jobs.status, _jobs(request), context_of(request), job_id)
    return job_response(request, result)


@router.delete(f"/{jobs.STATUS_PATH}/{{job_id}}", responses=ACCEPTED, summary="Cancel a bulk export")
async def export_cancel(request: Request, job_id: str) -> Response:
    root = settings_of(request).bulk_path
    result = await run_long(jobs.cancel, _jobs(request), context_of(request), root, job_id)
    return job_response(request, result)


@router.get(
    f"/{jobs.FILE_PATH}/{{job_id}}/{{name}}", responses=responses(200), summary="Bulk export output file (NDJSON)"
)
async def export_file(request: Request, job_id: str, name: str) -> Response:
    root = settings_of(request).bulk_path
    path = await run_long(jobs.export_file, _jobs(request), context_of(request), root, job_id, name)
    return FileResponse(path, media_type=MEDIA_TYPE)

"""Bulk Data $import: kick-off, status polling, cancel, and the error files of a finished job.

Included before the generic routes, whose ``{type}/{id}`` and ``{type}/{operation}`` patterns
would otherwise take these paths.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from fhir_server.api.deps import context_of, settings_of, storage_of
from fhir_server.api.execution import run_long
from fhir_server.api.negotiation import require_body_type
from fhir_server.api.routes.bulk import ACCEPTED, job_response, prefer_flags
from fhir_server.api.routes.common import responses
from fhir_server.errors import Invalid
from fhir_server.interactions.bulk_import import operation
from fhir_server.interactions.bulk_import.operation_worker import file_store
from fhir_server.model.validation import parse_json
from fhir_server.storage.export_jobs import ExportJobs
from fhir_server.storage.import_jobs import ImportJobs

router = APIRouter()
IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/fhir+json": {"schema": {"type": "object"}}},
    }
}


def _jobs(request: Request) -> ImportJobs:
    return ImportJobs(storage_of(request).engine)


@router.post("/$import", responses=ACCEPTED, openapi_extra=IMPORT_BODY, summary="Bulk import: kick-off")
async def import_kickoff(request: Request) -> Response:
    respond_async, lenient = prefer_flags(request)
    if not respond_async:
        raise Invalid("bulk-import-async-required", code="required")
    require_body_type(request)
    body = await request.body()
    if not body.strip():
        raise Invalid("bulk-import-body", code="required")
    storage = storage_of(request)
    result = await run_long(
        operation.kickoff, _jobs(request), ExportJobs(storage.engine), file_store(settings_of(request)),
        context_of(request), parse_json(body), lenient=lenient, request_url=str(request.url),
    )  # fmt: skip
    workers = getattr(request.app.state, "import_workers", None)
    if workers is not None:
        workers.wake()
    return job_response(request, result)


@router.get(f"/{operation.STATUS_PATH}/{{job_id}}", responses=ACCEPTED, summary="Bulk import status")
async def import_status(request: Request, job_id: str) -> Response:
    result = await run_long(operation.status, _jobs(request), context_of(request), job_id)
    return job_response(request, result)


@router.delete(f"/{operation.STATUS_PATH}/{{job_id}}", responses=ACCEPTED, summary="Cancel a bulk import")
async def import_cancel(request: Request, job_id: str) -> Response:
    result = await run_long(operation.cancel, _jobs(request), context_of(request), job_id)
    return job_response(request, result)


@router.get(
    f"/{operation.ERROR_PATH}/{{job_id}}/{{name}}", responses=responses(200), summary="Bulk import errors (NDJSON)"
)
async def import_errors(request: Request, job_id: str, name: str) -> Response:
    content = await run_long(operation.error_file, _jobs(request), context_of(request), job_id, name)
    return Response(content, media_type=operation.ERROR_MEDIA_TYPE)

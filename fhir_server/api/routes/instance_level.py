"""Instance level: read (conditional), vread, update, patch, delete, instance history."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from fhir_server.api.deps import context_of, query_pairs, storage_of
from fhir_server.api.execution import run_short, run_write
from fhir_server.api.negotiation import JSON_PATCH, require_body_type
from fhir_server.api.responses import outcome_response, read_response, write_response
from fhir_server.api.routes.common import (
    PATCH_BODY,
    RESOURCE_BODY,
    ResourceId,
    TypeName,
    VersionId,
    responses,
)
from fhir_server.api.routes.operations import run_operation
from fhir_server.interactions import crud
from fhir_server.interactions.context import Result
from fhir_server.interactions.history import history
from fhir_server.interactions.patch import patch
from fhir_server.interactions.search import compartment_search
from fhir_server.model.instants import parse_etag, parse_http_date, weak_etag

router = APIRouter()


def _not_modified(request: Request, result: Result) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = [parse_etag(t) for t in if_none_match.split(",")]
        return "*" in tags or str(result.version) in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since is not None and result.last_modified is not None:
        since = parse_http_date(if_modified_since)
        return since is not None and result.last_modified // 1_000_000 <= since // 1_000_000
    return False


@router.get("/{resource_type}/{res_id}/_history/{version}", responses=responses(200, 410), summary="vread")
async def vread(request: Request, resource_type: TypeName, res_id: ResourceId, version: VersionId) -> Response:
    ctx = context_of(request)
    result = await run_short(crud.vread, storage_of(request), ctx, resource_type, res_id, version)
    return read_response(request, result)


@router.get("/{resource_type}/{res_id}/_history", responses=responses(200), summary="Instance history")
async def instance_history(request: Request, resource_type: TypeName, res_id: ResourceId) -> Response:
    ctx = context_of(request)
    params = query_pairs(request)
    result = await run_short(history, storage_of(request), ctx, resource_type, res_id, params)
    return outcome_response(request, result)


@router.get("/{resource_type}/{res_id}", responses=responses(200, 304, 410), summary="read")
async def read(request: Request, resource_type: TypeName, res_id: ResourceId) -> Response:
    if res_id.startswith("$"):
        return await run_operation(request, resource_type, None, res_id)
    ctx = context_of(request)
    result = await run_short(crud.read, storage_of(request), ctx, resource_type, res_id)
    if _not_modified(request, result):
        return Response(status_code=304, headers={"ETag": weak_etag(result.version or 0)})
    return read_response(request, result)


@router.put(
    "/{resource_type}/{res_id}",
    responses=responses(200, 201, 409, 412),
    openapi_extra=RESOURCE_BODY,
    summary="update (creates when the id is new)",
)
async def update(request: Request, resource_type: TypeName, res_id: ResourceId) -> Response:
    require_body_type(request)
    body = await request.body()
    ctx = context_of(request)
    result = await run_write(
        crud.update,
        storage_of(request),
        ctx,
        resource_type,
        res_id,
        body,
        request.headers.get("if-match"),
    )
    return write_response(request, result, "created-ok" if result.status == 201 else "updated-ok")


@router.patch(
    "/{resource_type}/{res_id}",
    responses=responses(200, 409, 410, 412),
    openapi_extra=PATCH_BODY,
    summary="patch (JSON Patch)",
)
async def patch_instance(request: Request, resource_type: TypeName, res_id: ResourceId) -> Response:
    require_body_type(request, frozenset({JSON_PATCH}))
    body = await request.body()
    ctx = context_of(request)
    result = await run_write(
        patch,
        storage_of(request),
        ctx,
        resource_type,
        res_id,
        body,
        request.headers.get("if-match"),
    )
    return write_response(request, result, "updated-ok")


@router.delete("/{resource_type}/{res_id}", responses=responses(200, 409, 412), summary="delete")
async def delete(request: Request, resource_type: TypeName, res_id: ResourceId) -> Response:
    ctx = context_of(request)
    result = await run_write(
        crud.delete,
        storage_of(request),
        ctx,
        resource_type,
        res_id,
        request.headers.get("if-match"),
    )
    return outcome_response(request, result)


@router.get("/{compartment}/{owner}/{resource_type}", responses=responses(200), summary="Compartment search")
async def compartment(request: Request, compartment: TypeName, owner: ResourceId, resource_type: TypeName) -> Response:
    if resource_type.startswith("$"):
        return await run_operation(request, compartment, owner, resource_type)
    ctx = context_of(request)
    params = query_pairs(request)
    result = await run_short(compartment_search, storage_of(request), ctx, compartment, owner, resource_type, params)
    return outcome_response(request, result)

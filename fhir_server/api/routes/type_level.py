"""Type level: search, create (conditional), conditional update and delete, type history."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from fhir_server.api.deps import context_of, query_pairs, storage_of
from fhir_server.api.execution import run_short, run_write
from fhir_server.api.negotiation import require_body_type
from fhir_server.api.responses import outcome_response, write_response
from fhir_server.api.routes.common import FORM_BODY, RESOURCE_BODY, TypeName, responses
from fhir_server.api.routes.operations import run_operation
from fhir_server.interactions import crud
from fhir_server.interactions.history import history
from fhir_server.interactions.search import search

router = APIRouter()


def _criteria(request: Request) -> str:
    return urlencode([(k, v) for k, v in query_pairs(request) if k not in ("_format", "_pretty")])


@router.get("/{resource_type}/_history", responses=responses(200), summary="Type history")
async def type_history(request: Request, resource_type: TypeName) -> Response:
    ctx = context_of(request)
    result = await run_short(history, storage_of(request), ctx, resource_type, None, query_pairs(request))
    return outcome_response(request, result)


@router.post("/{resource_type}/_search", responses=responses(200), openapi_extra=FORM_BODY, summary="Search (POST)")
async def search_post(request: Request, resource_type: TypeName) -> Response:
    require_body_type(request, frozenset({"application/x-www-form-urlencoded"}))
    params = query_pairs(request) + parse_qsl((await request.body()).decode(), keep_blank_values=True)
    ctx = context_of(request)
    result = await run_short(search, storage_of(request), ctx, resource_type, params)
    return outcome_response(request, result)


@router.get("/{resource_type}", responses=responses(200), summary="Search")
async def search_get(request: Request, resource_type: TypeName) -> Response:
    ctx = context_of(request)
    result = await run_short(search, storage_of(request), ctx, resource_type, query_pairs(request))
    return outcome_response(request, result)


@router.post(
    "/{resource_type}",
    responses=responses(200, 201, 412),
    openapi_extra=RESOURCE_BODY,
    summary="Create (If-None-Exist for conditional create)",
)
async def create(request: Request, resource_type: TypeName) -> Response:
    if resource_type.startswith("$"):
        return await run_operation(request, None, None, resource_type)
    require_body_type(request)
    body = await request.body()
    ctx = context_of(request)
    if_none_exist = request.headers.get("if-none-exist")
    result = await run_write(crud.create, storage_of(request), ctx, resource_type, body, if_none_exist)
    return write_response(request, result, "created-ok" if result.status == 201 else "exists-ok")


@router.put(
    "/{resource_type}",
    responses=responses(200, 201, 409, 412),
    openapi_extra=RESOURCE_BODY,
    summary="Conditional update",
)
async def conditional_update(request: Request, resource_type: TypeName) -> Response:
    require_body_type(request)
    body = await request.body()
    ctx = context_of(request)
    result = await run_write(
        crud.conditional_update,
        storage_of(request),
        ctx,
        resource_type,
        _criteria(request),
        body,
        request.headers.get("if-match"),
    )
    return write_response(request, result, "created-ok" if result.status == 201 else "updated-ok")


@router.delete("/{resource_type}", responses=responses(200, 412), summary="Conditional delete")
async def conditional_delete(request: Request, resource_type: TypeName) -> Response:
    ctx = context_of(request)
    result = await run_write(crud.conditional_delete, storage_of(request), ctx, resource_type, _criteria(request))
    return outcome_response(request, result)

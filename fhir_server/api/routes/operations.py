"""$operations at system, type and instance level (POST with Parameters, or GET with query)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from fhir_server.api.deps import context_of, query_pairs, storage_of
from fhir_server.api.execution import run_long
from fhir_server.api.negotiation import require_body_type
from fhir_server.api.responses import outcome_response
from fhir_server.api.routes.common import ResourceId, TypeName, responses
from fhir_server.errors import MethodNotAllowed
from fhir_server.interactions.operations import invoke, parameters_from_body, parameters_from_query
from fhir_server.model.validation import parse_json, require_served_type

router = APIRouter()


async def run_operation(request: Request, type_name: str | None, res_id: str | None, name: str) -> Response:
    """Invoke ``$name``: parameters from a Parameters body (POST) or the query string (GET)."""
    if not name.startswith("$"):
        # The path names a resource or a compartment, which POST does not act on.
        raise MethodNotAllowed("method-not-allowed", method=request.method, path=request.url.path)
    if type_name is not None:
        require_served_type(type_name)
    if request.method == "POST":
        require_body_type(request)
        body = await request.body()
        params = parameters_from_body(parse_json(body)) if body.strip() else {}
    else:
        params = parameters_from_query(query_pairs(request))
    ctx = context_of(request)
    result = await run_long(invoke, storage_of(request), ctx, type_name, res_id, name[1:], params)
    return outcome_response(request, result)


@router.post("/{resource_type}/{res_id}/{operation}", responses=responses(200, 409, 412), summary="Instance operation")
async def instance_operation(request: Request, resource_type: TypeName, res_id: ResourceId, operation: str) -> Response:
    return await run_operation(request, resource_type, res_id, operation)


@router.post("/{resource_type}/{operation}", responses=responses(200, 409, 412), summary="Type operation")
async def type_operation(request: Request, resource_type: TypeName, operation: str) -> Response:
    return await run_operation(request, resource_type, None, operation)

"""System level: metadata, system search and history, and the base endpoint."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from fhir_server.api.deps import context_of, query_pairs, settings_of, storage_of
from fhir_server.api.execution import run_long, run_short
from fhir_server.api.limits import STATE_ENTRIES, STATE_INTERACTION
from fhir_server.api.negotiation import preferences, require_body_type
from fhir_server.api.responses import outcome_response, render_json
from fhir_server.api.routes.common import BUNDLE_BODY, FORM_BODY, responses
from fhir_server.interactions.bundles_process import process_bundle
from fhir_server.interactions.capability import capability_statement
from fhir_server.interactions.history import history
from fhir_server.interactions.search import search

router = APIRouter()


@router.get("/metadata", responses=responses(200), summary="CapabilityStatement")
async def metadata(request: Request) -> Response:
    settings = settings_of(request)
    issuer = settings.issuer if settings.auth_enabled else None
    return render_json(request, capability_statement(settings.base_url, issuer))


@router.get("/_history", responses=responses(200), summary="System history")
async def system_history(request: Request) -> Response:
    ctx = context_of(request)
    result = await run_short(history, storage_of(request), ctx, None, None, query_pairs(request))
    return outcome_response(request, result)


@router.get("", responses=responses(200), summary="System search")
@router.get("/", include_in_schema=False)
async def system_search(request: Request) -> Response:
    ctx = context_of(request)
    result = await run_short(search, storage_of(request), ctx, None, query_pairs(request))
    return outcome_response(request, result)


@router.post("/_search", responses=responses(200), openapi_extra=FORM_BODY, summary="System search (POST)")
async def system_search_post(request: Request) -> Response:
    require_body_type(request, frozenset({"application/x-www-form-urlencoded"}))
    params = query_pairs(request) + parse_qsl((await request.body()).decode(), keep_blank_values=True)
    ctx = context_of(request)
    result = await run_short(search, storage_of(request), ctx, None, params)
    return outcome_response(request, result)


@router.post("", responses=responses(200, 409, 412), openapi_extra=BUNDLE_BODY, summary="Batch or transaction")
@router.post("/", include_in_schema=False)
async def batch_or_transaction(request: Request) -> Response:
    require_body_type(request)
    body = await request.body()
    ctx = context_of(request)
    settings = settings_of(request)
    representation = preferences(request).return_ == "representation" and "prefer" in request.headers
    try:
        result = await run_long(
            process_bundle, storage_of(request), ctx, body, settings.max_bundle_entries, representation
        )
    finally:
        kind, entries = ctx.memo.get("bundle", (None, 0))
        # Read after the response by the access log, the metrics and the rate limiter.
        setattr(request.state, STATE_INTERACTION, kind if kind in ("transaction", "batch") else "bundle")
        setattr(request.state, STATE_ENTRIES, entries)
    return outcome_response(request, result)

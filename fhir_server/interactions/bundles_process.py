"""POST [base] with a transaction or batch Bundle: entries parsed, processed, answered in order.

https://hl7.org/fhir/R4/http.html#transaction
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson

from fhir_server.errors import FhirError, operation_outcome
from fhir_server.interactions import crud, transaction
from fhir_server.interactions.bundle_entries import ORDER, Entry, entry_error, parse_bundle, parse_entry
from fhir_server.interactions.bundles import bundle
from fhir_server.interactions.context import RequestContext, Result
from fhir_server.interactions.history import history
from fhir_server.interactions.patch import patch_in
from fhir_server.interactions.search import search
from fhir_server.interactions.writes import (
    conditional_delete_in,
    conditional_update_in,
    create_in,
    delete_in,
    put_in,
)
from fhir_server.model.instants import fhir_instant, weak_etag
from fhir_server.model.validation import parse_json
from fhir_server.storage.repository import SqlStorage

REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    304: "Not Modified",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    410: "Gone",
    412: "Precondition Failed",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _read(storage: SqlStorage, ctx: RequestContext, entry: Entry) -> Result:
    type_name, res_id = entry.type_name, entry.res_id
    params = parse_qsl(entry.query or "", keep_blank_values=True)
    if type_name is None or type_name == "_search":
        return search(storage, ctx, None, params)
    if type_name == "_history":
        return history(storage, ctx, None, None, params)
    if res_id is None or res_id == "_search":
        return search(storage, ctx, type_name, params)
    if res_id == "_history":
        return history(storage, ctx, type_name, None, params)
    if entry.version == "" or (entry.version is None and entry.url.rstrip("/").endswith("_history")):
        return history(storage, ctx, type_name, res_id, params)
    if entry.version is not None:
        return crud.vread(storage, ctx, type_name, res_id, entry.version)
    return crud.read(storage, ctx, type_name, res_id)


def _response(result: Result, language: str, representation: bool) -> dict[str, Any]:
    response: dict[str, Any] = {"status": f"{result.status} {REASONS.get(result.status, '')}".strip()}
    if result.location:
        response["location"] = result.location
    if result.version is not None:
        response["etag"] = weak_etag(result.version)
    if result.last_modified is not None:
        response["lastModified"] = fhir_instant(result.last_modified)
    if result.info is not None:
        response["outcome"] = operation_outcome([result.info], language)
    entry: dict[str, Any] = {}
    body = result.body
    if representation or isinstance(body, dict):
        if isinstance(body, bytes):
            entry["resource"] = orjson.Fragment(body)
        elif isinstance(body, dict):
            entry["resource"] = body
    entry["response"] = response
    return entry


def _failure(error: FhirError, language: str) -> dict[str, Any]:
    return {
        "response": {
            "status": f"{error.status} {REASONS.get(error.status, '')}".strip(),
            "outcome": error.outcome(language),
        }
    }


def _single(storage: SqlStorage, ctx: RequestContext, entry: Entry) -> Result:
    """One batch entry in its own transaction."""
    type_name = str(entry.type_name)
    if entry.method in ("GET", "HEAD"):
        return _read(storage, ctx, entry)
    if entry.method == "DELETE":
        if entry.criteria is not None:
            criteria = entry.criteria
            return storage.write(lambda w: conditional_delete_in(w, ctx, type_name, criteria))
        return storage.write(lambda w: delete_in(w, ctx, type_name, str(entry.res_id), entry.if_match))
    resource = entry.resource or {}
    if entry.method == "POST":
        return storage.write(lambda w: create_in(w, ctx, resource, entry.criteria))
    if entry.method == "PUT" and entry.criteria is not None:
        criteria = entry.criteria
        return storage.write(lambda w: conditional_update_in(w, ctx, resource, criteria, entry.if_match))
    if entry.method == "PUT":
        return storage.write(lambda w: put_in(w, ctx, resource, str(entry.res_id), entry.if_match))
    return storage.write(lambda w: patch_in(w, ctx, type_name, str(entry.res_id), entry.patch, entry.if_match))


def process_bundle(
    storage: SqlStorage, ctx: RequestContext, body: bytes, max_entries: int, representation: bool
) -> Result:
    """Process a transaction or batch Bundle and answer its response Bundle."""
    parsed = parse_json(body)
    if isinstance(parsed, dict):
        # What the HTTP layer labels and charges the request by, even when the bundle is refused below.
        listed = parsed.get("entry")
        ctx.memo["bundle"] = (parsed.get("type"), len(listed) if isinstance(listed, list) else 0)
    kind, raw_entries = parse_bundle(parsed, max_entries)
    in_transaction = kind == "transaction"
    responses: dict[int, dict[str, Any]] = {}
    entries: list[Entry] = []
    for index, raw in enumerate(raw_entries):
        try:
            entries.append(parse_entry(index, raw, ctx, in_transaction=in_transaction))
        except FhirError as error:
            if in_transaction:
                raise entry_error(index, error) from None
            responses[index] = _failure(error, ctx.language)
    entries.sort(key=lambda e: (ORDER[e.method], e.index))
    if in_transaction:
        writes = [e for e in entries if e.method not in ("GET", "HEAD")]
        for index, result in transaction.process(storage, ctx, writes).items():
            responses[index] = _response(result, ctx.language, representation)
    for entry in entries:
        if entry.index in responses:
            continue
        try:
            result = _single(storage, ctx, entry)
            responses[entry.index] = _response(result, ctx.language, representation or entry.method == "GET")
        except FhirError as error:
            responses[entry.index] = _failure(error, ctx.language)
    ordered = [responses[i] for i in range(len(raw_entries))]
    return Result(200, bundle(f"{kind}-response", ordered))

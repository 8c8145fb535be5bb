"""patch: JSON Patch applied to the current version, validated like an update.

https://hl7.org/fhir/R4/http.html#patch
"""

from __future__ import annotations

from typing import Any

from fhir_server.errors import Invalid, NotFound, Unprocessable
from fhir_server.interactions.access import require
from fhir_server.interactions.context import RequestContext, Result
from fhir_server.interactions.writes import check_if_match, expected_version, gone_error, put_in
from fhir_server.model.json import loads
from fhir_server.model.patch import PatchFailed, PatchInvalid, apply_json_patch, compile_json_patch
from fhir_server.model.references import is_valid_id
from fhir_server.model.validation import parse_json, require_served_type, validate
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.writer import Writer


def compile_patch(document: Any) -> Any:
    """A JSON Patch from a parsed body (400 when it is not one)."""
    try:
        return compile_json_patch(document)
    except PatchInvalid as exc:
        raise Invalid("patch-invalid", code="structure", detail=str(exc)) from None


def patch_in(
    writer: Writer, ctx: RequestContext, type_name: str, res_id: str, operations: Any, expected: int | None
) -> Result:
    """Apply a compiled patch to the current version inside a transaction."""
    current = writer.current(type_name, res_id) if is_valid_id(res_id) else None
    if current is None:
        raise NotFound("not-found", type=type_name, id=res_id)
    check_if_match(expected, current, type_name, res_id)
    if current.deleted or current.content is None:
        raise gone_error(current)
    try:
        patched = apply_json_patch(operations, loads(current.content))
    except PatchInvalid as exc:
        raise Invalid("patch-invalid", code="structure", detail=str(exc)) from None
    except PatchFailed as exc:
        raise Unprocessable("patch-failed", code="processing", detail=str(exc)) from None
    if not isinstance(patched, dict) or patched.get("resourceType") != type_name or patched.get("id") != res_id:
        raise Invalid("patch-changes-identity", code="invalid")
    validate(patched)
    return put_in(writer, ctx, patched, res_id, None, method="PATCH")


def patch(
    storage: SqlStorage, ctx: RequestContext, type_name: str, res_id: str, body: bytes, if_match: str | None = None
) -> Result:
    """Apply a JSON Patch; 422 when it cannot apply, 400 when the result is not valid FHIR."""
    require_served_type(type_name)
    require(ctx, type_name, "patch")
    operations = compile_patch(parse_json(body))
    expected = expected_version(if_match)
    return storage.write(lambda writer: patch_in(writer, ctx, type_name, res_id, operations, expected))

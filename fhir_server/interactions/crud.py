"""read, vread, create, update and delete, with their conditional variants.

https://hl7.org/fhir/R4/http.html
"""

from __future__ import annotations

from typing import Any

from fhir_server.errors import Invalid, NotFound
from fhir_server.interactions.access import require, visible
from fhir_server.interactions.audited import audited
from fhir_server.interactions.context import RequestContext, Result
from fhir_server.interactions.criteria import parse_criteria
from fhir_server.interactions.writes import (
    conditional_delete_in,
    conditional_update_in,
    create_in,
    delete_in,
    expected_version,
    gone_error,
    put_in,
    stored_result,
)
from fhir_server.model.references import is_valid_id
from fhir_server.model.validation import parse_resource, require_served_type, validate
from fhir_server.storage.repository import SqlStorage


# Reads -----------------------------------------------------------------------------------------
def read(storage: SqlStorage, ctx: RequestContext, type_name: str, res_id: str) -> Result:
    """The current version of a resource (404 unknown or not the caller's to see, 410 deleted)."""
    require_served_type(type_name)
    with audited(ctx, "read", type_name, res_id) as seen:
        require(ctx, type_name, "read")
        stored = storage.read(type_name, res_id) if is_valid_id(res_id) else None
        if stored is None or not visible(ctx, storage, stored):
            raise NotFound("not-found", type=type_name, id=res_id)
        if stored.deleted:
            raise gone_error(stored)
        seen.rows = [stored]
    return stored_result(ctx, stored)


def vread(storage: SqlStorage, ctx: RequestContext, type_name: str, res_id: str, version: str) -> Result:
    """One version of a resource (404 unknown or not the caller's to see, 410 when that version is a deletion)."""
    require_served_type(type_name)
    with audited(ctx, "vread", type_name, res_id) as seen:
        require(ctx, type_name, "vread")
        stored = None
        if is_valid_id(res_id) and version.isdigit() and len(version) < 10:
            stored = storage.vread(type_name, res_id, int(version))
        if stored is None or not visible(ctx, storage, stored):
            raise NotFound("version-not-found", type=type_name, id=res_id, version=version)
        if stored.deleted:
            raise gone_error(stored)
        seen.rows, seen.version = [stored], stored.version
    return stored_result(ctx, stored)


# Writes ----------------------------------------------------------------------------------------
def checked_resource(type_name: str, resource: dict[str, Any]) -> dict[str, Any]:
    """The resource if it is of the URL's type and valid R4 (400 otherwise)."""
    if resource.get("resourceType") != type_name:
        raise Invalid(
            "type-mismatch",
            code="invalid",
            expression=["resourceType"],
            body_type=resource.get("resourceType"),
            url_type=type_name,
        )
    validate(resource)
    return resource


def check_update_id(type_name: str, res_id: str, resource: dict[str, Any]) -> None:
    """An update's body carries the URL's id (400 otherwise)."""
    if not is_valid_id(res_id):
        raise Invalid("bad-id", code="value", id=res_id)
    body_id = resource.get("id")
    if body_id is None:
        raise Invalid("id-missing", code="required", expression=[f"{type_name}.id"], url_id=res_id)
    if body_id != res_id:
        raise Invalid("id-mismatch", expression=[f"{type_name}.id"], body_id=body_id, url_id=res_id)


def create(
    storage: SqlStorage, ctx: RequestContext, type_name: str, body: bytes, if_none_exist: str | None = None
) -> Result:
    """Create with a server-assigned id; with If-None-Exist, return the match instead (200)."""
    require_served_type(type_name)
    require(ctx, type_name, "create")
    resource = checked_resource(type_name, parse_resource(body))
    criteria = parse_criteria(ctx, type_name, if_none_exist) if if_none_exist is not None else None
    return storage.write(lambda writer: create_in(writer, ctx, resource, criteria))


def update(
    storage: SqlStorage, ctx: RequestContext, type_name: str, res_id: str, body: bytes, if_match: str | None = None
) -> Result:
    """Update (or create with the client's id); If-Match makes it version-aware (412 when stale)."""
    require_served_type(type_name)
    require(ctx, type_name, "update")
    resource = checked_resource(type_name, parse_resource(body))
    check_update_id(type_name, res_id, resource)
    expected = expected_version(if_match)
    return storage.write(lambda writer: put_in(writer, ctx, resource, res_id, expected))


def conditional_update(
    storage: SqlStorage,
    ctx: RequestContext,
    type_name: str,
    criteria_text: str,
    body: bytes,
    if_match: str | None = None,
) -> Result:
    """PUT Type?criteria: create when nothing matches, update the one match, 412 on several."""
    require_served_type(type_name)
    require(ctx, type_name, "update")
    resource = checked_resource(type_name, parse_resource(body))
    criteria = parse_criteria(ctx, type_name, criteria_text)
    expected = expected_version(if_match)
    return storage.write(lambda writer: conditional_update_in(writer, ctx, resource, criteria, expected))


def delete(
    storage: SqlStorage, ctx: RequestContext, type_name: str, res_id: str, if_match: str | None = None
) -> Result:
    """Delete: a versioned tombstone. Deleting what is absent or already deleted is a no-op (200)."""
    require_served_type(type_name)
    require(ctx, type_name, "delete")
    expected = expected_version(if_match)
    if not is_valid_id(res_id):
        return Result(200)
    return storage.write(lambda writer: delete_in(writer, ctx, type_name, res_id, expected))


def conditional_delete(storage: SqlStorage, ctx: RequestContext, type_name: str, criteria_text: str) -> Result:
    """DELETE Type?criteria: deletes the single match (412 when several match)."""
    require_served_type(type_name)
    require(ctx, type_name, "delete")
    criteria = parse_criteria(ctx, type_name, criteria_text)
    return storage.write(lambda writer: conditional_delete_in(writer, ctx, type_name, criteria))

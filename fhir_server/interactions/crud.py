"""read, vread, create, update and delete, with their conditional variants.

https://hl7.org/fhir/R4/http.html
"""

from __future__ import annotations

import uuid
from typing import Any

from fhir_server.errors import Gone, Invalid, Issue, NotFound, PreconditionFailed
from fhir_server.interactions.context import RequestContext, Result
from fhir_server.interactions.criteria import lock_key, parse_criteria
from fhir_server.model.instants import http_date, parse_etag, weak_etag
from fhir_server.model.json import loads
from fhir_server.model.meta import same_content
from fhir_server.model.references import is_valid_id
from fhir_server.model.validation import parse_resource, require_served_type, validate
from fhir_server.storage.records import Stored
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.writer import Writer


def location(ctx: RequestContext, stored: Stored) -> str:
    """The versioned URL of a stored resource."""
    return f"{ctx.base_url}/{stored.type}/{stored.id}/_history/{stored.version}"


def stored_result(ctx: RequestContext, stored: Stored, status: int = 200, *, with_location: bool = False) -> Result:
    """A Result carrying a stored version and its ETag / Last-Modified (and Location)."""
    return Result(
        status,
        stored.content,
        version=stored.version,
        last_modified=stored.last_updated,
        location=location(ctx, stored) if with_location else None,
    )


def gone_error(stored: Stored) -> Gone:
    return Gone(
        "gone",
        type=stored.type,
        id=stored.id,
        version=stored.version,
        headers={
            "ETag": weak_etag(stored.version),
            "Last-Modified": http_date(stored.last_updated),
        },
    )


def expected_version(if_match: str | None) -> int | None:
    """The version an If-Match header demands (400 when it is not an ETag of ours)."""
    if if_match is None:
        return None
    version = parse_etag(if_match)
    if version is None or not version.isdigit():
        raise Invalid("bad-header", code="value", header="If-Match", value=if_match)
    return int(version)


def check_if_match(expected: int | None, current: Stored | None, type_name: str, res_id: str) -> None:
    """412 unless the current version is the one If-Match names (checked under the row lock)."""
    if expected is None:
        return
    if current is None or (current.deleted and expected != current.version):
        raise PreconditionFailed("if-match-on-missing", type=type_name, id=res_id)
    if current.version != expected:
        raise PreconditionFailed("version-conflict", expected=expected, current=current.version)


# Reads -----------------------------------------------------------------------------------------
def read(storage: SqlStorage, ctx: RequestContext, type_name: str, res_id: str) -> Result:
    """The current version of a resource (404 unknown, 410 deleted)."""
    require_served_type(type_name)
    stored = storage.read(type_name, res_id) if is_valid_id(res_id) else None
    if stored is None:
        raise NotFound("not-found", type=type_name, id=res_id)
    if stored.deleted:
        raise gone_error(stored)
    return stored_result(ctx, stored)


def vread(storage: SqlStorage, ctx: RequestContext, type_name: str, res_id: str, version: str) -> Result:
    """One version of a resource (404 unknown, 410 when that version is a deletion)."""
    require_served_type(type_name)
    stored = None
    if is_valid_id(res_id) and version.isdigit() and len(version) < 10:
        stored = storage.vread(type_name, res_id, int(version))
    if stored is None:
        raise NotFound("version-not-found", type=type_name, id=res_id, version=version)
    if stored.deleted:
        raise gone_error(stored)
    return stored_result(ctx, stored)


# Writes ----------------------------------------------------------------------------------------
def _body_resource(type_name: str, body: bytes) -> dict[str, Any]:
    resource = parse_resource(body)
    if resource["resourceType"] != type_name:
        raise Invalid(
            "type-mismatch",
            code="invalid",
            expression=["resourceType"],
            body_type=resource["resourceType"],
            url_type=type_name,
        )
    validate(resource)
    return resource


def create(
    storage: SqlStorage,
    ctx: RequestContext,
    type_name: str,
    body: bytes,
    if_none_exist: str | None = None,
) -> Result:
    """Create with a server-assigned id; with If-None-Exist, return the match instead (200)."""
    require_served_type(type_name)
    resource = _body_resource(type_name, body)
    criteria = parse_criteria(ctx, type_name, if_none_exist) if if_none_exist is not None else None

    def work(writer: Writer) -> Result:
        if criteria is not None:
            writer.lock(lock_key(type_name, criteria))
            matches = writer.search(criteria).rows
            if len(matches) > 1:
                raise PreconditionFailed(
                    "multiple-matches", code="multiple-matches", count=len(matches), type=type_name
                )
            if matches:
                return stored_result(ctx, matches[0], 200, with_location=True)
        saved = writer.save(resource, str(uuid.uuid4()), "POST", None)
        return stored_result(ctx, saved, 201, with_location=True)

    return storage.write(work)


def _put(writer: Writer, ctx: RequestContext, resource: dict[str, Any], res_id: str, expected: int | None) -> Result:
    type_name = resource["resourceType"]
    current = writer.current(type_name, res_id)
    check_if_match(expected, current, type_name, res_id)
    live = current is not None and not current.deleted and current.content is not None
    if live and current is not None and same_content(loads(current.content or b"{}"), resource):
        return stored_result(ctx, current, 200, with_location=True)
    saved = writer.save(resource, res_id, "PUT", current)
    created = current is None or current.deleted
    return stored_result(ctx, saved, 201 if created else 200, with_location=True)


def update(
    storage: SqlStorage,
    ctx: RequestContext,
    type_name: str,
    res_id: str,
    body: bytes,
    if_match: str | None = None,
) -> Result:
    """Update (or create with the client's id); If-Match makes it version-aware (412 when stale)."""
    require_served_type(type_name)
    if not is_valid_id(res_id):
        raise Invalid("bad-id", code="value", id=res_id)
    resource = _body_resource(type_name, body)
    body_id = resource.get("id")
    if body_id is None:
        raise Invalid("id-missing", code="required", expression=[f"{type_name}.id"], url_id=res_id)
    if body_id != res_id:
        raise Invalid("id-mismatch", expression=[f"{type_name}.id"], body_id=body_id, url_id=res_id)
    expected = expected_version(if_match)
    return storage.write(lambda writer: _put(writer, ctx, resource, res_id, expected))


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
    resource = _body_resource(type_name, body)
    criteria = parse_criteria(ctx, type_name, criteria_text)
    expected = expected_version(if_match)
    body_id = resource.get("id")

    def work(writer: Writer) -> Result:
        writer.lock(lock_key(type_name, criteria))
        matches = writer.search(criteria).rows
        if len(matches) > 1:
            raise PreconditionFailed("multiple-matches", code="multiple-matches", count=len(matches), type=type_name)
        if matches:
            match_id = matches[0].id
            if body_id is not None and body_id != match_id:
                raise Invalid(
                    "conditional-id-mismatch",
                    expression=[f"{type_name}.id"],
                    body_id=body_id,
                    match_id=match_id,
                )
            return _put(writer, ctx, resource, match_id, expected)
        new_id = body_id if isinstance(body_id, str) else str(uuid.uuid4())
        return _put(writer, ctx, resource, new_id, expected)

    return storage.write(work)


def _delete_one(writer: Writer, current: Stored) -> Result:
    names = {"type": current.type, "id": current.id}
    if current.deleted:
        return Result(
            200,
            version=current.version,
            info=Issue("informational", "delete-nothing", names, "information"),
        )
    tombstone = writer.delete(current)
    return Result(
        200,
        version=tombstone.version,
        info=Issue("informational", "deleted-ok", names, "information"),
    )


def delete(
    storage: SqlStorage,
    ctx: RequestContext,  # noqa: ARG001 - every interaction takes the request context
    type_name: str,
    res_id: str,
    if_match: str | None = None,
) -> Result:
    """Delete: a versioned tombstone. Deleting what is absent or already deleted is a no-op (200)."""
    require_served_type(type_name)
    expected = expected_version(if_match)

    def work(writer: Writer) -> Result:
        current = writer.current(type_name, res_id) if is_valid_id(res_id) else None
        check_if_match(expected, current, type_name, res_id)
        if current is None:
            names = {"type": type_name, "id": res_id}
            return Result(200, info=Issue("informational", "delete-nothing", names, "information"))
        return _delete_one(writer, current)

    return storage.write(work)


def conditional_delete(storage: SqlStorage, ctx: RequestContext, type_name: str, criteria_text: str) -> Result:
    """DELETE Type?criteria: deletes the single match (412 when several match)."""
    require_served_type(type_name)
    criteria = parse_criteria(ctx, type_name, criteria_text)

    def work(writer: Writer) -> Result:
        writer.lock(lock_key(type_name, criteria))
        matches = writer.search(criteria).rows
        if len(matches) > 1:
            raise PreconditionFailed("multiple-matches", code="multiple-matches", count=len(matches), type=type_name)
        if not matches:
            names = {"type": type_name}
            return Result(200, info=Issue("informational", "conditional-delete-none", names, "information"))
        return _delete_one(writer, writer.current(type_name, matches[0].id) or matches[0])

    return storage.write(work)

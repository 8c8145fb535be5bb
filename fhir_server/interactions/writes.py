"""Writes inside an open transaction (a Writer): shared by single interactions and bundles.

Each function takes resources already parsed and validated, and answers a Result; errors are
FhirErrors that roll the transaction back.
"""

from __future__ import annotations

from typing import Any

from fhir_server.errors import Gone, Invalid, Issue, PreconditionFailed
from fhir_server.interactions.access import visible
from fhir_server.interactions.context import RequestContext, Result
from fhir_server.interactions.criteria import lock_key
from fhir_server.interactions.rules import after_save, before_delete, before_save
from fhir_server.model import ids
from fhir_server.model.instants import http_date, parse_etag, weak_etag
from fhir_server.model.json import loads
from fhir_server.model.meta import same_content
from fhir_server.search.query import SearchQuery
from fhir_server.storage.records import Stored
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
    """The 410 for a deleted resource, with the tombstone's ETag."""
    return Gone(
        "gone",
        type=stored.type,
        id=stored.id,
        version=stored.version,
        headers={"ETag": weak_etag(stored.version), "Last-Modified": http_date(stored.last_updated)},
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


def single_match(writer: Writer, ctx: RequestContext, type_name: str, criteria: SearchQuery) -> Stored | None:
    """The one resource matching conditional criteria that the caller may see (None when none; 412 when several)."""
    writer.lock(lock_key(type_name, criteria))
    matches = [row for row in writer.search(criteria).rows if visible(ctx, writer, row, "s")]
    if len(matches) > 1:
        raise PreconditionFailed("multiple-matches", code="multiple-matches", count=len(matches), type=type_name)
    return matches[0] if matches else None


def _save(
    writer: Writer, ctx: RequestContext, resource: dict[str, Any], res_id: str, method: str, current: Stored | None
) -> Stored:
    saved = writer.save(before_save(writer, ctx, resource, res_id, current), res_id, method, current)
    after_save(writer, ctx, saved, current)
    return saved


def create_in(
    writer: Writer,
    ctx: RequestContext,
    resource: dict[str, Any],
    criteria: SearchQuery | None = None,
    new_id: str | None = None,
) -> Result:
    """Create with a server id (or ``new_id``); with criteria, return the existing match (200)."""
    if criteria is not None:
        match = single_match(writer, ctx, resource["resourceType"], criteria)
        if match is not None:
            return stored_result(ctx, match, 200, with_location=True)
    saved = _save(writer, ctx, resource, new_id or ids.new_id(), "POST", None)
    return stored_result(ctx, saved, 201, with_location=True)


def put_in(
    writer: Writer,
    ctx: RequestContext,
    resource: dict[str, Any],
    res_id: str,
    expected: int | None,
    method: str = "PUT",
) -> Result:
    """Update, or create with the client's id; a version equal to the current one writes nothing."""
    type_name = resource["resourceType"]
    current = writer.current(type_name, res_id)
    check_if_match(expected, current, type_name, res_id)
    live = current is not None and not current.deleted and current.content is not None
    if live and current is not None and same_content(loads(current.content or b"{}"), resource):
        return stored_result(ctx, current, 200, with_location=True)
    saved = _save(writer, ctx, resource, res_id, method, current)
    created = current is None or current.deleted
    return stored_result(ctx, saved, 201 if created else 200, with_location=True)


def conditional_update_in(
    writer: Writer, ctx: RequestContext, resource: dict[str, Any], criteria: SearchQuery, expected: int | None
) -> Result:
    """PUT Type?criteria: create when nothing matches, update the one match, 412 on several."""
    type_name = resource["resourceType"]
    body_id = resource.get("id")
    match = single_match(writer, ctx, type_name, criteria)
    if match is not None:
        if body_id is not None and body_id != match.id:
            raise Invalid("conditional-id-mismatch", expression=[f"{type_name}.id"], body_id=body_id, match_id=match.id)
        return put_in(writer, ctx, resource, match.id, expected)
    return put_in(writer, ctx, resource, body_id if isinstance(body_id, str) else ids.new_id(), expected)


def _delete_one(writer: Writer, ctx: RequestContext, current: Stored) -> Result:
    names = {"type": current.type, "id": current.id}
    if current.deleted:
        info = Issue("informational", "delete-nothing", names, "information")
        return Result(200, version=current.version, info=info)
    before_delete(writer, ctx, current)
    tombstone = writer.delete(current)
    after_save(writer, ctx, tombstone, current)
    info = Issue("informational", "deleted-ok", names, "information")
    return Result(200, version=tombstone.version, last_modified=tombstone.last_updated, info=info)


def delete_in(writer: Writer, ctx: RequestContext, type_name: str, res_id: str, expected: int | None) -> Result:
    """Delete: a versioned tombstone; deleting what is absent or already deleted changes nothing."""
    current = writer.current(type_name, res_id)
    check_if_match(expected, current, type_name, res_id)
    if current is None:
        return Result(
            200, info=Issue("informational", "delete-nothing", {"type": type_name, "id": res_id}, "information")
        )
    return _delete_one(writer, ctx, current)


def conditional_delete_in(writer: Writer, ctx: RequestContext, type_name: str, criteria: SearchQuery) -> Result:
    """DELETE Type?criteria: deletes the single match (412 when several match)."""
    match = single_match(writer, ctx, type_name, criteria)
    if match is None:
        return Result(200, info=Issue("informational", "conditional-delete-none", {"type": type_name}, "information"))
    return _delete_one(writer, ctx, writer.current(type_name, match.id) or match)

"""The rules every write passes inside its transaction, in order.

Before saving: conformance resources the server owns stay read-only, national identifiers stay
unique, the resource conforms to the clinic profiles it claims (or must claim), and appointments
fit their slots; only the server writes AuditEvent and Provenance. After saving: slots follow their
appointments, and the write gets its Provenance and AuditEvent. Single interactions and bundle
entries both come through here.
"""

from __future__ import annotations

from typing import Any

from fhir_server.errors import NotFound
from fhir_server.interactions import scheduling
from fhir_server.interactions.access import admits, require, require_row
from fhir_server.interactions.auditing import audit_write, guard_audit
from fhir_server.interactions.built_ins import guard_built_in
from fhir_server.interactions.conformance import conform
from fhir_server.interactions.context import RequestContext
from fhir_server.interactions.identity import check_unique_identifiers
from fhir_server.model.json import loads
from fhir_server.storage.records import Stored
from fhir_server.storage.writer import Writer


def before_save(
    writer: Writer, ctx: RequestContext, resource: dict[str, Any], res_id: str, current: Stored | None = None
) -> dict[str, Any]:
    """The resource to store, once every rule accepted it (raises the first rule's error otherwise)."""
    guard_built_in(ctx, resource["resourceType"], resource, res_id)
    guard_audit(ctx, resource["resourceType"])
    check_access(writer, ctx, resource, res_id, current)
    check_unique_identifiers(writer, resource, res_id)
    resource = scheduling.check_transition(ctx, resource, current)
    resource = conform(writer, ctx, resource)
    return scheduling.before_save(writer, resource, res_id)


def check_access(
    writer: Writer, ctx: RequestContext, resource: dict[str, Any], res_id: str, current: Stored | None
) -> None:
    """The caller may write this: 404 when the version it replaces is not theirs to see, 403 for the new one."""
    if ctx.principal.scopes is None:
        return
    live = current is not None and not current.deleted and current.content is not None
    if live and current is not None and not admits(ctx, writer, loads(current.content or b"{}"), "u"):
        raise NotFound("not-found", type=resource["resourceType"], id=res_id)
    require_row(ctx, writer, resource, "u" if live else "c")


def before_delete(writer: Writer, ctx: RequestContext, current: Stored) -> None:
    """Refuse deletions the server does not allow (its own conformance resources, others' rows)."""
    guard_built_in(ctx, current.type, None, current.id)
    guard_audit(ctx, current.type)
    if ctx.principal.scopes is not None and current.content is not None:
        require(ctx, current.type, "delete")
        if not admits(ctx, writer, loads(current.content), "d"):
            raise NotFound("not-found", type=current.type, id=current.id)


def after_save(writer: Writer, ctx: RequestContext, saved: Stored, previous: Stored | None) -> None:
    """Consequences of a write inside the same transaction."""
    scheduling.after_save(writer, ctx, saved, previous)
    audit_write(writer, ctx, saved, previous)  # Provenance + AuditEvent, committed with the write

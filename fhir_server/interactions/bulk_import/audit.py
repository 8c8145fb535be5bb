"""The audit trail of an import: a Provenance per committed batch, an AuditEvent per run.

The server writes both directly (as ``auditing`` does), never through the write rules. A batch's
Provenance goes in with the batch, so a rolled-back batch leaves none.
"""

from __future__ import annotations

from typing import Any

from fhir_server.audit.events import Access, Actor, rest_events
from fhir_server.audit.provenance import provenance
from fhir_server.interactions.auditing import actor_of
from fhir_server.interactions.context import RequestContext
from fhir_server.model.ids import new_id
from fhir_server.model.instants import now_us
from fhir_server.storage.records import Stored
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.writer import Writer

OPERATION = "import"


def batch_provenances(ctx: RequestContext, saved: list[Stored], per_resource: bool = False) -> list[dict[str, Any]]:
    """One Provenance naming every version written (or one per version when ``per_resource``)."""
    if not saved:
        return []
    actor = actor_of(ctx)
    recorded = now_us()
    targets = [f"{s.type}/{s.id}/_history/{s.version}" for s in saved]
    if per_resource:
        return [
            provenance(actor, ctx.base_url, [target], recorded, "create" if s.version == 1 else "update")
            for s, target in zip(saved, targets, strict=True)
        ]
    interaction = "create" if all(s.version == 1 for s in saved) else "update"
    return [provenance(actor, ctx.base_url, targets, recorded, interaction)]


def write_provenances(writer: Writer, ctx: RequestContext, saved: list[Stored], per_resource: bool = False) -> None:
    """Store the batch's Provenance in the batch's transaction (indexed at once: searchable by target)."""
    items = [(p, new_id(), "POST") for p in batch_provenances(ctx, saved, per_resource)]
    writer.create_many(items)


def record_run(storage: SqlStorage, ctx: RequestContext, detail: str, failed: bool) -> None:
    """The run's AuditEvent: who imported, when, with what outcome (counts in outcomeDesc)."""
    actor: Actor = actor_of(ctx)
    access = Access(
        "operation",
        422 if failed else 200,
        now_us(),
        actor,
        ctx.base_url,
        ctx.request_id,
        operation=OPERATION,
        detail=detail[:1000],
    )
    events = [(event, new_id(), "POST") for event in rest_events(access)]
    storage.write(lambda writer: writer.create_many(events))

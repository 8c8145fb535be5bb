"""Every read-side interaction leaves an AuditEvent: who, what, which patients, and how it ended.

``with audited(ctx, "read", type_name, res_id) as seen: seen.rows = [...]`` queues the event when the
block ends, with outcome 200 or the status of the FhirError that left it (the error still propagates).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlencode

from fhir_server.errors import FhirError
from fhir_server.interactions.audit_trail import trail_for
from fhir_server.interactions.auditing import patients_of_stored, record_access
from fhir_server.interactions.context import RequestContext
from fhir_server.storage.records import Stored


@dataclass
class Seen:
    """What the answer carried: the stored versions whose patients the event names."""

    rows: Sequence[Stored] = field(default_factory=list)
    version: int | None = None


@contextmanager
def audited(
    ctx: RequestContext,
    interaction: str,
    type_name: str | None,
    res_id: str | None = None,
    params: list[tuple[str, str]] | None = None,
    operation: str | None = None,
) -> Iterator[Seen]:
    """Queue the AuditEvent of the interaction run inside the block (never for the server's own work)."""
    seen = Seen()
    if ctx.principal.kind == "system" or trail_for(ctx.base_url) is None:
        yield seen  # nothing is audited: no need to find the patients of what the answer carried
        return
    query = urlencode(params) if params else None
    try:
        yield seen
    except FhirError as error:
        record_access(ctx, interaction, type_name, res_id, (), error.status, query=query,
                      operation=operation, detail=error.issues[0].message if error.issues else None)  # fmt: skip
        raise
    patients = patients_of_stored(seen.rows)
    record_access(ctx, interaction, type_name, res_id, patients, 200, query=query, version=seen.version,
                  operation=operation)  # fmt: skip

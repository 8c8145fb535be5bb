"""The audit trail: Provenance and AuditEvent in a write's own transaction, queued AuditEvents for the rest.

Writes (create/update/patch/delete, single or in bundles) pass ``rules.after_save``, which calls
``audit_write``: one Provenance and the write's AuditEvent(s) go in with one ``create_many`` on the
open Writer, so a rolled-back write leaves neither and a committed one always has both.

Reads, searches, history, operations and logins must not wait for the database: ``record_access``
and ``record_authentication`` only append to the bounded in-memory queue of the application's
``AuditTrail`` (``audit_trail``), whose thread writes it in batches.

AuditEvent and Provenance are read-only through the API (``guard_audit``); the server writes them
with the storage directly, never through the write rules, so auditing never audits itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from fhir_server.audit.events import Access, Actor, rest_events
from fhir_server.audit.login import Authentication
from fhir_server.audit.provenance import provenance
from fhir_server.errors import MethodNotAllowed
from fhir_server.interactions.audit_trail import defer_records, trail_for
from fhir_server.interactions.context import RequestContext
from fhir_server.model.instants import now_us
from fhir_server.model.json import loads
from fhir_server.search.patient_refs import in_patient_compartment, patients_of
from fhir_server.storage.records import Stored
from fhir_server.storage.writer import Writer

AUDIT_TYPES = frozenset({"AuditEvent", "Provenance"})


def guard_audit(ctx: RequestContext, type_name: str) -> None:
    """405 when anyone but the server tries to create, change or delete an AuditEvent or a Provenance."""
    if type_name in AUDIT_TYPES and ctx.principal.kind != "system":
        raise MethodNotAllowed("audit-read-only", type=type_name)


def actor_of(ctx: RequestContext) -> Actor:
    """The caller of a request as the audit builders see it."""
    principal = ctx.principal
    return Actor(
        kind=principal.kind,
        user=principal.subject,
        account=principal.account_id,
        role=principal.role,
        client_id=principal.client_id,
        break_glass=principal.break_glass,
    )


def patients_of_stored(rows: Iterable[Stored]) -> tuple[str, ...]:
    """Ids of the patients whose records these stored versions belong to (a tombstone has none), in order."""
    found: dict[str, None] = {}
    for row in rows:
        if row.type == "Patient":
            found[row.id] = None
        elif row.content is not None and in_patient_compartment(row.type):
            small = len(row.content) <= _REMEMBERED_SIZE
            found.update(dict.fromkeys((_remembered_patients_in if small else _patients_in)(row.content)))
    return tuple(found)


# Small contents are remembered by their bytes: equal contents name the same patients, and the same
# versions come back page after page (a patient's latest vital signs). Parsing them only for the
# audit was 2 % of the workers' time under the soak. Bounded: 2,048 contents of at most 16 KB.
_REMEMBERED_SIZE = 16 * 1024


def _patients_in(content: bytes) -> tuple[str, ...]:
    return tuple(sorted(patients_of(loads(content))))


_remembered_patients_in = lru_cache(maxsize=2048)(_patients_in)


def record_access(
    ctx: RequestContext,
    interaction: str,
    type_name: str | None,
    res_id: str | None,
    patients: Iterable[str],
    outcome: int,
    *,
    query: str | None = None,
    version: int | None = None,
    operation: str | None = None,
    detail: str | None = None,
) -> None:
    """Queue the AuditEvent(s) of a read-side interaction; no database work happens in the request.

    - ``interaction``: a http://hl7.org/fhir/restful-interaction code: ``read``, ``vread``, ``search-type``,
      ``search-system``, ``search-compartment``, ``history-instance|type|system``, ``operation``, ``batch``,
      ``transaction``; write codes (``create``...) for writes that failed before their transaction committed.
    - ``type_name``/``res_id``/``version``: the resource addressed (None when the request names none).
    - ``patients``: ids of the patients whose data the answer carried (``patients_of_stored(rows)``); one
      AuditEvent is written per patient, or one without a patient when empty.
    - ``outcome``: the HTTP status answered (200, 404, 403...), recorded as AuditEvent.outcome 0/4/8/12.
    - ``query``: the raw query string as received (searches, history, operations): kept base64-encoded.
    - ``operation``: the operation's name (``everything`` or ``$everything``) when interaction is ``operation``.
    - ``detail``: a short reason for a failure (e.g. the OperationOutcome's message id), as outcomeDesc.
    """
    trail = trail_for(ctx.base_url)
    if trail is None:
        return
    trail.enqueue(
        Access(
            interaction,
            outcome,
            now_us(),
            actor_of(ctx),
            ctx.base_url,
            ctx.request_id,
            type_name,
            res_id,
            version,
            tuple(patients),
            query,
            operation,
            detail,
        )
    )


def record_authentication(
    base_url: str,
    action: str,
    success: bool,
    *,
    username: str | None = None,
    account_id: str | None = None,
    fhir_user: str | None = None,
    role: str | None = None,
    client_id: str | None = None,
    address: str | None = None,
    grant_type: str | None = None,
    error: str | None = None,
) -> None:
    """Queue the AuditEvent of a login (``login``), a token request (``token``) or a revocation (``logout``)."""
    trail = trail_for(base_url)
    if trail is None:
        return
    person = username is not None or account_id is not None or fhir_user is not None
    actor = Actor(
        kind="user" if person else "client",
        user=fhir_user,
        account=account_id,
        name=username,
        role=role,
        client_id=client_id,
        address=address,
    )
    trail.enqueue(Authentication(action, success, now_us(), actor, base_url, grant_type, error))


def _write_interaction(saved: Stored, previous: Stored | None) -> str:
    if saved.deleted:
        return "delete"
    if previous is None or previous.deleted or saved.method == "POST":
        return "create"
    return "patch" if saved.method == "PATCH" else "update"


def audit_write(writer: Writer, ctx: RequestContext, saved: Stored, previous: Stored | None) -> None:
    """Provenance and AuditEvent(s) of one committed-with-it write, inserted on the write's own transaction."""
    if not ctx.audit_writes or saved.type in AUDIT_TYPES or trail_for(ctx.base_url) is None:
        return
    interaction = _write_interaction(saved, previous)
    version_of_record = previous if saved.deleted and previous is not None else saved
    patients = patients_of_stored([version_of_record])
    actor = actor_of(ctx)
    target = f"{saved.type}/{saved.id}/_history/{saved.version}"
    access = Access(
        interaction,
        201 if interaction == "create" else 200,
        saved.last_updated,
        actor,
        ctx.base_url,
        ctx.request_id,
        saved.type,
        saved.id,
        saved.version,
        patients,
    )
    record = provenance(actor, ctx.base_url, [target], saved.last_updated, interaction)
    defer_records([record, *rest_events(access)], writer)

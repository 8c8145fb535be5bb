"""The audit trail: Provenance and AuditEvent in a write's own transaction, queued AuditEvents for the rest.

Writes (create/update/patch/delete, single or in bundles) pass ``rules.after_save``, which calls
``audit_write``: one Provenance and the write's AuditEvent(s) go in with one ``create_many`` on the
open Writer, so a rolled-back write leaves neither and a committed one always has both.

Reads, searches, history, operations and logins must not wait for the database: ``record_access``
and ``record_authentication`` only append to a bounded in-memory queue; the application's
``AuditTrail`` thread writes the queue in batches (one transaction per batch) every
``audit_flush_interval_ms`` or as soon as ``audit_batch_size`` events wait, and once more on
shutdown. When the queue is full the oldest events are dropped (and counted, and logged) rather than
slowing requests.

AuditEvent and Provenance are read-only through the API (``guard_audit``); the server writes them
with the storage directly, never through the write rules, so auditing never audits itself.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import deque
from collections.abc import Iterable
from functools import partial
from typing import Any

from fhir_server.audit.events import Access, Actor, rest_events
from fhir_server.audit.login import Authentication, authentication_event
from fhir_server.audit.provenance import provenance
from fhir_server.errors import MethodNotAllowed
from fhir_server.interactions.context import RequestContext
from fhir_server.model.instants import now_us
from fhir_server.model.json import loads
from fhir_server.search.patient_refs import in_patient_compartment, patients_of
from fhir_server.settings import Settings
from fhir_server.storage.records import Stored
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.writer import Writer

log = logging.getLogger("fhir_server.audit")
AUDIT_TYPES = frozenset({"AuditEvent", "Provenance"})
Queued = Access | Authentication


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
            found.update(dict.fromkeys(sorted(patients_of(loads(row.content)))))
    return tuple(found)


class AuditTrail:
    """One application's queue of AuditEvents and the thread that writes it."""

    def __init__(
        self,
        storage: SqlStorage,
        server: str,
        *,
        flush_interval_s: float = 0.2,
        batch_size: int = 500,
        max_queued: int = 50_000,
    ) -> None:
        self.storage = storage
        self.server = server
        self.flush_interval_s = flush_interval_s
        self.batch_size = batch_size
        self.max_queued = max_queued
        self.dropped = 0  # events lost to a full queue since start (never reset: an operator's counter)
        self._unreported = 0
        self._queue: deque[Queued] = deque()
        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one writer at a time: the thread, a test, shutdown
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_settings(cls, storage: SqlStorage, settings: Settings) -> AuditTrail:
        return cls(
            storage,
            settings.base_url,
            flush_interval_s=settings.audit_flush_interval_ms / 1000,
            batch_size=settings.audit_batch_size,
            max_queued=settings.audit_queue_size,
        )

    # The request side: never blocks on the database.
    def enqueue(self, item: Queued) -> None:
        """Queue one event; when the queue is full the oldest waiting event is dropped."""
        with self._lock:
            if len(self._queue) >= self.max_queued:
                self._queue.popleft()
                self.dropped += 1
                self._unreported += 1
            self._queue.append(item)
            due = len(self._queue) >= self.batch_size
        if due:
            self._wake.set()

    @property
    def pending(self) -> int:
        """Events waiting to be written."""
        return len(self._queue)

    # The writing side.
    def flush(self, drain_limit: int | None = None, *, whole: bool = True) -> int:
        """Index what waits in the outbox, then store what is queued; returns how many were indexed.

        Records committed with writes wait in the outbox and are indexed first (they are older than
        anything queued now). A queued batch is then stored as indexed AuditEvents at once while the
        queue keeps up; in a burst (more than a batch still waiting behind it) batches go raw to the
        outbox instead (one cheap INSERT each), so none is lost when indexing falls behind. Indexing
        proceeds ``batch_size`` per transaction, at most ``drain_limit`` outbox records per call
        (everything when None). A batch that cannot be stored goes back to the head of the queue.

        ``whole=False`` (the thread's ticks) stops once less than a batch waits: the rest joins the next
        tick's batch. Under steady traffic a batch then holds a tick's events, not the few that came in
        while the previous small transaction ran (each transaction costs five COPYs and a commit).
        """
        with self._flushing:
            self._report_drops()
            drained = self._drain(drain_limit)
            created = 0
            while batch := self._take():
                resources = [built for item in batch for built in _build(item)]
                at_once = self.pending <= self.batch_size
                try:
                    self.storage.write(partial(_create if at_once else _defer, resources))
                except Exception:
                    log.exception("could not store %d audit events; they stay queued", len(resources))
                    self._requeue(batch)
                    break
                created += len(resources) if at_once else 0
                if not whole and self.pending < self.batch_size:
                    break
            # Then what a burst sent to the outbox, within what is left of the limit.
            remaining = None if drain_limit is None else drain_limit - drained
            if remaining is None or remaining > 0:
                drained += self._drain(remaining)
            return drained + created

    def _drain(self, limit: int | None) -> int:
        """Index records committed with writes or stored by earlier flushes (in any worker)."""
        drained = 0
        try:
            while limit is None or drained < limit:
                count = self.storage.drain_deferred(self.batch_size)
                if not count:
                    break
                drained += count
        except Exception:
            log.exception("could not index stored audit records; they stay in the outbox")
        return drained

    def _take(self) -> list[Queued]:
        with self._lock:
            return [self._queue.popleft() for _ in range(min(self.batch_size, len(self._queue)))]

    def _requeue(self, batch: list[Queued]) -> None:
        with self._lock:
            for item in reversed(batch):
                if len(self._queue) >= self.max_queued:
                    self.dropped += 1
                    self._unreported += 1
                    continue
                self._queue.appendleft(item)

    def _report_drops(self) -> None:
        with self._lock:
            count, self._unreported = self._unreported, 0
        if count:
            log.warning("audit queue full (%d events): dropped the %d oldest", self.max_queued, count)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_interval_s)
            self._wake.clear()
            try:
                # Bounded, so a backlog is worked off between requests instead of starving them.
                self.flush(drain_limit=self.batch_size * 2, whole=False)
            except Exception:  # the thread must outlive any one bad batch
                log.exception("audit flush failed")

    def start(self) -> None:
        """Register this trail for its base URL and start the writing thread."""
        _register(self)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="audit-flusher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread, write what is still queued, and unregister."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        try:
            self.flush()
        finally:
            _unregister(self)


def _create(resources: list[dict[str, Any]], writer: Writer) -> None:
    # Indexed at once: half the work of the outbox round trip (store raw, read back, index, delete).
    writer.create_many([(resource, str(uuid.uuid4()), "POST") for resource in resources])


def _defer(resources: list[dict[str, Any]], writer: Writer) -> None:
    # Committed with the write, indexed by the trail's drain: the write pays one small INSERT.
    for resource in resources:
        writer.defer(resource, str(uuid.uuid4()))


def _build(item: Queued) -> list[dict[str, Any]]:
    if isinstance(item, Authentication):
        return [authentication_event(item)]
    return rest_events(item)


# Trails by base URL: interactions receive a RequestContext, not the application. A list per URL so
# two applications on one base (tests) each keep their own while both run.
_TRAILS: dict[str, list[AuditTrail]] = {}
_TRAILS_LOCK = threading.Lock()


def _register(trail: AuditTrail) -> None:
    with _TRAILS_LOCK:
        _TRAILS.setdefault(trail.server, []).append(trail)


def _unregister(trail: AuditTrail) -> None:
    with _TRAILS_LOCK:
        running = _TRAILS.get(trail.server, [])
        if trail in running:
            running.remove(trail)
        if not running:
            _TRAILS.pop(trail.server, None)


def trail_for(base_url: str) -> AuditTrail | None:
    """The running trail of the application serving ``base_url`` (None: auditing is off or not started)."""
    running = _TRAILS.get(base_url)
    return running[-1] if running else None


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
    _defer([provenance(actor, ctx.base_url, [target], saved.last_updated, interaction), *rest_events(access)], writer)

"""The audit trail's queue and writing thread: queued AuditEvents stored in batches, the outbox indexed.

``record_access`` and ``record_authentication`` (``auditing``) append to the queue of the running trail
of their base URL; the trail's thread writes the queue in batches (one transaction per batch) every
``audit_flush_interval_ms`` or as soon as ``audit_batch_size`` events wait, and once more on shutdown.
When the queue is full the oldest events are dropped (and counted, and logged) rather than slowing
requests. Records committed with writes wait raw in the outbox (``deferred_record``); the trail
indexes them.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from functools import partial
from typing import Any

from fhir_server.audit.events import Access, rest_events
from fhir_server.audit.login import Authentication, authentication_event
from fhir_server.model.ids import new_id
from fhir_server.settings import Settings
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.writer import Writer

log = logging.getLogger("fhir_server.audit")
Queued = Access | Authentication


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

        ``whole=False`` (the thread's ticks, ``_tick``) stops once less than a batch waits: the rest joins
        the next tick's batch. Under steady traffic a batch then holds a tick's events, not the few that
        came in while the previous small transaction ran (each transaction costs five COPYs and a commit).
        """
        with self._flushing:
            self._report_drops()
            if not whole:
                return self._tick(self.batch_size if drain_limit is None else drain_limit)
            drained = self._drain(drain_limit)
            created = 0
            while batch := self._take():
                resources = [built for item in batch for built in _build(item)]
                at_once = self.pending <= self.batch_size
                try:
                    self.storage.write(partial(_store_batch, resources, at_once, 0))
                except Exception:
                    log.exception("could not store %d audit events; they stay queued", len(resources))
                    self._requeue(batch)
                    break
                created += len(resources) if at_once else 0
            # Then what a burst sent to the outbox, within what is left of the limit.
            remaining = None if drain_limit is None else drain_limit - drained
            if remaining is None or remaining > 0:
                drained += self._drain(remaining)
            return drained + created

    def _tick(self, outbox_limit: int) -> int:
        """The thread's flush: one transaction per batch, stopping once less than a batch waits.

        A transaction that stores a batch at once also indexes waiting outbox records (up to a batch)
        in the same statements: the outbox gets a few records per tick, and a transaction of their own
        cost as much as a batch of hundreds.
        """
        done = 0
        while True:
            batch = self._take()
            resources = [built for item in batch for built in _build(item)]
            at_once = self.pending <= self.batch_size
            room = min(outbox_limit, self.batch_size) if at_once else 0
            try:
                indexed = self.storage.write(partial(_store_batch, resources, at_once, room))
            except Exception:
                log.exception("could not store %d audit events; they stay queued", len(resources))
                self._requeue(batch)
                return done
            outbox_limit -= indexed
            done += indexed + (len(resources) if at_once else 0)
            outbox_left = room > 0 and indexed == room and outbox_limit > 0  # a full share: more may wait
            if (not batch or self.pending < self.batch_size) and not outbox_left:
                return done

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


def defer_records(resources: list[dict[str, Any]], writer: Writer) -> None:
    # Committed with the write, indexed by the trail's drain: the write pays one small INSERT.
    for resource in resources:
        writer.defer(resource, new_id())


def _store_batch(resources: list[dict[str, Any]], at_once: bool, outbox_room: int, writer: Writer) -> int:
    """Store a queued batch: indexed at once (half the work of the outbox round trip: store raw, read
    back, index, delete), with up to ``outbox_room`` outbox records in the same statements; or, in a
    burst, raw to the outbox. Returns how many outbox records were indexed."""
    if not at_once:
        defer_records(resources, writer)
        return 0
    fresh = [(resource, new_id(), "POST") for resource in resources]
    return writer.drain_deferred(outbox_room, also=fresh)


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

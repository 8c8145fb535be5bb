"""Reads and searches on a PostgreSQL streaming replica, with read-your-writes for the client that wrote.

After a write commits, the primary's WAL position (an LSN) is handed back to the client (the HTTP layer puts it in
a header and a cookie); the client sends it with its next requests. A read goes to the replica only when the
replica has replayed at least that far, otherwise to the primary. Nothing a second worker would need lives in this
process: the mark travels with the client, and the replay position cached here is only a shortcut that any worker
can re-learn with one query. A replica that fails sends reads to the primary for ``retry_seconds``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from fhir_server.storage.fast import CompiledLookup
from fhir_server.storage.params.common import ExtractContext
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.writer import Writer

T = TypeVar("T")
log = logging.getLogger(__name__)

_LSN = re.compile(r"([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})")
_REPLAYED = text("SELECT pg_last_wal_replay_lsn()::text")
_COMMITTED = text("SELECT pg_current_wal_lsn()::text")


def parse_lsn(value: str | None) -> int | None:
    """A PostgreSQL LSN ("16/B374D848") as a number; None when absent or malformed (client input)."""
    match = _LSN.fullmatch(value or "")
    if match is None:
        return None
    return (int(match.group(1), 16) << 32) | int(match.group(2), 16)


def format_lsn(value: int) -> str:
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


@dataclass(slots=True)
class Consistency:
    """What one request needs from a replica (``read_after``) and what it wrote (``written``)."""

    read_after: int | None = None
    written: int | None = None

    def needed(self) -> int | None:
        marks = [mark for mark in (self.read_after, self.written) if mark is not None]
        return max(marks) if marks else None


_CURRENT: ContextVar[Consistency | None] = ContextVar("fhir_read_your_writes", default=None)


@contextmanager
def request_consistency(read_after: str | None) -> Iterator[Consistency]:
    """Scope a request: reads inside it honour ``read_after``; writes inside it fill ``written``.

    The object is shared (not copied) with the worker threads the request's storage calls run in.
    """
    consistency = Consistency(read_after=parse_lsn(read_after))
    token = _CURRENT.set(consistency)
    try:
        yield consistency
    finally:
        _CURRENT.reset(token)


class ReplicatedStorage(SqlStorage):
    """SqlStorage whose resource reads, searches and history run on a replica when it is fresh enough."""

    def __init__(
        self,
        engine: Engine,
        replica_engine: Engine,
        context: ExtractContext | None = None,
        *,
        read_engine: Engine | None = None,
        retry_seconds: float = 5.0,
    ) -> None:
        super().__init__(engine, read_engine, context)
        self.replica_engine = replica_engine
        self.retry_seconds = retry_seconds
        self._replayed = 0  # highest replay position seen; replay only moves forward
        self._down_until = 0.0
        self.replica_reads = 0
        self.primary_reads = 0

    # Routing -------------------------------------------------------------------------------------------------
    def _replica_usable(self) -> bool:
        if time.monotonic() < self._down_until:
            return False
        current = _CURRENT.get()
        needed = current.needed() if current is not None else None
        if needed is None or needed <= self._replayed:
            return True
        try:
            with self.replica_engine.connect() as connection:
                self._replayed = max(self._replayed, parse_lsn(connection.execute(_REPLAYED).scalar()) or 0)
        except (DBAPIError, self._driver_error) as exc:
            self._replica_failed(exc)
            return False
        return needed <= self._replayed

    def _replica_failed(self, exc: BaseException) -> None:
        self._down_until = time.monotonic() + self.retry_seconds
        log.warning(
            "replica unavailable, reading from the primary for %.0f s: %s", self.retry_seconds, type(exc).__name__
        )

    def _lookup(self, lookup: CompiledLookup, params: dict[str, Any]) -> tuple[Any, ...] | None:
        if self._replica_usable():
            try:
                row = lookup.first(self.replica_engine, params)
            except (DBAPIError, self._driver_error) as exc:
                self._replica_failed(exc)
            else:
                self.replica_reads += 1
                return row
        self.primary_reads += 1
        return super()._lookup(lookup, params)

    def _read(self, work: Callable[[Connection], T]) -> T:
        if self._replica_usable():
            try:
                with self.replica_engine.connect() as connection:
                    result = work(connection)
            except (DBAPIError, self._driver_error) as exc:
                # Down, restarting, or a query cancelled by a conflict with WAL replay: the primary answers.
                self._replica_failed(exc)
            else:
                self.replica_reads += 1
                return result
        self.primary_reads += 1
        return super()._read(work)

    # Writes --------------------------------------------------------------------------------------------------
    def write(self, work: Callable[[Writer], T]) -> T:
        result = super().write(work)
        current = _CURRENT.get()
        if current is not None:
            # After the commit, the WAL position is at or past the commit record: a replica that has replayed it
            # shows this write. One extra round trip on the primary per write request, only with a replica.
            try:
                with self.read_engine.connect() as connection:
                    lsn = parse_lsn(connection.execute(_COMMITTED).scalar())
            except (DBAPIError, self._driver_error):
                lsn = None  # the write stands; only this client's next reads may lag
                log.warning("could not read the primary's WAL position after a write")
            if lsn is not None:
                current.written = max(lsn, current.written or 0)
        return result

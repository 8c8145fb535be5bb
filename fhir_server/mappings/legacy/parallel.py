"""Several writer processes for one import: the chunks of a table are written concurrently.

The source is read and mapped in the main process (it holds what later tables need); each worker
process has its own engine and writes whole chunks through the same path as the single-process
runner. Tables stay in order: a table's chunks all finish before the next table starts, so what a
row refers to is written before it.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from fhir_server.collector import collect_less
from fhir_server.mappings.legacy.records import Mapped
from fhir_server.mappings.legacy.report import ImportReport
from fhir_server.settings import Settings
from fhir_server.storage.engine import make_engine
from fhir_server.storage.params.common import ExtractContext
from fhir_server.storage.repository import SqlStorage

_WORKER: dict[str, Any] = {}


def _start(settings: Settings) -> None:
    collect_less()
    engine = make_engine(settings.database_url, pool_size=2, max_overflow=2)
    storage = SqlStorage(engine, context=ExtractContext(settings.zone, settings.base_url))
    _WORKER.update(storage=storage, settings=settings)


def _write(rows: list[Mapped]) -> tuple[list[int], ImportReport]:
    from fhir_server.mappings.legacy.runner import ChunkWriter, system_context

    report = ImportReport("worker")
    settings: Settings = _WORKER["settings"]
    # Each chunk's Provenance goes in with the chunk, in the worker's transaction.
    writer = ChunkWriter(_WORKER["storage"], system_context(settings), report, False, settings.audit_enabled)
    written = {id(row) for row in writer.write(rows)}
    return [position for position, row in enumerate(rows) if id(row) in written], report


class WriterPool:
    """``workers`` processes writing chunks; results come back in submission order."""

    def __init__(self, settings: Settings, workers: int) -> None:
        # fork: the workers inherit the settings (secrets are never pickled into a pipe).
        context = multiprocessing.get_context("fork")
        self.pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start, initargs=(settings,))
        self.in_flight = workers * 2
        self.pending: list[tuple[list[Mapped], Future[tuple[list[int], ImportReport]]]] = []

    def submit(self, rows: list[Mapped]) -> Iterator[tuple[list[Mapped], list[Mapped], ImportReport]]:
        """Queue a chunk; yields (chunk, written rows, worker report) of chunks that finished meanwhile."""
        if not rows:
            return
        self.pending.append((rows, self.pool.submit(_write, rows)))
        while len(self.pending) > self.in_flight:
            yield self._next()

    def drain(self) -> Iterator[tuple[list[Mapped], list[Mapped], ImportReport]]:
        while self.pending:
            yield self._next()

    def _next(self) -> tuple[list[Mapped], list[Mapped], ImportReport]:
        rows, future = self.pending.pop(0)
        positions, report = future.result()
        return rows, [rows[p] for p in positions], report

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

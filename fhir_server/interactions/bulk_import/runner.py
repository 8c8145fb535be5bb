"""The import run: files cut into units of work, written by parallel worker processes.

Each worker opens its own engine (nothing database-related crosses a process boundary) and writes
one unit at a time: a batch of NDJSON lines or one Bundle. The parent only reads NDJSON lines and
keeps a bounded number of units in flight, so memory stays flat whatever the input size.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fhir_server.collector import collect_less
from fhir_server.interactions.bulk_import import sources
from fhir_server.interactions.bulk_import.audit import record_run
from fhir_server.interactions.bulk_import.bundles import import_bundle
from fhir_server.interactions.bulk_import.report import Report
from fhir_server.interactions.bulk_import.resources import Line, import_lines
from fhir_server.interactions.context import Principal, RequestContext
from fhir_server.storage.engine import make_engine
from fhir_server.storage.params.common import ExtractContext
from fhir_server.storage.repository import SqlStorage

Unit = tuple[str, str, list[Line] | None]  # ("ndjson", file, lines) or ("bundle", file, None)


@dataclass(frozen=True, slots=True)
class Config:
    """Everything a worker needs, in plain picklable values."""

    database_url: str
    base_url: str
    zone: str
    language: str = "en"
    clinic_profiles: str = "claimed"
    dry_run: bool = False
    per_resource_provenance: bool = False

    def context(self) -> RequestContext:
        return RequestContext(
            base_url=self.base_url,
            language=self.language,
            zone=ZoneInfo(self.zone),
            request_id="import",
            principal=Principal(kind="system"),
            clinic_profiles=self.clinic_profiles,
        )

    def storage(self) -> SqlStorage:
        engine = make_engine(self.database_url, pool_size=2, max_overflow=2)
        return SqlStorage(engine, context=ExtractContext(ZoneInfo(self.zone), self.base_url))


_WORKER: dict[str, Any] = {}


def _start_worker(config: Config) -> None:
    _WORKER.update(config=config, storage=config.storage(), ctx=config.context())


def _start_process(config: Config) -> None:
    collect_less()  # a worker process of its own: nothing else shares its collector
    _start_worker(config)


def _work(unit: Unit) -> Report:
    kind, file, lines = unit
    config: Config = _WORKER["config"]
    storage, ctx = _WORKER["storage"], _WORKER["ctx"]
    provenance, dry_run = config.per_resource_provenance, config.dry_run
    if kind == "ndjson":
        return import_lines(storage, ctx, file, lines or [], per_resource_provenance=provenance, dry_run=dry_run)
    data = sources.read_bytes(Path(file))
    return import_bundle(storage, ctx, file, data, per_resource_provenance=provenance, dry_run=dry_run)


class _Inline(Executor):
    """One worker: the units run in this process, in order."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def _units(files: list[Path], batch: int) -> Iterator[Unit]:
    for path in files:
        if sources.is_ndjson(path):
            for lines in sources.ndjson_batches(path, batch):
                yield "ndjson", str(path), lines
        else:
            yield "bundle", str(path), None


def _drain(pool: Executor, units: Iterator[Unit], window: int, done: Callable[[Unit, Report], None]) -> None:
    """Run every unit, at most ``window`` in flight; ``done`` sees each unit's report as it ends."""
    running: dict[Future[Report], Unit] = {}
    for unit in units:
        running[pool.submit(_work, unit)] = unit
        while len(running) >= window:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                done(running.pop(future), future.result())
    for future in list(running):
        done(running.pop(future), future.result())


def _pool(config: Config, workers: int) -> Executor:
    """Worker processes. Forked ones start at once with the code this process already imported, but a
    fork is safe only while no other thread runs here (a lock held by one would stay held in the
    child); otherwise each worker is a fresh interpreter."""
    method = "fork" if threading.active_count() == 1 else "spawn"
    pool = ProcessPoolExecutor(workers, multiprocessing.get_context(method), _start_process, (config,))
    pool.submit(int).result()  # every worker exists before this process starts a thread of its own
    return pool


def run(
    config: Config,
    files: list[Path],
    *,
    workers: int,
    batch: int,
    progress: Callable[[Report], None] | None = None,
    started: Callable[[], None] | None = None,
) -> Report:
    """Import the files; shared bundles first, then the rest, then bundles that waited on a reference.

    ``started`` is called once the workers exist (a caller's own threads wait for it, see ``_pool``).
    """
    total = Report()
    retry: list[Path] = []
    last_pass = False

    def done(unit: Unit, report: Report) -> None:
        if last_pass:
            report.seen = 0  # counted on the first pass
        elif unit[0] == "bundle" and report.failures and all(f.retryable for f in report.failures):
            retry.append(Path(unit[1]))  # its conditional reference may point into a later file
            report = Report(seen=report.seen)
        total.add(report)
        if progress is not None:
            progress(report)

    if workers <= 1:
        _start_worker(config)
        pool: Executor = _Inline()
    else:
        pool = _pool(config, workers)
    if started is not None:
        started()
    try:
        shared = [f for f in files if sources.is_shared(f)]
        _drain(pool, _units(shared, batch), workers * 2, done)
        _drain(pool, _units([f for f in files if not sources.is_shared(f)], batch), workers * 2, done)
        last_pass = True
        _drain(pool, _units(retry, batch), workers * 2, done)
    finally:
        pool.shutdown()
        if workers <= 1:
            _WORKER.pop("storage").engine.dispose()
    return total


def record(config: Config, report: Report, elapsed_s: float) -> None:
    """The run's AuditEvent and fresh planner statistics (neither for a dry run)."""
    if config.dry_run:
        return
    detail = (
        f"bulk import: {report.total_written} resources written in {elapsed_s:.1f} s, {len(report.failures)} failed"
    )
    storage = config.storage()
    try:
        record_run(storage, config.context(), detail, failed=bool(report.failures))
        storage.refresh_statistics()
    finally:
        storage.engine.dispose()

"""Prometheus metrics: requests, latency, connection pools and export jobs (docs/adr/0012).

With several workers `fhir-server serve` points PROMETHEUS_MULTIPROC_DIR at a fresh folder, and
every worker writes its counters there; a scrape, answered by any worker, adds them all up. Pool
gauges are summed over live workers; the export job counts come from the database at scrape time.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from functools import lru_cache

import sqlalchemy as sa
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from fhir_server.storage.repository import SqlStorage

# The _created series double the output and nothing here reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
EXPORT_JOB_TABLE = "bulk_export_job"
IMPORT_JOB_TABLE = "bulk_import_job"
_POOL_REFRESH_SECONDS = 1.0
log = logging.getLogger(__name__)


class _ProcessId:
    """This process's id, asked of the kernel once and again only after a fork.

    Multiprocess values check the pid on every update, so a fork gets fresh files; glibc no longer
    caches getpid(), and the five system calls per request were 1 to 2 % of the workers' time.
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        os.register_at_fork(after_in_child=self._refresh)

    def _refresh(self) -> None:
        self.pid = os.getpid()

    def __call__(self) -> int:
        return self.pid


if MULTIPROCESS:  # before the first metric below is built
    values.ValueClass = values.MultiProcessValue(_ProcessId())  # type: ignore[no-untyped-call]

REQUESTS = Counter(
    "fhir_requests_total",
    "HTTP requests by interaction, resource type and status",
    ["interaction", "type", "status"],
)
LATENCY = Histogram(
    "fhir_request_duration_seconds",
    "Time to answer a request, by interaction",
    ["interaction"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
IN_PROGRESS = Gauge(
    "fhir_requests_in_progress",
    "Requests being answered, by interaction",
    ["interaction"],
    multiprocess_mode="livesum",
)
POOL_CHECKED_OUT = Gauge(
    "fhir_db_pool_checked_out",
    "Database connections in use, by engine (write or read)",
    ["engine"],
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "fhir_db_pool_size",
    "Database connections the pool keeps open (before overflow), by engine",
    ["engine"],
    multiprocess_mode="livesum",
)

LOOP_LATENESS = Histogram(
    "fhir_event_loop_lag_seconds",
    "How late a worker's event loop ran a timer due every 100 ms (summed over workers)",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
LOOP_LATENESS_MAX = Gauge(
    "fhir_event_loop_lag_max_seconds",
    "Largest lateness of the worker's event loop over the last second (one series per live worker)",
    multiprocess_mode="liveall",
)


def observe(interaction: str, resource_type: str, status: int, seconds: float) -> None:
    """Count one answered request."""
    _requests(interaction, resource_type, status).inc()
    _latency(interaction).observe(seconds)


# ``labels()`` validates and looks its child up under a lock on every call (about 1 % of the workers'
# time under the soak); a child never changes once made, so each is looked up once.
@lru_cache(maxsize=4096)
def _requests(interaction: str, resource_type: str, status: int) -> Counter:
    return REQUESTS.labels(interaction, resource_type, str(status))


@lru_cache(maxsize=256)
def _latency(interaction: str) -> Histogram:
    return LATENCY.labels(interaction)


@lru_cache(maxsize=256)
def in_progress(interaction: str) -> Gauge:
    """The in-progress gauge of one interaction."""
    return IN_PROGRESS.labels(interaction)


class PoolGauges:
    """Copies the pools' use into gauges, at most once a second per worker (cheap, but per request)."""

    def __init__(self, storage: SqlStorage) -> None:
        self.engines = {"write": storage.engine, "read": storage.read_engine}
        self._next = 0.0

    def refresh(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now < self._next:
            return
        self._next = now + _POOL_REFRESH_SECONDS
        for role, engine in self.engines.items():
            pool = engine.pool
            # QueuePool reports its use; SQLite's in-memory StaticPool has nothing to report.
            checked_out = getattr(pool, "checkedout", None)
            size = getattr(pool, "size", None)
            if callable(checked_out) and callable(size):
                POOL_CHECKED_OUT.labels(role).set(checked_out())
                POOL_SIZE.labels(role).set(size())


class JobsCollector(Collector):
    """Bulk export and import jobs by status, read at scrape time (each absent until its table exists)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        for name, table, what in (
            ("fhir_export_jobs", EXPORT_JOB_TABLE, "Bulk export jobs by status"),
            ("fhir_import_jobs", IMPORT_JOB_TABLE, "Bulk import jobs by status"),
        ):
            counts = job_counts(self.engine, table)
            if counts is None:
                continue
            family = GaugeMetricFamily(name, what, labels=["status"])
            for status, count in sorted(counts.items()):
                family.add_metric([status], count)
            yield family


def job_counts(engine: sa.Engine, table: str = EXPORT_JOB_TABLE) -> dict[str, int] | None:
    """Jobs of one jobs table per status, or None when the database has no such table."""
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table(table):
                return None
            rows = connection.execute(
                sa.text(f"SELECT status, count(*) FROM {table} GROUP BY status")  # noqa: S608 - our constants
            )
            return {str(status): int(count) for status, count in rows}
    except sa.exc.DBAPIError as exc:
        log.warning("%s counts unavailable: %s", table, type(exc.orig).__name__)
        return None


def render(pools: PoolGauges, storage: SqlStorage) -> bytes:
    """The exposition text of every metric, over all workers."""
    pools.refresh(force=True)
    if MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    per_scrape = CollectorRegistry(auto_describe=False)
    per_scrape.register(JobsCollector(storage.read_engine))
    return generate_latest(registry) + generate_latest(per_scrape)


def worker_exiting() -> None:
    """Drop this worker's live gauges from the shared folder (its counters stay, as Prometheus expects)."""
    if MULTIPROCESS:
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]

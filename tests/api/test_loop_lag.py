"""The event-loop watch: a loop held busy shows in the lateness histogram and in the worker's gauge, and
/metrics of a running app carries both."""

from __future__ import annotations

import asyncio
import time

from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, Gauge, Histogram

from fhir_server.api.loop_lag import LoopWatch
from tests.api.test_ops_metrics import SCRAPE, ops_client, samples  # noqa: F401 - the fixture is used

BLOCKED_SECONDS = 0.3


def _watched_run(registry: CollectorRegistry) -> None:
    lateness = Histogram("lag", "lag", buckets=(0.01, 0.25, 1.0), registry=registry)
    largest = Gauge("lag_max", "lag max", registry=registry)

    async def scenario() -> None:
        watch = LoopWatch(lateness, largest, interval=0.02, window=0.1)
        watch.start()
        await asyncio.sleep(0.2)
        time.sleep(BLOCKED_SECONDS)  # holds the loop, as a long inline request would
        await asyncio.sleep(0.03)  # the late wake-up, which also closes the window
        watch.stop()

    asyncio.run(scenario())


def test_a_loop_held_busy_is_seen_late() -> None:
    registry = CollectorRegistry()
    _watched_run(registry)
    count = registry.get_sample_value("lag_count") or 0.0
    within_quarter = registry.get_sample_value("lag_bucket", {"le": "0.25"}) or 0.0
    assert count >= 5  # every 20 ms for 0.2 s of free loop, then the late one
    assert count - within_quarter >= 1  # the wake-up that came after the blocked 0.3 s
    assert (registry.get_sample_value("lag_sum") or 0.0) >= BLOCKED_SECONDS - 0.02 - 0.01
    # The window that held the block ended with that wake-up: the worker's gauge shows it.
    assert (registry.get_sample_value("lag_max") or 0.0) >= BLOCKED_SECONDS - 0.02 - 0.01


def test_metrics_carry_the_loop_lateness(ops_client: TestClient) -> None:  # noqa: F811 - the fixture
    deadline = time.monotonic() + 10
    scraped = samples(ops_client.get("/metrics", headers=SCRAPE).text)
    while scraped.get(("fhir_event_loop_lag_seconds_count", ()), 0.0) < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
        scraped = samples(ops_client.get("/metrics", headers=SCRAPE).text)
    assert scraped[("fhir_event_loop_lag_seconds_count", ())] >= 1
    assert ("fhir_event_loop_lag_seconds_bucket", (("le", "0.001"),)) in scraped
    assert ("fhir_event_loop_lag_max_seconds", ()) in scraped

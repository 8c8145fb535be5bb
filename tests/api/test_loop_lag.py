"""The event-loop watch: a loop held busy shows in the lateness histogram and in the worker's gauge, /metrics
of a running app carries both, and a loop late on average lets a few keep-alive connections go (their answers
whole, with ``Connection: close``) so their clients reconnect to a worker with room."""

from __future__ import annotations

import asyncio
import time

from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, Gauge, Histogram

from fhir_server.api import loop_lag
from fhir_server.api.app import create_app
from fhir_server.api.loop_lag import SHEDS_PER_WINDOW, LoopWatch
from fhir_server.storage.repository import SqlStorage
from tests.api.test_http_protocol import _connect, _read_response
from tests.api.test_ops_metrics import SCRAPE, ops_client, samples  # noqa: F401 - the fixture is used
from tests.conftest import make_settings, serving

BLOCKED_SECONDS = 0.3


def _watch(registry: CollectorRegistry, shed_after: float = 0.0) -> LoopWatch:
    lateness = Histogram("lag", "lag", buckets=(0.01, 0.25, 1.0), registry=registry)
    largest = Gauge("lag_max", "lag max", registry=registry)
    return LoopWatch(lateness, largest, interval=0.02, window=0.1, shed_after=shed_after)


async def _blocked_once(watch: LoopWatch) -> None:
    """Started, 0.2 s of free loop, the loop held for BLOCKED_SECONDS, then the late wake-up (which also
    closes the window that holds the block)."""
    watch.start()
    await asyncio.sleep(0.2)
    time.sleep(BLOCKED_SECONDS)  # holds the loop, as a long inline request would
    await asyncio.sleep(0.03)


def _watched_run(registry: CollectorRegistry) -> None:
    async def scenario() -> None:
        watch = _watch(registry)
        await _blocked_once(watch)
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


def _late_window(shed_after: float) -> tuple[list[bool], list[bool]]:
    """take_shed answers after a window holding a 0.3 s block, then after a calm window."""

    async def scenario() -> tuple[list[bool], list[bool]]:
        watch = _watch(CollectorRegistry(), shed_after)
        await _blocked_once(watch)
        after_block = [loop_lag.take_shed() for _ in range(SHEDS_PER_WINDOW + 1)]
        await asyncio.sleep(0.25)  # calm windows
        after_calm = [loop_lag.take_shed() for _ in range(SHEDS_PER_WINDOW + 1)]
        watch.stop()
        return after_block, after_calm

    return asyncio.run(scenario())


def test_a_late_loop_lets_a_few_connections_go_then_stops() -> None:
    after_block, after_calm = _late_window(shed_after=0.05)
    assert after_block == [True] * SHEDS_PER_WINDOW + [False]
    assert after_calm == [False] * (SHEDS_PER_WINDOW + 1)
    assert not loop_lag.take_shed()  # no watch running: never


def test_without_a_threshold_no_connection_is_let_go() -> None:
    after_block, after_calm = _late_window(shed_after=0.0)
    assert after_block == after_calm == [False] * (SHEDS_PER_WINDOW + 1)


def test_a_connection_let_go_gets_its_whole_answer_then_closes(storage: SqlStorage, database_url: str) -> None:
    # A threshold no test machine reaches: the one shed below is the test's own.
    settings = {"rebalance_after_lag_ms": 60_000}
    with serving(
        lambda base: create_app(make_settings(database_url, base_url=base, **settings), storage=storage)
    ) as base:
        assert loop_lag._running is not None
        loop_lag._running._sheds_left = 1
        with _connect(base) as sock, sock.makefile("rb") as stream:
            sock.sendall(b"GET /fhir/Patient?_count=1 HTTP/1.1\r\nHost: x\r\n\r\n")
            status, headers, body = _read_response(stream)
            assert (status, headers.get("connection")) == (200, "close")
            assert body.startswith(b'{"resourceType":"Bundle"')
            assert stream.read(1) == b""  # closed by the server
        with _connect(base) as sock, sock.makefile("rb") as stream:
            for _ in range(3):
                sock.sendall(b"GET /fhir/Patient?_count=1 HTTP/1.1\r\nHost: x\r\n\r\n")
                status, headers, _ = _read_response(stream)
                assert (status, headers.get("connection")) == (200, None)

"""Rate-limit buckets shared by the workers of one host (docs/adr/0012): a client's budget is the same
whichever worker its connections reach."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx
import pytest

from fhir_server.api.rate_buckets import SharedBuckets
from fhir_server.api.rate_limit import RateLimiter
from fhir_server.storage.engine import make_engine
from fhir_server.storage.migrate import upgrade
from tests.faults.server import spawn
from tests.pg_cluster import free_port


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_two_workers_draw_on_one_bucket(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "buckets"
    first = RateLimiter(120, workers=2, clock=clock, shared_file=path)
    second = RateLimiter(120, workers=2, clock=clock, shared_file=path)
    assert first.capacity == second.capacity == 120  # the whole limit, not a worker's share
    for _ in range(30):
        assert first.take("a", 2) == 0
        assert second.take("a", 2) == 0
    assert first.take("a", 1) == pytest.approx(0.5)  # 120 spent: half a second to the next unit
    assert second.take("a", 1) == pytest.approx(0.5)
    assert second.take("b", 1) == 0  # another client
    second.charge("a", 10)  # a bundle's entries, charged by the worker that ran it
    clock.now += 5  # 10 units back: still in debt by 0
    assert first.take("a", 1) == pytest.approx(0.5)
    clock.now += 1
    assert first.take("a", 1) == 0


def test_a_full_table_forgives_rather_than_refuses(tmp_path: Path) -> None:
    buckets = SharedBuckets(60.0, 1.0, tmp_path / "buckets", slots=4)
    for key in range(40):  # ten times more clients than slots: each new one takes over a slot
        with buckets.bucket(f"client-{key}", 1000.0) as bucket:
            assert bucket[0] == 60.0  # a client never seen (or forgotten) starts with a full bucket
            bucket[0] -= 60
    with buckets.bucket("client-39", 1000.0) as bucket:
        assert bucket[0] == 0.0  # the one just seen is still remembered


def _reads_until_refused(client: httpx.Client, root: str, most: int) -> int:
    for done in range(most):
        status = client.get(f"{root}/fhir/Patient/nobody").status_code
        if status == 429:
            return done
        assert status == 404
    return most


def test_one_kept_alive_connection_gets_the_whole_budget(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fhir.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    os.environ.pop("FHIR_RATE_LIMIT_SHARED_FILE", None)
    # The start-up probe reads /metadata: free here, so only the test's reads count.
    process = spawn(
        url,
        port,
        workers=2,
        FHIR_AUDIT_ENABLED="false",
        FHIR_RATE_LIMIT_PER_MINUTE="20",
        FHIR_RATE_LIMIT_WEIGHTS='{"capabilities": 0}',
    )
    try:
        # Per-worker buckets would give one connection (one worker) 10 of the 20 units.
        with httpx.Client(timeout=10) as client:
            assert _reads_until_refused(client, root, 40) == 20
        # New connections reach either worker: the same spent bucket answers.
        for _ in range(6):
            with httpx.Client(timeout=10) as client:
                answer = client.get(f"{root}/fhir/Patient/nobody")
                assert answer.status_code == 429
                assert int(answer.headers["Retry-After"]) >= 1
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)

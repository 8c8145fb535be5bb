"""PostgreSQL restarted (crash stop, then start) in the middle of load.

While it is down requests fail with 503 and an OperationOutcome, never a 500 or a hang; the server
recovers by itself once PostgreSQL is back; every acknowledged write is there once.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.faults.load import Load, check_acknowledged
from tests.faults.server import FULL, Server, migrate, report
from tests.pg_cluster import running_cluster

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
ROUNDS = 3 if FULL else 1
DOWN_SECONDS = 3.0 if FULL else 1.5


def _wait_recovered(base: str, timeout: float = 30) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if httpx.get(f"{base}/Patient", params={"_count": "1"}, timeout=5).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the server did not recover within {timeout} s of PostgreSQL coming back")


def test_postgres_restart_under_load(tmp_path, capsys):
    with running_cluster() as cluster:
        url = cluster.create_database("fhir")
        migrate(url)
        with Server(url, tmp_path, workers=2) as server, Load(server.base) as load:
            recoveries = []
            during_outage: dict[int, int] = {}
            for _ in range(ROUNDS):
                time.sleep(1.0 if not FULL else 3.0)
                before = dict(load.seen.statuses)
                cluster.stop("immediate")
                time.sleep(DOWN_SECONDS)
                after = dict(load.seen.statuses)
                for status, n in after.items():
                    if status >= 300 and n > before.get(status, 0):
                        during_outage[status] = during_outage.get(status, 0) + n - before.get(status, 0)
                cluster.start()
                recoveries.append(_wait_recovered(server.base))
                time.sleep(1.0)
            load.stop()
            acknowledged, duplicates, missing = check_acknowledged(server.base, load.seen)
            seen = load.seen
            summary = (
                f"PostgreSQL restart x{ROUNDS}: statuses {dict(sorted(seen.statuses.items()))}, "
                f"non-2xx while down {during_outage}, hangs {seen.hangs}, connection errors {seen.refused}, "
                f"recovered after {[f'{r:.2f}s' for r in recoveries]}, acknowledged writes {acknowledged}, "
                f"missing {len(missing)}, duplicated {len(duplicates)}"
            )
            report(capsys, summary)
            assert not seen.bad_errors, f"{summary}\n5xx without an OperationOutcome or 500s: {seen.bad_errors[:5]}"
            assert seen.hangs == 0 and seen.refused == 0, summary
            assert during_outage.get(503), f"no 503 while PostgreSQL was down: {summary}"
            assert set(during_outage) <= {503}, summary
            assert not missing and not duplicates, f"{summary}\nmissing {missing[:10]} duplicated {duplicates}"
            assert acknowledged > 0, summary

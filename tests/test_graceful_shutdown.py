"""SIGTERM to a real `fhir-server serve` while a transaction is in flight: it completes (2xx) and is stored.

The transaction is held behind a database lock the test owns, so it is certainly in flight when the
signal arrives; the lock is released only once the server has stopped accepting connections.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import sqlalchemy as sa
from prometheus_client.mmap_dict import MmapedDict

from fhir_server.storage.engine import make_engine
from fhir_server.storage.migrate import upgrade
from fhir_server.storage.repository import SqlStorage
from tests.api.test_ops_timeouts import patients, write_lock
from tests.conftest import _free_port
from tests.faults.server import spawn

ROOT = Path(__file__).resolve().parents[1]
ENTRIES = 50


def _start(database_url: str, port: int) -> subprocess.Popen[bytes]:
    return spawn(database_url, port, FHIR_REQUEST_TIMEOUT_SECONDS="0", FHIR_GRACEFUL_SHUTDOWN_SECONDS="60")


def _in_flight(root: str) -> float:
    text = httpx.get(f"{root}/metrics", timeout=5).text
    for line in text.splitlines():
        if line.startswith('fhir_requests_in_progress{interaction="bundle"}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_sigterm_lets_the_in_flight_transaction_finish(storage: SqlStorage, database_url: str) -> None:
    port = _free_port()
    root = f"http://127.0.0.1:{port}"
    process = _start(database_url, port)
    entries = [{"resource": {"resourceType": "Patient", "gender": "female"},
                "request": {"method": "POST", "url": "Patient"}}] * ENTRIES  # fmt: skip
    bundle = json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries})
    result: dict[str, object] = {}

    def send() -> None:
        try:
            response = httpx.post(f"{root}/fhir", content=bundle, headers={"Content-Type": "application/fhir+json"},
                                  timeout=60)  # fmt: skip
            result["status"] = response.status_code
        except httpx.HTTPError as exc:
            result["error"] = repr(exc)

    try:
        with write_lock(storage.engine):
            sender = threading.Thread(target=send)
            sender.start()
            deadline = time.monotonic() + 30
            while _in_flight(root) < 1:
                assert time.monotonic() < deadline, "the transaction never reached the server"
                time.sleep(0.05)
            process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 30
            while _listening(port):  # shutdown has begun once new connections are refused
                assert time.monotonic() < deadline, "the server kept accepting connections"
                time.sleep(0.05)
            assert process.poll() is None  # still finishing the transaction
        sender.join(timeout=60)
        assert result.get("status") == 200, result
        # uvicorn re-raises the signal once it has shut down cleanly, as a supervisor expects.
        assert process.wait(timeout=60) in (0, -signal.SIGTERM)
        assert patients(storage.engine) == ENTRIES
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_schema_check_keeps_a_stale_database_from_serving(storage: SqlStorage, database_url: str) -> None:
    with storage.engine.begin() as connection:
        head = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        env = {**os.environ, "FHIR_DATABASE_URL": database_url}
        done = subprocess.run([sys.executable, "-m", "fhir_server", "serve", "--port", str(_free_port())],
                              cwd=ROOT, env=env, capture_output=True, timeout=60, check=False)  # fmt: skip
        assert done.returncode == 1
        assert b"fhir-server migrate" in done.stderr
    finally:
        with storage.engine.begin() as connection:
            connection.execute(sa.text("UPDATE alembic_version SET version_num = :head"), {"head": head})


def _reads_by_worker(folder: Path) -> dict[str, float]:
    """404 reads each worker counted in its own metrics file (the files the scrape pools)."""
    found: dict[str, float] = {}
    for path in folder.glob("counter_*.db"):
        counted = 0.0
        for key, value, *_ in MmapedDict.read_all_values_from_file(str(path)):
            _metric, name, labels, _help = json.loads(key)
            if name == "fhir_requests_total" and labels.get("interaction") == "read" and labels.get("status") == "404":
                counted += value
        if counted:
            found[path.stem.removeprefix("counter_")] = counted
    return found


def test_two_workers_pool_their_metrics(tmp_path: Path) -> None:
    # Metrics are the subject, not storage: one SQLite database is enough.
    url = f"sqlite:///{tmp_path / 'fhir.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    port = _free_port()
    folder = tmp_path / "metrics"
    folder.mkdir()
    env = {**os.environ, "FHIR_DATABASE_URL": url, "FHIR_LOG_LEVEL": "warning", "FHIR_AUTH_ENABLED": "false",
           "FHIR_BASE_URL": f"http://127.0.0.1:{port}/fhir", "FHIR_AUDIT_ENABLED": "false",
           "PROMETHEUS_MULTIPROC_DIR": str(folder)}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "fhir_server", "serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    root = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{root}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
        # New connections, several at once, until both workers have answered some: otherwise one
        # worker's own count would equal the total and the pooling would go unproven.
        reads = 0
        while len(_reads_by_worker(folder)) < 2:
            assert time.monotonic() < deadline, f"one worker answered all {reads} reads"
            with ThreadPoolExecutor(8) as pool:
                statuses = list(
                    pool.map(lambda _: httpx.get(f"{root}/fhir/Patient/nobody", timeout=10).status_code, range(16))
                )
            assert statuses == [404] * 16
            reads += 16
        by_worker = _reads_by_worker(folder)
        assert sum(by_worker.values()) == reads and max(by_worker.values()) < reads
        counted = 0.0
        for line in httpx.get(f"{root}/metrics", timeout=10).text.splitlines():
            if line.startswith("fhir_requests_total{") and 'interaction="read"' in line and 'status="404"' in line:
                counted += float(line.rsplit(" ", 1)[1])
        assert counted == reads  # whichever worker answers the scrape reports both workers' counts
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

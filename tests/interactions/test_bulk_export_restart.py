"""SIGKILL the server in the middle of an export; after a restart the job finishes, complete and duplicate-free."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from fhir_server.storage.repository import SqlStorage
from tests.conftest import _free_port
from tests.faults.server import spawn
from tests.security.conftest import seed

ROOT = Path(__file__).resolve().parents[2]
COUNT = 1500


def _start(database_url: str, port: int, bulk_dir: Path) -> subprocess.Popen[bytes]:
    return spawn(
        database_url, port, FHIR_AUDIT_ENABLED="false", FHIR_BULK_DIR=str(bulk_dir), FHIR_BULK_BATCH_SIZE="1",
        FHIR_BULK_LEASE_SECONDS="1", FHIR_BULK_POLL_SECONDS="0.05",
    )  # fmt: skip


@pytest.mark.slow
def test_export_survives_a_killed_server(storage: SqlStorage, database_url: str, tmp_path: Path) -> None:
    seed(storage, *({"resourceType": "Patient", "id": f"k{i:05d}"} for i in range(COUNT)))
    port = _free_port()
    base = f"http://127.0.0.1:{port}/fhir"
    bulk_dir = tmp_path / "bulk"
    server = _start(database_url, port, bulk_dir)
    try:
        kicked = httpx.get(f"{base}/$export?_type=Patient", headers={"Prefer": "respond-async"}, timeout=10)
        assert kicked.status_code == 202, kicked.text
        status_url = kicked.headers["content-location"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # wait until it has written something, then kill it
            progress = httpx.get(status_url, timeout=10)
            assert progress.status_code == 202, "finished before the kill: raise COUNT"
            if "Patient: " in progress.headers.get("x-progress", "") and not progress.headers["x-progress"].endswith(
                ": 0 resources"
            ):
                break
            time.sleep(0.02)
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        server = _start(database_url, port, bulk_dir)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            polled = httpx.get(status_url, timeout=10)
            if polled.status_code == 200:
                break
            assert polled.status_code == 202, polled.text
            time.sleep(0.1)
        manifest = polled.json()
        [output] = manifest["output"]
        lines = httpx.get(output["url"], timeout=30).text.splitlines()
        ids = [json.loads(line)["id"] for line in lines]
        assert len(ids) == len(set(ids)) == output["count"] == COUNT
        assert set(ids) == {f"k{i:05d}" for i in range(COUNT)}
    finally:
        server.kill()
        server.wait(10)

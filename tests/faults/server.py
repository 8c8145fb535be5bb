"""A real `fhir-server serve` subprocess for the fault tests, and what they share."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.pg_cluster import free_port

ROOT = Path(__file__).resolve().parents[2]
# FHIR_FAULT_FULL=1: longer runs, more rounds, more examples (documented in the README).
FULL = os.environ.get("FHIR_FAULT_FULL", "") == "1"
FHIR_JSON = {"Content-Type": "application/fhir+json"}


def server_env(database_url: str, port: int, **extra: str) -> dict[str, str]:
    # Faults are the subject here, not authorization: an open server on loopback.
    return {**os.environ, "FHIR_DATABASE_URL": database_url, "FHIR_BASE_URL": f"http://127.0.0.1:{port}/fhir",
            "FHIR_AUTH_ENABLED": "false", "FHIR_LOG_LEVEL": "warning", **extra}  # fmt: skip


def migrate(database_url: str) -> None:
    env = server_env(database_url, 0)
    done = subprocess.run([sys.executable, "-m", "fhir_server", "migrate"], cwd=ROOT, env=env, capture_output=True)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]


class Server:
    """`fhir-server serve` on a free loopback port; its stderr goes to a file the test can show."""

    def __init__(self, database_url: str, log_dir: Path, *, workers: int = 1, **extra: str) -> None:
        self.database_url = database_url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/fhir"
        self.log_path = log_dir / f"server-{self.port}.log"
        self.env = server_env(database_url, self.port, **extra)
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "fhir_server", "serve", "--port", str(self.port), "--workers", str(self.workers)],
                cwd=ROOT, env=self.env, stdout=log, stderr=log,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/metadata", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def report(capsys: Any, text: str) -> None:
    """Show what a fault test found, with or without -s."""
    with capsys.disabled():
        sys.stdout.write(f"\n{text}\n")


def is_outcome(response: httpx.Response) -> bool:
    """True when the body is an OperationOutcome with at least one issue, and no Python trace leaks."""
    try:
        body = response.json()
    except ValueError:
        return False
    text = response.text
    return body.get("resourceType") == "OperationOutcome" and bool(body.get("issue")) and "Traceback" not in text


def count_by_identifier(http: httpx.Client, base: str, system: str) -> dict[str, int]:
    """How many live Patients carry each identifier value of the system."""
    counts: dict[str, int] = {}
    url: str | None = f"{base}/Patient?identifier={system}|&_count=1000&_elements=identifier"
    while url:
        response = http.get(url)
        assert response.status_code == 200, response.text
        bundle = response.json()
        for entry in bundle.get("entry", []):
            for identifier in entry["resource"].get("identifier", []):
                if identifier.get("system") == system:
                    counts[identifier["value"]] = counts.get(identifier["value"], 0) + 1
        url = next((link["url"] for link in bundle.get("link", []) if link["relation"] == "next"), None)
    return counts

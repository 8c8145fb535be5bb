"""A real `fhir-server serve` subprocess for the fault tests, and what they share."""

from __future__ import annotations

import contextlib
import os
import signal
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


def spawn(
    database_url: str, port: int, *, workers: int = 1, log: Any = None, new_session: bool = False, **extra: str
) -> subprocess.Popen[bytes]:
    """`fhir-server serve` on 127.0.0.1:``port``, returned once it answers; ``new_session`` puts it and its workers
    in a process group of their own (so one SIGKILL takes them all)."""
    output = log if log is not None else subprocess.DEVNULL
    process = subprocess.Popen(
        [sys.executable, "-m", "fhir_server", "serve", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT, env=server_env(database_url, port, **extra), stdout=output, stderr=output,
        start_new_session=new_session,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/fhir/metadata", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.05)
    kill(process, group=new_session)
    raise RuntimeError("server did not start")


def kill(process: subprocess.Popen[bytes], *, group: bool = False) -> None:
    """SIGKILL the server (and its process group when it has one), and reap it."""
    with contextlib.suppress(ProcessLookupError):
        if group:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    process.wait()


class Server:
    """`fhir-server serve` on a free loopback port; its stderr goes to a file the test can show."""

    def __init__(
        self, database_url: str, log_dir: Path, *, workers: int = 1, new_session: bool = False, **extra: str
    ) -> None:
        self.database_url = database_url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/fhir"
        self.log_path = log_dir / f"server-{self.port}.log"
        self.extra = extra
        self.workers = workers
        self.new_session = new_session
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        with self.log_path.open("ab") as log:
            try:
                self.process = spawn(self.database_url, self.port, workers=self.workers, log=log,
                                     new_session=self.new_session, **self.extra)  # fmt: skip
            except RuntimeError as exc:
                raise RuntimeError(f"{exc}:\n{self.log()}") from None
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def kill(self) -> None:
        if self.process is not None:
            kill(self.process, group=self.new_session)

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

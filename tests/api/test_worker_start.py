"""A worker of `serve --workers N` answers uvicorn's health checks from its first steps: the protocol class
it unpickles before the checks start loads neither the app nor FastAPI (the app took 4-6 s to import on a
busy 2-core machine, past uvicorn's default 5 s, and starting workers were killed in a loop)."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

from fhir_server.api.http_protocol import CoalescingHttpToolsProtocol

ROOT = Path(__file__).resolve().parents[2]


def test_unpickling_the_protocol_loads_no_app() -> None:
    pickled = pickle.dumps(CoalescingHttpToolsProtocol)
    probe = (
        "import pickle, sys; pickle.loads(sys.stdin.buffer.read()); "
        "print(sorted(m for m in ('fhir_server.api.app', 'fastapi', 'fhir.resources') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], input=pickled, cwd=ROOT, capture_output=True, check=True)
    assert done.stdout.decode().strip() == "[]"

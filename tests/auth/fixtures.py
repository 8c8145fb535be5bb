"""Auth test fixtures, imported by tests/auth and tests/api/test_auth_*.py (the root conftest is shared)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
import uvicorn
from fastapi.testclient import TestClient

from fhir_server.api.app import create_app
from fhir_server.auth.schema import auth_metadata
from fhir_server.storage.repository import SqlStorage
from tests.conftest import _free_port, make_settings

ORIGIN = "http://127.0.0.1:8080"
FHIR_BASE = f"{ORIGIN}/fhir"


@pytest.fixture
def auth_db(engine: sa.Engine) -> sa.Engine:
    """The migrated database with empty auth tables."""
    with engine.begin() as connection:
        for table in reversed(auth_metadata.sorted_tables):
            connection.execute(table.delete())
    return engine


@pytest.fixture
def auth_http(storage: SqlStorage, auth_db: sa.Engine, database_url: str) -> Iterator[TestClient]:
    """An in-process client whose server believes it is http://127.0.0.1:8080 (a loopback URL,
    so Authlib's https rule allows it)."""
    settings = make_settings(database_url, base_url=FHIR_BASE, auth_login_max_failures=3)
    app = create_app(settings, storage=storage)
    with TestClient(app, base_url=ORIGIN, raise_server_exceptions=False) as client:
        yield client


@contextmanager
def live_auth_server(storage: SqlStorage, database_url: str, **overrides: object) -> Iterator[str]:
    """A uvicorn server on 127.0.0.1 with these settings; yields its FHIR base URL."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}/fhir"
    app = create_app(make_settings(database_url, base_url=base, **overrides), storage=storage)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.02)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)

"""Shared fixtures: every storage-backed test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import uvicorn
from fastapi.testclient import TestClient

from fhir_server.api.app import create_app
from fhir_server.api.http_protocol import CoalescingHttpToolsProtocol
from fhir_server.settings import Settings
from fhir_server.storage import statement_cache
from fhir_server.storage.engine import make_engine, make_read_engine
from fhir_server.storage.migrate import upgrade
from fhir_server.storage.params.common import ExtractContext
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.schema import metadata

# Every reuse of a cached search statement is rebuilt and compared with the cache (a mismatch fails).
statement_cache.VERIFY = True

BASE_URL = "http://testserver/fhir"
IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_ADMIN_URL = os.environ.get("FHIR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def spec_dir() -> Path:
    """The official R4 definitions, used only by tests to check the product's own tables."""
    candidates = [os.environ.get("FHIR_R4_SPEC_DIR", "")]
    candidates += [
        str(Path(__file__).resolve().parents[2] / "shared" / "spec" / "r4"),
        "/work/shared/spec/r4",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "search-parameters.json").exists():
            return Path(candidate)
    if IN_CI:
        pytest.fail("R4 definitions not found: set FHIR_R4_SPEC_DIR")
    pytest.skip("R4 definitions not found: set FHIR_R4_SPEC_DIR")
    raise AssertionError  # unreachable


@pytest.fixture(scope="session")
def r4_spec() -> Path:
    return spec_dir()


def _postgres_database() -> Iterator[str]:
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"fhir_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        message = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc.orig}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield (sa.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'fhir.sqlite3'}"
    else:
        yield from _postgres_database()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(database_url, pool_size=20, max_overflow=20)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def read_engine(engine: sa.Engine) -> Iterator[sa.Engine]:
    read = make_read_engine(engine, pool_size=20, max_overflow=20)
    yield read
    if read is not engine:
        read.dispose()


@pytest.fixture
def storage(engine: sa.Engine, read_engine: sa.Engine) -> SqlStorage:
    """A migrated, empty database."""
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
    return SqlStorage(engine, read_engine, ExtractContext(ZoneInfo("America/Guayaquil"), BASE_URL))


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "base_url": BASE_URL,
        "default_language": "es",
        # The REST core's tests run on an open server; tests/security and tests/auth turn tokens on.
        "auth_enabled": False,
        # A test machine's loop can run late; connections let go at random would break the tests that keep one
        # open (tests/api/test_loop_lag.py turns it on).
        "rebalance_after_lag_ms": 0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def client(storage: SqlStorage, settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, storage=storage)
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as test_client:
        yield test_client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(make_app: Callable[[str], Any]) -> Iterator[str]:
    """A real uvicorn server on 127.0.0.1 for the app ``make_app(base_url)``; yields its FHIR base URL."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}/fhir"
    # The protocol `fhir-server serve` runs, so every live test crosses its write joining.
    config = uvicorn.Config(
        make_app(base), host="127.0.0.1", port=port, log_level="warning", http=CoalescingHttpToolsProtocol
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.02)
    yield base
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def live_server(storage: SqlStorage, database_url: str) -> Iterator[str]:
    """A real uvicorn server on 127.0.0.1; yields its FHIR base URL."""
    with serving(lambda base: create_app(make_settings(database_url, base_url=base), storage=storage)) as base:
        yield base

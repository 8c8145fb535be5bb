"""Engines for SQLite (embedded default) and PostgreSQL (psycopg 3), with their transaction rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

WRITE_OPTION = "fhir_write"


def _postgres_options(statement_timeout_ms: int) -> dict[str, str | None]:
    # JIT compilation costs more than the short queries of a FHIR server save (measured: 176 ms on one
    # search); a statement timeout stops a runaway query from outliving the request that started it.
    # Custom plans: a generic plan cached while the tables were small outlives their growth (seen: a
    # subject search at 25-35 ms instead of 0.1 ms), and FHIR values are skewed (tests/storage/test_plan_cache_mode.py).
    # psycopg prepares nothing itself: the server's statements are prepared by storage.lean, and psycopg
    # would deallocate them all whenever it rolls back a transaction it prepared in.
    options = f"-c jit=off -c plan_cache_mode=force_custom_plan -c statement_timeout={statement_timeout_ms}"
    return {"options": options, "prepare_threshold": None}


SNAPSHOT_OPTION = "fhir_snapshot"


def is_sqlite(engine: Engine) -> bool:
    """True when the engine is SQLite."""
    return engine.dialect.name == "sqlite"


def _sqlite_engine(url: str) -> Engine:
    parsed = make_url(url)
    pooling: dict[str, Any] = {"poolclass": StaticPool}  # one shared in-memory database
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        pooling = {"pool_size": 8, "max_overflow": 8}
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pooling)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Driver autocommit: SQLAlchemy's "begin" event below issues BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the lock up front, so read-then-write never fails to upgrade. Single
        # statement reads need no transaction (each statement is atomic); multi-statement reads
        # ask for a snapshot.
        options = connection.get_execution_options()
        if options.get(WRITE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        elif options.get(SNAPSHOT_OPTION):
            connection.exec_driver_sql("BEGIN")

    return engine


def make_engine(url: str, *, pool_size: int = 10, max_overflow: int = 10, statement_timeout_ms: int = 0) -> Engine:
    """An engine for the URL: SQLite with WAL and immediate write locks, or PostgreSQL with a pool."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_recycle=3600,
        pool_pre_ping=False,
        connect_args=_postgres_options(statement_timeout_ms),
    )


def make_read_engine(
    engine: Engine, *, pool_size: int = 10, max_overflow: int = 10, statement_timeout_ms: int = 0
) -> Engine:
    """The engine for reads: autocommit on PostgreSQL (no BEGIN/ROLLBACK round trips per read).

    SQLite reads already run in driver autocommit on the same engine.
    """
    if is_sqlite(engine):
        return engine
    return create_engine(
        engine.url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_recycle=3600,
        isolation_level="AUTOCOMMIT",
        connect_args=_postgres_options(statement_timeout_ms),
    )


def make_replica_engine(
    url: str, *, pool_size: int = 10, max_overflow: int = 10, statement_timeout_ms: int = 0, connect_timeout_s: int = 2
) -> Engine:
    """The engine for a PostgreSQL streaming replica: autocommit reads, and a short connect timeout so a replica
    that is down costs a request little before it falls back to the primary."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_recycle=3600,
        isolation_level="AUTOCOMMIT",
        connect_args={**_postgres_options(statement_timeout_ms), "connect_timeout": connect_timeout_s},
    )

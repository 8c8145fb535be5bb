"""Statements run on libpq (storage.lean) answer as psycopg's cursor does, on a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg import pq

from fhir_server.storage import lean
from fhir_server.storage.engine import make_engine, make_read_engine
from tests.conftest import _postgres_database

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def dsn() -> Iterator[str]:
    for url in _postgres_database():
        yield url.replace("postgresql+psycopg://", "postgresql://")


def _connect(dsn: str, *, autocommit: bool) -> psycopg.Connection[Any]:
    return psycopg.connect(dsn, autocommit=autocommit, prepare_threshold=None)


@pytest.fixture
def table(dsn: str) -> Iterator[psycopg.Connection[Any]]:
    with _connect(dsn, autocommit=True) as connection:
        connection.execute("DROP TABLE IF EXISTS lean_t")
        connection.execute(
            "CREATE TABLE lean_t (pk bigint PRIMARY KEY, name varchar(64), body bytea, flag boolean,"
            " amount numeric, small integer)"
        )
        yield connection


def _ours(connection: psycopg.Connection[Any]) -> list[str]:
    found = connection.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE 'fhir_%'").fetchall()
    return sorted(name for (name,) in found)


def test_placeholders_become_numbered_parameters() -> None:
    assert lean.converted("SELECT %(a)s, %(b)s, %(a)s") == (b"SELECT $1, $2, $1", ("a", "b"))
    assert lean.converted("SELECT %s, %s WHERE x LIKE 'a%%'") == (b"SELECT $1, $2 WHERE x LIKE 'a%'", 2)
    assert lean.converted("SELECT 1") == (b"SELECT 1", 0)
    # What the cursor's own rules must handle: binary or text placeholders, stray percent signs, both kinds.
    for sql in ("SELECT %b", "SELECT %t", "SELECT 5 % 3", "SELECT %s, %(a)s", "SELECT '%"):
        assert lean.converted(sql) is None, sql


def test_rows_are_the_cursor_s_rows(table: psycopg.Connection[Any]) -> None:
    values = [
        (1, "José Núñez", b"\x00\xffbytes", True, Decimal("12.50"), 7),
        (2, None, None, None, None, None),
        (2**40, "x" * 64, b"", False, Decimal("-0.001"), -32768),
    ]
    insert = "INSERT INTO lean_t VALUES (%s, %s, %s, %s, %s, %s)"
    info: dict[Any, Any] = {}
    for row in values:
        assert lean.rows(table, info, insert, row) == []
    select = "SELECT pk, name, body, flag, amount, small FROM lean_t WHERE pk >= %(low)s ORDER BY pk"
    expected = table.execute(select, {"low": 0}).fetchall()
    for _ in range(3):  # unprepared, then prepared on the second run
        found = lean.rows(table, info, select, {"low": 0})
        assert found == expected
        assert found is not None
        assert [tuple(type(v) for v in row) for row in found] == [tuple(type(v) for v in row) for row in expected]
    assert lean.rows(table, info, select, {"low": 2**41}) == []


def test_a_statement_is_prepared_on_its_second_run_and_survives_rollbacks(dsn: str) -> None:
    with _connect(dsn, autocommit=False) as connection:
        info: dict[Any, Any] = {}
        sql = "SELECT %s::int + 1"
        assert lean.rows(connection, info, sql, [1]) == [(2,)]
        assert _ours(connection) == []
        assert lean.rows(connection, info, sql, [2]) == [(3,)]
        assert _ours(connection) == ["fhir_1"]
        connection.execute("SELECT 1")  # a statement psycopg runs itself, then its rollback
        connection.rollback()
        assert lean.rows(connection, info, sql, [3]) == [(4,)]
        assert _ours(connection) == ["fhir_1"]


def test_the_server_s_connections_leave_preparing_to_it(dsn: str) -> None:
    # psycopg deallocates every statement of a connection on a rollback once it has prepared one itself.
    engine = make_engine(dsn.replace("postgresql://", "postgresql+psycopg://"), pool_size=1, max_overflow=0)
    try:
        for made in (engine, make_read_engine(engine, pool_size=1, max_overflow=0)):
            pooled = made.raw_connection()
            try:
                assert pooled.driver_connection.prepare_threshold is None  # type: ignore[union-attr]
            finally:
                pooled.close()
            made.dispose()
    finally:
        engine.dispose()


def test_it_begins_the_transaction_the_cursor_would_begin(dsn: str, table: psycopg.Connection[Any]) -> None:
    with _connect(dsn, autocommit=False) as connection:
        info: dict[Any, Any] = {}
        assert connection.pgconn.transaction_status == pq.TransactionStatus.IDLE
        assert lean.rows(connection, info, "INSERT INTO lean_t (pk) VALUES (%s)", [10]) == []
        assert connection.pgconn.transaction_status == pq.TransactionStatus.INTRANS
        connection.rollback()
        assert table.execute("SELECT count(*) FROM lean_t").fetchone() == (0,)
        # A transaction with an isolation level of its own is begun by the cursor, which says it.
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        assert lean.rows(connection, info, "SELECT 1", []) is None
        assert connection.pgconn.transaction_status == pq.TransactionStatus.IDLE


def test_errors_are_the_cursor_s_errors(dsn: str, table: psycopg.Connection[Any]) -> None:
    table.execute("INSERT INTO lean_t (pk) VALUES (1)")
    with _connect(dsn, autocommit=False) as connection:
        info: dict[Any, Any] = {}
        insert = "INSERT INTO lean_t (pk) VALUES (%s)"
        with pytest.raises(psycopg.errors.UniqueViolation):
            lean.rows(connection, info, insert, [1])
        # The failed transaction is the cursor's to report from now on.
        assert connection.pgconn.transaction_status == pq.TransactionStatus.INERROR
        assert lean.rows(connection, info, "SELECT 1", []) is None
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            connection.execute("SELECT 1")
        connection.rollback()
        with pytest.raises(psycopg.errors.UndefinedTable):
            lean.rows(connection, info, "SELECT * FROM no_such_table WHERE x = %s", [1])


def test_a_lost_connection_is_an_operational_error_on_a_broken_connection(
    dsn: str, table: psycopg.Connection[Any]
) -> None:
    with _connect(dsn, autocommit=True) as connection:
        info: dict[Any, Any] = {}
        assert lean.rows(connection, info, "SELECT %s::int", [1]) == [(1,)]
        table.execute("SELECT pg_terminate_backend(%s)", [connection.info.backend_pid])
        with pytest.raises(psycopg.OperationalError):
            lean.rows(connection, info, "SELECT %s::int", [1])
        assert connection.broken  # what SQLAlchemy's is_disconnect looks at


def test_the_least_recently_used_statement_is_closed_beyond_the_limit(
    dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lean, "_MOST_PREPARED", 3)
    with _connect(dsn, autocommit=True) as connection:
        info: dict[Any, Any] = {}
        statements = [f"SELECT %s::int + {n}" for n in range(5)]
        for _ in range(3):
            for n, sql in enumerate(statements):
                assert lean.rows(connection, info, sql, [1]) == [(1 + n,)]
        held = _ours(connection)
        if lean._CAN_CLOSE:
            assert len(held) == 3
        else:  # without a protocol Close, newcomers run unprepared
            assert held == ["fhir_1", "fhir_2", "fhir_3"]

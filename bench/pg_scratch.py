"""Scratch PostgreSQL databases for benchmarks, and the CPU their backends use (from /proc, Linux)."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import sqlalchemy as sa


@contextmanager
def scratch_database(admin_url: str, prefix: str, *, keep: bool = False) -> Iterator[tuple[str, str]]:
    """A new database on the server of ``admin_url``: yields (its name, its SQLAlchemy URL); dropped afterwards."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield name, sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def libpq_url(url: str) -> str:
    """A SQLAlchemy ``postgresql+psycopg://`` URL as psycopg itself takes it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def process_cpu(pid: int) -> float | None:
    """CPU seconds one process has used (Linux; None when it is gone or unreadable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class BackendCpu:
    """CPU of the PostgreSQL backends serving each scratch database, sampled from /proc while the import runs.

    "Everything else on the machine" mixes them with other users; this tells the import's own share
    (FHIR writes vs legacy reads) apart. A backend that exits loses at most one sampling interval.
    Only meaningful when the server runs on this machine (the bench's loopback default).
    """

    def __init__(self, admin: str, databases: list[str], interval: float = 0.5) -> None:
        self.conn = psycopg.connect(admin, autocommit=True)
        self.databases, self.interval = databases, interval
        self.first: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="backend-cpu", daemon=True)

    def _sample(self, before: bool = False) -> None:
        rows = self.conn.execute(
            "SELECT pid, datname FROM pg_stat_activity WHERE datname = ANY(%s)", [self.databases]
        ).fetchall()
        for pid, database in rows:
            seconds = process_cpu(pid)
            if seconds is None:
                continue
            if before:  # a backend already open counts from now on; a later one from its start
                self.first[pid] = seconds
            self.last[pid] = (database, seconds)

    def _run(self) -> None:
        while not self.stop.wait(self.interval):
            self._sample()

    def start(self) -> None:
        self._sample(before=True)
        self.thread.start()

    def finish(self) -> dict[str, float]:
        """CPU seconds per database since ``start``."""
        self.stop.set()
        self.thread.join()
        self.conn.close()
        used = dict.fromkeys(self.databases, 0.0)
        for pid, (database, seconds) in self.last.items():
            used[database] += seconds - self.first.get(pid, 0.0)
        return used

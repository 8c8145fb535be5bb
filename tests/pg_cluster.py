"""Throwaway PostgreSQL 15 clusters on 127.0.0.1 for tests: a primary, streaming replicas, crashes, promotion.

initdb and postgres refuse to run as root, so when the tests run as root (CI does) every server command runs as
the ``postgres`` OS user through ``runuser`` and the cluster's directory is handed to that user. As any other user
the commands run directly. Callers choose ports (``free_port()``) and directories; ``running_cluster()`` and
``replicated_pair()`` create both in a fresh temporary directory and always clean up, even when the test fails.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import sqlalchemy as sa

IN_CI = os.environ.get("CI", "").lower() == "true"
SERVICE_USER = "postgres"


class PgClusterUnavailable(RuntimeError):
    """The PostgreSQL server binaries (or the postgres OS user, when running as root) are missing."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_bindir() -> Path:
    """The directory holding initdb, pg_ctl and pg_basebackup (PostgreSQL 15 preferred)."""
    candidates = [os.environ.get("FHIR_TEST_PG_BINDIR", ""), "/usr/lib/postgresql/15/bin"]
    with suppress(OSError):
        candidates.append(subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip())
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    raise PgClusterUnavailable("PostgreSQL server binaries (initdb, pg_ctl) not found; set FHIR_TEST_PG_BINDIR")


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _hand_to_service_user(path: Path) -> None:
    if not _running_as_root():
        return
    try:
        entry = pwd.getpwnam(SERVICE_USER)
    except KeyError as exc:
        raise PgClusterUnavailable(f"running as root needs the {SERVICE_USER!r} OS user") from exc
    for root, dirs, files in os.walk(path):
        os.chown(root, entry.pw_uid, entry.pw_gid)
        for name in dirs + files:
            os.chown(Path(root) / name, entry.pw_uid, entry.pw_gid, follow_symlinks=False)


def make_cluster_dir(prefix: str = "pgcluster-") -> Path:
    """A fresh directory under the system temp dir that the server's OS user can reach."""
    return Path(tempfile.mkdtemp(prefix=prefix))


class PgCluster:
    """One PostgreSQL cluster: data in ``base_dir/data``, socket in ``base_dir``, log in ``base_dir/server.log``.

    ``durable=False`` turns off fsync and synchronous commit for speed; fault tests that check acknowledged writes
    survive a crash keep the default.
    """

    def __init__(self, base_dir: Path, port: int, *, durable: bool = True, bindir: Path | None = None) -> None:
        self.base_dir = Path(base_dir).resolve()
        self.port = port
        self.durable = durable
        self.bindir = bindir or find_bindir()
        self.data_dir = self.base_dir / "data"
        self.log_file = self.base_dir / "server.log"
        self.running = False

    # -- commands ---------------------------------------------------------------------------------------------

    def _run(
        self, program: str, *args: str, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        command: list[str] = [str(self.bindir / program), *args]
        if _running_as_root():
            command = ["runuser", "-u", SERVICE_USER, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, cwd=self.base_dir, timeout=timeout)
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{program} {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
                f"\n{self.log_tail()}"
            )
        return result

    def log_tail(self, lines: int = 20) -> str:
        """The end of the server log, for error messages."""
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _settings(self) -> dict[str, str]:
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.base_dir}'",
            "max_connections": "200",
            "shared_buffers": "16MB",
            "wal_level": "replica",
            "max_wal_senders": "5",
            "wal_keep_size": "64MB",
            "hot_standby": "on",
            "logging_collector": "off",
            "fsync": "on" if self.durable else "off",
            "synchronous_commit": "on" if self.durable else "off",
            "full_page_writes": "on" if self.durable else "off",
            "track_counts": "on",
        }
        return settings

    def _write_settings(self) -> None:
        # Later lines win in postgresql.conf, so appending overrides what initdb or pg_basebackup copied.
        lines = [f"{key} = {value}" for key, value in self._settings().items()]
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write("\n# throwaway test cluster\n" + "\n".join(lines) + "\n")

    # -- lifecycle --------------------------------------------------------------------------------------------

    def init(self) -> PgCluster:
        """initdb with trust auth for local and 127.0.0.1 connections, replication included."""
        self.base_dir.mkdir(parents=True, exist_ok=True)
        _hand_to_service_user(self.base_dir)
        # --no-sync: the files initdb writes are fsynced by the first checkpoint; only an OS crash could lose them.
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        self._write_settings()
        return self

    def start(self, timeout: float = 30) -> PgCluster:
        """Start and wait until the server accepts connections."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", str(int(timeout)), "start")
        self.running = True
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop: ``fast`` rolls back sessions and checkpoints; ``immediate`` is a crash (recovery on next start)."""
        if mode not in {"smart", "fast", "immediate"}:
            raise ValueError(f"unknown stop mode {mode!r}")
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "-t", "60", "stop")
        self.running = False

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def kill(self) -> None:
        """SIGKILL the postmaster, as the OOM killer would; its children exit when they see it gone."""
        pid_file = self.data_dir / "postmaster.pid"
        pid = int(pid_file.read_text().splitlines()[0])
        os.kill(pid, 9)
        self.running = False

    def promote(self) -> None:
        """Turn this standby into a primary that accepts writes."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-w", "-t", "60", "promote")

    def cleanup(self) -> None:
        """Stop (as a crash: nothing left is worth a checkpoint) and remove every file of the cluster."""
        if self.data_dir.joinpath("postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop", check=False)
        self.running = False
        shutil.rmtree(self.base_dir, ignore_errors=True)

    # -- connections ------------------------------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def query(self, sql: str, database: str = "postgres", **params: Any) -> list[tuple[Any, ...]]:
        """Run one statement in autocommit and return its rows (empty for statements without rows)."""
        engine = sa.create_engine(self.url(database), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as connection:
                result = connection.execute(sa.text(sql), params)
                return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            engine.dispose()

    def create_database(self, name: str) -> str:
        """Create a database and return its URL."""
        self.query(f'CREATE DATABASE "{name}"')
        return self.url(name)

    # -- replication ------------------------------------------------------------------------------------------

    def make_replica(self, base_dir: Path, port: int) -> PgCluster:
        """A streaming hot standby of this (running) primary: pg_basebackup -R, then started."""
        replica = PgCluster(base_dir, port, durable=self.durable, bindir=self.bindir)
        replica.base_dir.mkdir(parents=True, exist_ok=True)
        _hand_to_service_user(replica.base_dir)
        self._run(
            "pg_basebackup",
            *("-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"),
            *("-D", str(replica.data_dir), "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"),
            timeout=120,
        )
        replica._write_settings()
        return replica.start()

    def wal_lsn(self) -> str:
        """The primary's current WAL write position."""
        return str(self.query("SELECT pg_current_wal_lsn()::text")[0][0])

    def wait_replayed(self, lsn: str, timeout: float = 30) -> None:
        """Wait until this standby has replayed the WAL up to ``lsn``."""
        deadline = time.monotonic() + timeout
        while True:
            done = self.query("SELECT pg_last_wal_replay_lsn() >= CAST(:lsn AS pg_lsn)", lsn=lsn)[0][0]
            if done:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"replica on port {self.port} did not replay up to {lsn}")
            time.sleep(0.02)


def _unavailable(message: str) -> None:
    import pytest  # only the context managers used by tests reach here

    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def running_cluster(*, durable: bool = True, port: int | None = None) -> Iterator[PgCluster]:
    """A started cluster in a fresh temp dir, removed afterwards; skips (fails in CI) without binaries."""
    base = make_cluster_dir()
    try:
        cluster = PgCluster(base, port or free_port(), durable=durable)
    except PgClusterUnavailable as exc:
        shutil.rmtree(base, ignore_errors=True)
        _unavailable(str(exc))
        raise
    try:
        yield cluster.init().start()
    finally:
        cluster.cleanup()


@contextmanager
def replicated_pair(*, durable: bool = True, databases: Sequence[str] = ()) -> Iterator[tuple[PgCluster, PgCluster]]:
    """A primary and a streaming replica (both started, ``databases`` created first); both removed afterwards."""
    with running_cluster(durable=durable) as primary:
        for name in databases:
            primary.create_database(name)
        replica_dir = make_cluster_dir("pgreplica-")
        try:
            yield primary, primary.make_replica(replica_dir, free_port())
        finally:
            PgCluster(replica_dir, 0, bindir=primary.bindir).cleanup()

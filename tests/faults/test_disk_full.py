"""Disk full: the database's files sit on a small tmpfs that a filler file fills up.

Writes then fail with a clean 503 OperationOutcome (the server cannot act now; the operator frees
space), a transaction is all there or not at all, and writes succeed again once space returns.
SQLite: the whole database on the tmpfs. PostgreSQL: a throwaway cluster whose database lives in a
tablespace on the tmpfs (the WAL stays on the main disk, so commits are not what fails: table growth is).
"""

from __future__ import annotations

import base64
import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import IN_CI
from tests.faults.server import FHIR_JSON, FULL, Server, count_by_identifier, is_outcome, migrate, report
from tests.pg_cluster import SERVICE_USER, running_cluster

pytestmark = pytest.mark.slow
SYSTEM = "urn:fhir-server:test:disk"
TAG = "urn:fhir-server:test:disk-tx"
ATTEMPTS = 60 if FULL else 25


@contextmanager
def small_tmpfs(path: Path, megabytes: int) -> Iterator[Path]:
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("mounting a tmpfs needs root")
        pytest.skip("mounting a tmpfs needs root")
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m,mode=0777", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(path: Path) -> Path:
    """Write zeros until the file system is full; return the filler file."""
    filler = path / "filler"
    with filler.open("wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
    return filler


def bulky_patient(value: str) -> dict[str, object]:
    # Random text (incompressible) so each write needs new pages.
    noise = base64.b64encode(os.urandom(12_000)).decode()
    return {"resourceType": "Patient", "identifier": [{"system": SYSTEM, "value": value}],
            "name": [{"family": "Lleno", "given": [noise[:8000]]}]}  # fmt: skip


def transaction(n: int) -> dict[str, object]:
    entries = [{"resource": {**bulky_patient(f"t{n}-{i}"), "meta": {"tag": [{"system": TAG, "code": f"t{n}"}]}},
                "request": {"method": "POST", "url": "Patient"}} for i in range(5)]  # fmt: skip
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def exercise(base: str, mount: Path) -> str:
    acknowledged: set[str] = set()
    statuses: dict[int, int] = {}
    transactions: list[int] = []
    with httpx.Client(timeout=30) as http:
        assert http.post(f"{base}/Patient", json=bulky_patient("before"), headers=FHIR_JSON).status_code == 201
        acknowledged.add("before")
        filler = fill(mount)
        for n in range(ATTEMPTS):
            value = f"full{n}"
            if n % 5 == 0:
                response = http.post(base, json=transaction(n), headers=FHIR_JSON)
                transactions.append(n)
            else:
                response = http.post(f"{base}/Patient", json=bulky_patient(value), headers=FHIR_JSON)
                if response.status_code == 201:
                    acknowledged.add(value)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            assert response.status_code in (200, 201, 503), response.text[:500]
            if response.status_code == 503:
                assert is_outcome(response), response.text[:500]
        reads = http.get(f"{base}/Patient", params={"identifier": f"{SYSTEM}|before"})
        filler.unlink()
        after = http.post(f"{base}/Patient", json=bulky_patient("after"), headers=FHIR_JSON)
        assert after.status_code == 201, f"no recovery once space returned: {after.status_code} {after.text[:500]}"
        acknowledged.add("after")
        counts = count_by_identifier(http, base, SYSTEM)
        halves = {}
        for n in transactions:
            found = http.get(f"{base}/Patient", params={"_tag": f"{TAG}|t{n}", "_summary": "count"}).json()["total"]
            if found not in (0, 5):
                halves[n] = found
    summary = (f"statuses while full {statuses}, reads while full {reads.status_code}, "
               f"acknowledged {len(acknowledged)}, missing {sorted(acknowledged - set(counts))}, "
               f"half-written transactions {halves}")  # fmt: skip
    assert statuses.get(503), f"the disk never filled up: {summary}"
    assert acknowledged <= set(counts) and not halves, summary
    assert all(n == 1 for n in counts.values()), summary
    return summary


def test_sqlite_disk_full(tmp_path, capsys):
    with small_tmpfs(tmp_path / "mnt", 48) as mount:
        url = f"sqlite:///{mount / 'fhir.sqlite3'}"
        migrate(url)
        with Server(url, tmp_path) as server:
            summary = exercise(server.base, mount)
    report(capsys, f"SQLite disk full: {summary}")


@pytest.mark.postgres
def test_postgres_tablespace_full(tmp_path, capsys):
    # Under the cluster's directory: the server's OS user must reach the mount point.
    with running_cluster() as cluster, small_tmpfs(cluster.base_dir / "small", 32) as mount:
        space = mount / "space"
        space.mkdir()
        subprocess.run(["chown", f"{SERVICE_USER}:", str(space)], check=True)
        cluster.query(f"CREATE TABLESPACE small LOCATION '{space}'")
        name = f"fhir_{uuid.uuid4().hex[:8]}"
        cluster.query(f'CREATE DATABASE "{name}" TABLESPACE small')
        url = cluster.url(name)
        migrate(url)
        with Server(url, tmp_path) as server:
            summary = exercise(server.base, mount)
    report(capsys, f"PostgreSQL tablespace full: {summary}")

"""A scratch Medly: a MariaDB/MySQL database with a unique name, filled by medly_data, dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pymysql
import pytest

from tests.conftest import IN_CI
from tests.mappings.legacy import medly_data, medly_schema

HOST, PORT = "127.0.0.1", int(os.environ.get("FHIR_TEST_MARIADB_PORT", "3306"))


@dataclass(frozen=True)
class MedlyDump:
    url: str
    expedientes: Path
    planted: medly_data.Planted


def _admin() -> pymysql.connections.Connection[pymysql.cursors.Cursor]:
    try:
        return pymysql.connect(host=HOST, port=PORT, user="root", password="", charset="utf8mb4", autocommit=True)
    except pymysql.err.OperationalError as exc:
        message = f"MariaDB is not reachable at {HOST}:{PORT}: {exc}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def medly_dump(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MedlyDump]:
    admin = _admin()
    name = f"medly_test_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    try:
        conn = pymysql.connect(host=HOST, port=PORT, user="root", password="", database=name, charset="utf8mb4")
        try:
            medly_schema.create(conn)
            export = tmp_path_factory.mktemp("medly") / "expedientes.jsonl"
            planted = medly_data.generate(conn, export, patients=30, consultations=60)
        finally:
            conn.close()
        yield MedlyDump(f"mysql://root@{HOST}:{PORT}/{name}", export, planted)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()

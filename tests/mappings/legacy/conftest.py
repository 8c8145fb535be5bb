"""A scratch legacy EHR database on the real PostgreSQL server, and a FHIR target ready for the import."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
import sqlalchemy as sa

from fhir_server.auth.schema import auth_metadata
from fhir_server.mappings.legacy.ehr.geography import DpaIndex, dpa_index
from fhir_server.model.json import loads
from fhir_server.storage.repository import SqlStorage
from tests.clinic.conftest import load_clinic
from tests.conftest import IN_CI, POSTGRES_ADMIN_URL
from tests.mappings.legacy.ehr_data import Planted, generate
from tests.mappings.legacy.ehr_schema import create_schema


@dataclass
class LegacyEhr:
    url: str
    planted: Planted


def _admin_url() -> str:
    return sa.make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql").render_as_string(hide_password=False)


def scratch_ehr(patients: int, consultations: int) -> Iterator[LegacyEhr]:
    """A new database with the legacy schema and generated data; dropped afterwards."""
    name = f"legacy_ehr_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(_admin_url(), autocommit=True)
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    url = sa.make_url(_admin_url()).set(database=name).render_as_string(hide_password=False)
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
        with psycopg.connect(url) as conn:
            create_schema(conn)
            planted = generate(conn, patients=patients, consultations=consultations)
        yield LegacyEhr(url, planted)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="module")
def legacy_ehr() -> Iterator[LegacyEhr]:
    yield from scratch_ehr(patients=12, consultations=24)


def stored_dpa(storage: SqlStorage) -> DpaIndex:
    stored = storage.read("CodeSystem", "ec-dpa")
    return dpa_index(loads(stored.content) if stored is not None and stored.content else None)


@pytest.fixture
def clinic_target(storage: SqlStorage) -> SqlStorage:
    """The empty FHIR database (no accounts either) with the clinic's terminology, the DPA, CIE-10 and the
    medicines catalog."""
    with storage.engine.begin() as connection:
        for table in reversed(auth_metadata.sorted_tables):
            connection.execute(table.delete())
    load_clinic(storage)
    return storage

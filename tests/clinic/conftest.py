"""A clinic server: the project's terminology, the INEC geography, a synthetic CIE-10 and the built-in profiles.

Loading all of it takes about a second, so each engine gets one clinic database per session; tests
write with fresh ids and cédulas (``new_cedula``) instead of wiping it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from fhir_server.api.app import create_app
from fhir_server.interactions.context import Principal, RequestContext
from fhir_server.interactions.terminology_load import LoadOptions, load_built_ins, load_terminology
from fhir_server.mappings.medicines import read_catalog
from fhir_server.storage.engine import make_engine, make_read_engine
from fhir_server.storage.migrate import upgrade
from fhir_server.storage.params.common import ExtractContext
from fhir_server.storage.repository import SqlStorage
from fhir_server.terminology.loaders.project import default_directory
from tests.conftest import BASE_URL, _postgres_database, make_settings, serving
from tests.terminology.helpers import DPA_CSV, FIXTURES

SYSTEM = RequestContext(BASE_URL, "es", ZoneInfo("America/Guayaquil"), principal=Principal(kind="system"))


def load_clinic(storage: SqlStorage) -> None:
    """What an administrator loads (S2 step 1): terminology, geography, CIE-10 and the medicines catalog."""
    options = LoadOptions(project_dir=default_directory(), dpa=DPA_CSV, cie10_file=FIXTURES / "icd10-sintetico.json")
    options.extra = list(read_catalog(FIXTURES.parent / "medicamentos.csv"))
    load_terminology(storage, SYSTEM, options)
    load_built_ins(storage, SYSTEM)


def new_cedula(province: int | None = None) -> str:
    """A random cédula with a valid province, third digit and módulo-10 check digit."""
    digits = [*divmod(province or random.randint(1, 24), 10), random.randint(0, 5)]
    digits += [random.randint(0, 9) for _ in range(6)]
    total = sum(d * c - 9 * (d * c > 9) for d, c in zip(digits, (2, 1, 2, 1, 2, 1, 2, 1, 2), strict=True))
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


@pytest.fixture(scope="session")
def clinic_database_url(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path_factory.mktemp('clinic') / 'clinic.sqlite3'}"
    else:
        yield from _postgres_database()


@pytest.fixture(scope="session")
def clinic_storage(clinic_database_url: str) -> Iterator[SqlStorage]:
    engine: sa.Engine = make_engine(clinic_database_url, pool_size=10, max_overflow=10)
    upgrade(engine)
    read = make_read_engine(engine, pool_size=10, max_overflow=10)
    storage = SqlStorage(engine, read, ExtractContext(ZoneInfo("America/Guayaquil"), BASE_URL))
    load_clinic(storage)
    yield storage
    if read is not engine:
        read.dispose()
    engine.dispose()


@pytest.fixture
def clinic(clinic_storage: SqlStorage, clinic_database_url: str) -> Iterator[TestClient]:
    """A test client on the session's clinic database (profiles claimed, not mandatory)."""
    app = create_app(make_settings(clinic_database_url), storage=clinic_storage)
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def strict_clinic(clinic_storage: SqlStorage, clinic_database_url: str) -> Iterator[TestClient]:
    """The same clinic with FHIR_CLINIC_PROFILES=required."""
    settings = make_settings(clinic_database_url, clinic_profiles="required")
    app = create_app(settings, storage=clinic_storage)
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def clinic_live(clinic_storage: SqlStorage, clinic_database_url: str) -> Iterator[str]:
    """A real uvicorn server on the clinic database; yields its FHIR base URL."""
    with serving(
        lambda base: create_app(make_settings(clinic_database_url, base_url=base), storage=clinic_storage)
    ) as base:
        yield base

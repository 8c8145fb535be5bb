"""/healthz and /readyz: outside /fhir, no token, cheap; readiness follows the database and its schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from fhir_server.api.app import create_app
from fhir_server.api.ops import expected_revisions
from fhir_server.storage.engine import make_engine
from fhir_server.storage.repository import SqlStorage
from tests.conftest import make_settings


@pytest.fixture
def secured_client(storage: SqlStorage, database_url: str) -> Iterator[TestClient]:
    app = create_app(make_settings(database_url, auth_enabled=True), storage=storage)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_healthz_and_readyz_answer_without_a_token(secured_client: TestClient) -> None:
    assert secured_client.get("/fhir/Patient").status_code == 401  # the API itself still demands one
    health = secured_client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert health.headers["cache-control"] == "no-store"
    ready = secured_client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready"}


def test_readyz_is_503_while_the_schema_is_behind(client: TestClient, storage: SqlStorage) -> None:
    (head,) = expected_revisions()
    with storage.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        response = client.get("/readyz", headers={"Accept-Language": "en"})
        assert response.status_code == 503
        outcome = response.json()
        assert outcome["resourceType"] == "OperationOutcome"
        assert "fhir-server migrate" in outcome["issue"][0]["details"]["text"]
        spanish = client.get("/readyz").json()["issue"][0]["details"]["text"]
        assert spanish.startswith("El esquema")
        assert client.get("/healthz").status_code == 200  # the process is still up
    finally:
        with storage.engine.begin() as connection:
            connection.execute(sa.text("UPDATE alembic_version SET version_num = :head"), {"head": head})
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_when_the_database_does_not_answer() -> None:
    # Port 9 on loopback: nothing listens, so connecting fails at once.
    unreachable = "postgresql+psycopg://postgres@127.0.0.1:9/none"
    engine = make_engine(unreachable)
    settings = make_settings(unreachable, audit_enabled=False)
    try:
        with TestClient(create_app(settings, storage=SqlStorage(engine)), raise_server_exceptions=False) as client:
            assert client.get("/healthz").status_code == 200
            response = client.get("/readyz", headers={"Accept-Language": "en"})
            assert response.status_code == 503
            issue = response.json()["issue"][0]
            assert issue["code"] == "transient"
            assert "database does not answer" in issue["details"]["text"]
    finally:
        engine.dispose()

"""PostgreSQL plans every statement with its own values, never with a generic plan cached on the connection.

psycopg prepares a statement after a few runs, and PostgreSQL then switches a prepared statement to a
generic plan when that looks no dearer. A clinic's tables start empty, where every plan looks cheap: the
generic plan chosen then (seen: walk every Observation by date and probe the reference index for each)
stays on the connection while the table grows, and searches by subject took 25-35 ms each instead of
0.1 ms until an ANALYZE replanned them. Values are skewed too (one patient with 5 observations, another
with 2,000), which a plan made without the values cannot follow.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from fhir_server.api.app import create_app
from fhir_server.storage.engine import make_engine, make_read_engine
from fhir_server.storage.migrate import upgrade
from fhir_server.storage.params.common import ExtractContext
from fhir_server.storage.repository import SqlStorage
from tests.conftest import BASE_URL, _postgres_database, make_settings

FHIR = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}


@pytest.mark.postgres
def test_repeated_searches_are_never_run_with_a_generic_plan() -> None:
    for url in _postgres_database():
        engine = make_engine(url, pool_size=1, max_overflow=0)
        # One read connection: every search below runs on it, so its prepared statements tell the story.
        read_engine = make_read_engine(engine, pool_size=1, max_overflow=0)
        try:
            upgrade(engine)
            storage = SqlStorage(engine, read_engine, ExtractContext(ZoneInfo("America/Guayaquil"), BASE_URL))
            app = create_app(make_settings(url, audit_enabled=False), storage=storage)
            with TestClient(app, raise_server_exceptions=False) as client:
                client.put("/fhir/Patient/p1", json={"resourceType": "Patient", "id": "p1"}, headers=FHIR)
                observation = {"resourceType": "Observation", "status": "final", "code": {"text": "peso"},
                               "subject": {"reference": "Patient/p1"}}  # fmt: skip
                for _ in range(3):
                    assert client.post("/fhir/Observation", json=observation, headers=FHIR).status_code == 201
                for _ in range(12):
                    found = client.get("/fhir/Observation?subject=Patient/p1&_sort=-_lastUpdated&_count=10")
                    assert found.status_code == 200
                    assert len(found.json()["entry"]) == 3
            with read_engine.connect() as connection:
                plans = connection.execute(sa.text(
                    "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
                    " WHERE statement LIKE '%idx_reference%'"
                )).all()  # fmt: skip
        finally:
            read_engine.dispose()
            engine.dispose()
        assert plans, "the subject search was never prepared: the check would prove nothing"
        assert all(generic == 0 for _, generic, _ in plans), plans
        # psycopg prepares on a statement's sixth run: the later runs were all planned with their values
        assert sum(custom for _, _, custom in plans) >= 5, plans

"""Server faults answer 500 with an OperationOutcome and a request id, never internals."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from fhir_server.api.app import create_app
from fhir_server.interactions import crud
from tests.conftest import make_settings
from tests.fhir_helpers import issue_codes


@pytest.fixture
def faulty_client(storage, database_url, monkeypatch):
    def explode(*_args, **_kwargs):
        raise RuntimeError("SELECT secret FROM internals")

    monkeypatch.setattr(crud, "read", explode)
    app = create_app(make_settings(database_url), storage=storage)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_unexpected_errors_are_500_outcomes_without_internals(faulty_client):
    response = faulty_client.get("/fhir/Patient/1", headers={"X-Request-ID": "req-42", "Accept-Language": "en"})
    assert response.status_code == 500
    outcome = response.json()
    assert issue_codes(outcome) == ["exception"]
    assert "req-42" in outcome["issue"][0]["diagnostics"]
    assert "secret" not in response.text and "Traceback" not in response.text
    assert response.headers["content-type"].startswith("application/fhir+json")


def test_unmigrated_database_is_a_clear_503(tmp_path):
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'empty.sqlite3'}"))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/fhir/Patient/1")
        assert response.status_code == 503
        assert issue_codes(response.json()) == ["transient"]

"""The storage an application builds for itself follows the settings: its base URL and time zone index
what clients send, and its reads run on their own autocommit engine."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from fhir_server.api.app import create_app
from fhir_server.storage.engine import is_sqlite
from fhir_server.storage.repository import SqlStorage
from tests.conftest import make_settings

BASE = "https://clinica.example.ec/fhir"
FHIR = {"Content-Type": "application/fhir+json"}


def _observation(subject: str, effective: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}]},
        "subject": {"reference": subject},
        "effectiveDateTime": effective,
    }


def test_own_storage_indexes_with_the_configured_base_and_zone(storage: SqlStorage, database_url: str) -> None:
    # Madrid's midnight is not Guayaquil's: a day-precision date indexed in another zone would miss.
    settings = make_settings(database_url, base_url=BASE, timezone="Europe/Madrid", audit_enabled=False)
    app = create_app(settings)
    with TestClient(app, base_url="https://clinica.example.ec") as client:
        absolute = client.post(
            "/fhir/Observation", json=_observation(f"{BASE}/Patient/ana", "2026-01-15"), headers=FHIR
        )
        assert absolute.status_code == 201, absolute.text
        found = client.get("/fhir/Observation?subject=Patient/ana").json()
        assert [e["resource"]["id"] for e in found.get("entry", [])] == [absolute.json()["id"]]
        on_day = client.get("/fhir/Observation?date=2026-01-15").json()
        assert [e["resource"]["id"] for e in on_day.get("entry", [])] == [absolute.json()["id"]]
        own = app.state.storage
        assert own.context.base_url == BASE and str(own.context.zone) == "Europe/Madrid"
        if is_sqlite(own.engine):
            assert own.read_engine is own.engine
        else:
            assert own.read_engine is not own.engine
            with own.read_engine.connect() as connection:
                assert connection.connection.driver_connection.autocommit  # no BEGIN/ROLLBACK per read

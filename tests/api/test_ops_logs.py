"""Access log: one structured line per request, with request id and client, and never patient data."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from fhir_server.api.app import create_app
from fhir_server.logs import JsonFormatter, log_config
from fhir_server.storage.repository import SqlStorage
from tests.conftest import make_settings
from tests.security.conftest import Mint, mint  # noqa: F401

NAME = "Zyzzyvaquishpe"
FHIR = {"Content-Type": "application/fhir+json"}
TEST_CLIENT_LOGGERS = ("httpx", "httpx2", "httpcore")  # the test's own HTTP client, not the server


def server_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.split(".")[0] not in TEST_CLIENT_LOGGERS]


def rendered(caplog: pytest.LogCaptureFixture) -> str:
    """Everything logged, as the JSON formatter writes it and as plain messages."""
    formatter = JsonFormatter()
    records = server_records(caplog)
    assert records, "nothing was logged"
    lines = [formatter.format(record) for record in records]
    lines += [record.getMessage() for record in records]
    return "\n".join(lines)


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "fhir_server.access"]


def test_logs_never_hold_names_or_query_values(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    patient = {"resourceType": "Patient", "name": [{"family": NAME, "given": [f"{NAME}a"]}]}
    created = client.post("/fhir/Patient", json=patient, headers=FHIR)
    assert created.status_code == 201
    found = client.get("/fhir/Patient", params={"name": NAME, "_count": "5"})
    assert found.status_code == 200 and found.json()["total"] == 1
    assert client.post("/fhir/Patient/_search", data={"family": NAME}).status_code == 200
    # A rejected body that holds the name, and a search on an unknown parameter naming it.
    bad = {"resourceType": "Patient", "name": [{"family": NAME}], "birthDate": f"{NAME}-01-01"}
    assert client.post("/fhir/Patient", json=bad, headers=FHIR).status_code == 400
    assert (
        client.get("/fhir/Patient", params={f"{NAME}x": NAME}, headers={"Prefer": "handling=strict"}).status_code == 400
    )
    text = rendered(caplog)
    assert NAME.lower() not in text.lower()
    lines = access_lines(caplog)
    assert len(lines) == 5
    first = lines[0]
    assert first["request_id"] == created.headers["x-request-id"]
    assert first["method"] == "POST" and first["route"] == "/fhir/Patient" and first["status"] == 201
    assert first["interaction"] == "create"
    assert isinstance(first["duration_ms"], float)
    assert [line["route"] for line in lines[1:3]] == ["/fhir/Patient", "/fhir/Patient/_search"]


def test_routes_are_logged_as_templates(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="fhir_server.access")
    response = client.get("/fhir/Patient/some-id-42/_history/7", headers={"X-Request-ID": "caller-chosen-id"})
    assert response.status_code == 404
    assert client.get("/healthz").status_code == 200  # probes are not logged
    (line,) = access_lines(caplog)
    assert line["route"] == "/fhir/Patient/{id}/_history/{vid}"
    assert line["request_id"] == "caller-chosen-id"
    assert "some-id-42" not in rendered(caplog)


def test_the_token_client_id_is_logged(storage: SqlStorage, database_url: str, mint: Mint, caplog) -> None:  # noqa: F811
    caplog.set_level(logging.INFO, logger="fhir_server.access")
    app = create_app(make_settings(database_url, auth_enabled=True), storage=storage)
    headers = mint(None, None, "system/Patient.read")
    with TestClient(app, raise_server_exceptions=False) as secured:
        assert secured.get("/fhir/Patient", headers=headers).status_code == 200
        assert secured.get("/fhir/Patient").status_code == 401
    granted, refused = access_lines(caplog)
    assert str(granted["client_id"]).startswith("app-")
    assert refused["client_id"] is None and refused["status"] == 401


def test_log_formats() -> None:
    record = logging.LogRecord("fhir_server.access", logging.INFO, __file__, 1, "GET %s", ("/x",), None)
    record.fields = {"status": 200}
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "GET /x" and line["status"] == 200 and line["level"] == "info"
    assert log_config("json", "info")["formatters"]["default"]["()"].endswith("JsonFormatter")
    assert "format" in log_config("text", "info")["formatters"]["default"]

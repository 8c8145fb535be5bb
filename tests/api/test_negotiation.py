"""Accept, _format, Content-Type, _pretty, Prefer, body limits, unknown routes and methods."""

from __future__ import annotations

import json

import pytest

from fhir_server.api.middleware import header_value
from tests.conftest import make_settings
from tests.fhir_helpers import FHIR_JSON, issue_codes, patient


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("application/fhir+json", "application/fhir+json"),
        ("application/json", "application/json"),
        ("*/*", "application/fhir+json"),
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "application/fhir+json",
        ),
        (None, "application/fhir+json"),
    ],
)
def test_accept_json_variants(client, accept, media):
    headers = {"Accept": accept} if accept else {}
    response = client.get("/fhir/metadata", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media


@pytest.mark.parametrize("accept", ["application/fhir+xml", "application/xml", "text/turtle"])
def test_accept_without_json_is_406(client, accept):
    response = client.get("/fhir/metadata", headers={"Accept": accept})
    assert response.status_code == 406
    assert issue_codes(response.json()) == ["not-supported"]


@pytest.mark.parametrize(("fmt", "status"), [("json", 200), ("application/fhir+json", 200), ("xml", 406), ("ttl", 406)])
def test_format_parameter(client, fmt, status):
    assert client.get("/fhir/metadata", params={"_format": fmt}).status_code == status


def test_an_unacceptable_accept_is_refused_every_time_and_a_long_one_is_read_in_full(client):
    for _ in range(2):  # the answers kept per Accept header keep no refusal
        assert client.get("/fhir/metadata", headers={"Accept": "application/fhir+xml"}).status_code == 406
    long_accept = ", ".join(f"text/x-{n};q=0.{n % 9 + 1}" for n in range(30)) + ", application/fhir+json;q=0.5"
    assert len(long_accept) > 200
    assert client.get("/fhir/metadata", headers={"Accept": long_accept}).status_code == 200


def test_format_overrides_accept(client):
    response = client.get("/fhir/metadata", params={"_format": "json"}, headers={"Accept": "application/fhir+xml"})
    assert response.status_code == 200


@pytest.mark.parametrize("content_type", ["application/xml", "text/plain", "application/x-www-form-urlencoded"])
def test_unsupported_body_is_415(client, content_type):
    response = client.post("/fhir/Patient", content=json.dumps(patient()), headers={"Content-Type": content_type})
    assert response.status_code == 415
    assert issue_codes(response.json()) == ["not-supported"]


def test_json_content_types_are_accepted(client):
    for content_type in (
        "application/fhir+json",
        "application/json",
        "application/fhir+json; charset=utf-8",
    ):
        response = client.post("/fhir/Patient", content=json.dumps(patient()), headers={"Content-Type": content_type})
        assert response.status_code == 201


def test_pretty(client):
    created = client.post("/fhir/Patient", content=json.dumps(patient()), headers=FHIR_JSON).json()
    compact = client.get(f"/fhir/Patient/{created['id']}").text
    pretty = client.get(f"/fhir/Patient/{created['id']}", params={"_pretty": "true"}).text
    assert "\n" not in compact
    assert "\n  " in pretty
    assert json.loads(pretty) == json.loads(compact)


@pytest.mark.parametrize(
    ("prefer", "expect"),
    [
        ("return=minimal", "empty"),
        ("return=representation", "Patient"),
        ("return=OperationOutcome", "OperationOutcome"),
    ],
)
def test_prefer_return(client, prefer, expect):
    response = client.post("/fhir/Patient", content=json.dumps(patient()), headers={**FHIR_JSON, "Prefer": prefer})
    assert response.status_code == 201
    assert response.headers["location"]
    if expect == "empty":
        assert response.content == b""
    else:
        assert response.json()["resourceType"] == expect


def test_body_over_the_limit_is_413(storage, database_url):
    from fastapi.testclient import TestClient

    from fhir_server.api.app import create_app

    app = create_app(make_settings(database_url, max_body_bytes=2048), storage=storage)
    with TestClient(app) as small:
        big = patient(
            text={
                "status": "generated",
                "div": '<div xmlns="http://www.w3.org/1999/xhtml">' + "x" * 4000 + "</div>",
            }
        )
        response = small.post("/fhir/Patient", content=json.dumps(big), headers=FHIR_JSON)
        assert response.status_code == 413
        assert issue_codes(response.json()) == ["too-costly"]

        def chunks():
            yield json.dumps(big).encode()

        streamed = small.post("/fhir/Patient", content=chunks(), headers=FHIR_JSON)
        assert streamed.status_code == 413
        assert small.get("/fhir/Patient").json().get("entry", []) == []


def test_unknown_route_and_method(client):
    assert client.get("/fhir/Patient/1/foo/bar/baz").status_code == 404
    response = client.post("/fhir/Patient/123", content="{}", headers=FHIR_JSON)
    assert response.status_code == 405
    assert issue_codes(response.json()) == ["not-supported"]


def test_request_id_is_echoed(client):
    response = client.get("/fhir/metadata", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    generated = client.get("/fhir/metadata", headers={"X-Request-ID": "bad id with spaces"})
    assert generated.headers["x-request-id"] != "bad id with spaces"


def test_summary_and_elements_on_read(client):
    resource = patient(
        text={"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">Ana</div>'},
        photo=[{"contentType": "image/png"}],
        contact=[{"name": {"family": "X"}}],
    )
    created = client.post("/fhir/Patient", content=json.dumps(resource), headers=FHIR_JSON).json()
    url = f"/fhir/Patient/{created['id']}"
    summary = client.get(url, params={"_summary": "true"}).json()
    assert "name" in summary and "photo" not in summary and "contact" not in summary and "text" not in summary
    assert any(t["code"] == "SUBSETTED" for t in summary["meta"]["tag"])
    text = client.get(url, params={"_summary": "text"}).json()
    assert "text" in text and "name" not in text
    data = client.get(url, params={"_summary": "data"}).json()
    assert "text" not in data and "photo" in data
    elements = client.get(url, params={"_elements": "gender"}).json()
    assert elements["gender"] == "male" and "name" not in elements and elements["id"] == created["id"]


def test_a_header_is_read_whatever_its_case_and_its_first_value_wins():
    scope = {"headers": [(b"X-Request-Id", b"first"), (b"x-request-id", b"second"), (b"origin", b"https://spa.ec")]}
    assert header_value(scope, b"x-request-id") == "first"
    assert header_value(scope, b"origin") == "https://spa.ec"
    assert header_value(scope, b"content-length") is None

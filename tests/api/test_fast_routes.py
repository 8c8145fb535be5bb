"""The direct path for everyday requests picks what the router would pick and answers the same."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from fhir_server.api.app import create_app
from fhir_server.api.fast_routes import FastRoutes, endpoint_for
from fhir_server.api.routes import bulk, bulk_import, instance_level, operations, system, type_level
from tests.fhir_helpers import FHIR_JSON, patient

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Paths of every shape the routes know, and the edge cases next to them.
PATHS = [
    "/fhir",
    "/fhir/",
    "/fhir/metadata",
    "/fhir/_history",
    "/fhir/_search",
    "/fhir/$export",
    "/fhir/$export-status/abc",
    "/fhir/$import",
    "/fhir/$import-status/abc",
    "/fhir/Patient",
    "/fhir/Patient/",
    "/fhir/Observation",
    "/fhir/NoSuchType",
    "/fhir/NoSuchType/1",
    "/fhir/Patient/_history",
    "/fhir/Patient/_search",
    "/fhir/Patient/$export",
    "/fhir/Patient/$everything",
    "/fhir/Patient/$validate",
    "/fhir/Patient/p-1",
    "/fhir/Patient/p.1",
    "/fhir/Patient/p-1/_history",
    "/fhir/Patient/p-1/_history/1",
    "/fhir/Patient/p-1/$everything",
    "/fhir/Patient/p-1/Observation",
    "/fhir/Group/g1/$export",
    "/fhir/Patient//x",
    "/fhirPatient",
]


def _router_endpoint(method: str, path: str) -> object | None:
    """The endpoint the router reaches first for a request (routes in the application's order)."""
    for module in (bulk, bulk_import, system, type_level, instance_level, operations):
        for route in module.router.routes:
            matched = isinstance(route, APIRoute) and method in (route.methods or set())
            if matched and re.fullmatch(route.path_regex, path.removeprefix("/fhir")):
                endpoint: object = route.endpoint
                return endpoint
    return None


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("method", METHODS)
def test_the_direct_path_picks_the_routers_endpoint(method: str, path: str) -> None:
    found = endpoint_for(method, path)
    if found is not None:
        assert found[0] is _router_endpoint(method, path)


def test_the_everyday_requests_take_the_direct_path() -> None:
    assert endpoint_for("GET", "/fhir/Patient/p-1") is not None
    assert endpoint_for("GET", "/fhir/Observation") is not None
    assert endpoint_for("POST", "/fhir/Observation") is not None
    assert endpoint_for("PUT", "/fhir/Patient/p-1") is not None
    assert endpoint_for("PATCH", "/fhir/Appointment/a1") is not None
    assert endpoint_for("POST", "/fhir") is not None


@pytest.fixture
def both(storage, settings) -> Iterator[tuple[TestClient, TestClient]]:
    """Two applications on one database: one with the direct path, one through the router only."""
    fast_app, router_app = create_app(settings, storage=storage), create_app(settings, storage=storage)
    stack = router_app.router.middleware_stack
    assert isinstance(stack, FastRoutes)
    router_app.router.middleware_stack = stack.app  # type: ignore[assignment]  # the router's own stack again
    with (
        TestClient(fast_app, base_url="http://testserver", raise_server_exceptions=False) as fast,
        TestClient(router_app, base_url="http://testserver", raise_server_exceptions=False) as routed,
    ):
        yield fast, routed


def _comparable(response) -> tuple[int, object, str]:
    body = response.json() if response.content else None
    if isinstance(body, dict) and body.get("resourceType") == "Bundle":
        body.pop("id", None)
        body.get("meta", {}).pop("lastUpdated", None)
    return response.status_code, body, response.headers.get("content-type", "")


def test_answers_are_the_same_with_and_without_the_direct_path(both) -> None:
    fast, routed = both
    created = fast.put("/fhir/Patient/p-1", content=json.dumps(patient(id="p-1")), headers=FHIR_JSON)
    assert created.status_code == 201
    requests = [
        ("GET", "/fhir/Patient/p-1", None, {}),
        ("GET", "/fhir/Patient/missing", None, {"Accept-Language": "en"}),
        ("GET", "/fhir/Patient/p-1", None, {"If-None-Match": 'W/"1"'}),
        ("GET", "/fhir/Patient?_id=p-1", None, {}),
        ("GET", "/fhir/Patient?nonsense=1", None, {"Prefer": "handling=strict"}),
        ("GET", "/fhir/Patient/p-1?_format=xml", None, {}),
        ("POST", "/fhir/Patient", "{not json", {"Content-Type": "application/fhir+json"}),
        ("POST", "/fhir/Patient", json.dumps(patient()), {"Content-Type": "text/plain"}),
        ("PUT", "/fhir/Patient/other", json.dumps(patient(id="p-1")), FHIR_JSON),
        ("PATCH", "/fhir/Patient/p-1", "[]", {"Content-Type": "application/fhir+json"}),
        ("DELETE", "/fhir/Patient/missing", None, {}),
        ("POST", "/fhir", json.dumps({"resourceType": "Bundle", "type": "searchset"}), FHIR_JSON),
    ]
    for method, path, body, headers in requests:
        assert endpoint_for(method, path.split("?")[0]) is not None
        answers = [client.request(method, path, content=body, headers=headers) for client in (fast, routed)]
        assert _comparable(answers[0]) == _comparable(answers[1]), (method, path)

"""OpenTelemetry: with an endpoint configured, request and SQL spans reach an OTLP/HTTP collector,
named by route template and without the query string."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fhir_server.api.app import create_app
from fhir_server.api.tracing import otlp_endpoint
from fhir_server.storage.repository import SqlStorage
from tests.conftest import make_settings

pytest.importorskip("opentelemetry.sdk", reason="the otel extra is not installed")
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

SECRET = "Quilotoaxyz"


@pytest.fixture
def collector() -> Iterator[tuple[str, list[bytes]]]:
    """A tiny OTLP/HTTP receiver on loopback: keeps every posted body."""
    received: list[bytes] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


def test_no_endpoint_no_tracing(client: TestClient) -> None:
    assert not hasattr(client.app.state, "tracer_provider")  # type: ignore[attr-defined]


def test_spans_reach_the_collector_without_query_values(storage: SqlStorage, database_url: str, collector) -> None:
    endpoint, received = collector
    settings = make_settings(database_url, otel_endpoint=endpoint, audit_enabled=False)
    assert otlp_endpoint(settings) == endpoint
    app = create_app(settings, storage=storage)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/fhir/Patient", params={"name": SECRET}).status_code == 200
        assert client.get("/fhir/Patient/some-id").status_code == 404
        app.state.tracer_provider.force_flush()
    spans = []
    for body in received:
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        for resource_spans in request.resource_spans:
            for scope_spans in resource_spans.scope_spans:
                spans.extend(scope_spans.spans)
    names = {span.name for span in spans}
    assert "GET /fhir/Patient" in names and "GET /fhir/Patient/{id}" in names
    assert "SELECT" in names  # a child span per SQL statement
    everything = b"".join(received)
    assert SECRET.encode() not in everything
    assert b"name=" not in everything


@pytest.fixture(scope="module")
def global_spans() -> Any:
    """Spans of a global tracer provider (one an agent such as opentelemetry-instrument installs)."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)  # a process takes one global provider: set once for the module
    assert trace.get_tracer_provider() is provider
    return exporter


def test_a_global_tracer_provider_receives_no_spans_from_the_framework(client: TestClient, global_spans: Any) -> None:
    # FastAPI's own bridge would trace every request with a global provider, query string included:
    # the app turns it off (its tracing is api/tracing.py's, with a provider of its own).
    global_spans.clear()
    answer = client.get(f"/fhir/Patient?name={SECRET}")
    assert answer.status_code == 200
    assert global_spans.get_finished_spans() == ()

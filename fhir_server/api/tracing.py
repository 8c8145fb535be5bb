"""OpenTelemetry traces, only when an OTLP endpoint is configured (the `otel` extra).

Nothing here imports OpenTelemetry until tracing is asked for, so the server runs without it. A
span per request (named by method and route template) and a child span per SQL statement. The
query string is hidden from the tracer: it can name patients; SQL statements carry placeholders,
never values.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event
from starlette.types import ASGIApp, Receive, Scope, Send

from fhir_server.api.route_label import label
from fhir_server.settings import Settings

_HIDDEN_QUERY = "fhir_hidden_query"


def otlp_endpoint(settings: Settings) -> str | None:
    """The configured trace endpoint: FHIR_OTEL_ENDPOINT, else the standard OTEL_EXPORTER_OTLP_ENDPOINT."""
    return settings.otel_endpoint or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None


def _traces_url(endpoint: str) -> str:
    # The standard variable names the collector's base; the traces path hangs below it.
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v1/traces") else f"{endpoint}/v1/traces"


class HideQuery:
    """Outside the tracer: moves the query string out of its sight."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})  # shared by both copies of the scope
        hidden = {**scope, "query_string": b"", _HIDDEN_QUERY: scope.get("query_string", b"")}
        await self.app(hidden, receive, send)


class RestoreQuery:
    """Inside the tracer: puts the query string back for the application."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if _HIDDEN_QUERY in scope:
            scope = {**scope, "query_string": scope[_HIDDEN_QUERY]}
        await self.app(scope, receive, send)


def _span_details(scope: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    method = scope.get("method", "HTTP")
    route = label(method, scope.get("path", ""))
    return f"{method} {route.route}", {"fhir.interaction": route.interaction}


def _trace_sql(engine: Engine, tracer: Any) -> Callable[[], None]:
    """A span per statement on the engine; returns the function that stops it."""
    from opentelemetry.trace import Status, StatusCode

    def before(conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool) -> None:
        operation = statement.lstrip().split(" ", 1)[0].upper()
        span = tracer.start_span(
            operation or "SQL",
            kind=_client_kind(),
            attributes={"db.system": engine.dialect.name, "db.statement": statement},
        )
        conn.info.setdefault("fhir_spans", []).append(span)

    def after(conn: Any, *_args: Any) -> None:
        spans = conn.info.get("fhir_spans")
        if spans:
            spans.pop().end()

    def failed(context: Any) -> None:
        spans = context.connection.info.get("fhir_spans") if context.connection is not None else None
        if spans:
            span = spans.pop()
            span.set_status(Status(StatusCode.ERROR, type(context.original_exception).__name__))
            span.end()

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "handle_error", failed)

    def stop() -> None:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        event.remove(engine, "handle_error", failed)

    return stop


def _client_kind() -> Any:
    from opentelemetry.trace import SpanKind

    return SpanKind.CLIENT


def install_tracing(app: Any, settings: Settings, engines: list[Engine]) -> Callable[[], None] | None:
    """Trace requests and SQL when an endpoint is configured; returns the shutdown function, or None."""
    endpoint = otlp_endpoint(settings)
    if not endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": settings.otel_service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=_traces_url(endpoint))))
    app.state.tracer_provider = provider
    tracer = provider.get_tracer("fhir_server.sql")
    stops = [_trace_sql(engine, tracer) for engine in dict.fromkeys(engines)]
    app.add_middleware(RestoreQuery)
    app.add_middleware(
        OpenTelemetryMiddleware,
        tracer_provider=provider,
        default_span_details=_span_details,
        exclude_spans=["receive", "send"],
    )
    app.add_middleware(HideQuery)

    def shutdown() -> None:
        for stop in stops:
            stop()
        provider.shutdown()

    return shutdown

"""Pure ASGI middleware, outermost: one log line and one metrics sample per request.

The line holds the request id, method, route template (ids replaced by placeholders), status,
duration and the token's client id. Never the query string or the body: they can name patients.
Probes and scrapes (/healthz, /readyz, /metrics) are counted but not logged.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fhir_server.api import metrics
from fhir_server.api.limits import STATE_INTERACTION
from fhir_server.api.route_label import label

log = logging.getLogger("fhir_server.access")


class AccessLogMiddleware:
    """Times each request; logs it and records it in the request metrics."""

    def __init__(self, app: ASGIApp, *, pools: metrics.PoolGauges) -> None:
        self.app = app
        self.pools = pools

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = label(scope["method"], scope["path"])
        started = time.perf_counter()
        status = 500
        in_progress = metrics.in_progress(route.interaction)
        in_progress.inc()

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            in_progress.dec()
            seconds = time.perf_counter() - started
            state = scope.get("state", {})
            interaction = state.get(STATE_INTERACTION, route.interaction)
            metrics.observe(interaction, route.resource_type, status, seconds)
            self.pools.refresh()
            if route.interaction != "ops":
                self._log(scope, state, route.route, interaction, status, seconds)

    @staticmethod
    def _log(scope: Scope, state: dict[str, object], route: str, interaction: str, status: int, seconds: float) -> None:
        grant = state.get("grant")
        client_id = getattr(grant, "client_id", None)
        request_id = state.get("request_id", "")
        duration_ms = round(seconds * 1000, 1)
        log.info(
            "%s %s %s %.1fms id=%s client=%s",
            scope["method"],
            route,
            status,
            duration_ms,
            request_id,
            client_id or "-",
            extra={
                "fields": {
                    "request_id": request_id,
                    "method": scope["method"],
                    "route": route,
                    "interaction": interaction,
                    "status": status,
                    "duration_ms": duration_ms,
                    "client_id": client_id,
                }
            },
        )

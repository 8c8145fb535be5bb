"""Pure ASGI middleware: per-client rate limits (429) and the request time limit (503).

Sits inside the bearer check, so the token's client is known when its bucket is charged. The
time limit answers the client when it expires; the database statement itself is stopped by the
PostgreSQL statement timeout, which the app sets no longer than the request limit. A write whose
commit has begun when the limit expires is waited for, and one that has not will never commit
(``commit_guard``), so a 503 always means nothing was stored.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fhir_server.api.execution import INLINE_GETS
from fhir_server.api.rate_limit import RateLimiter, client_key, retry_after_seconds
from fhir_server.api.route_label import OPS_PATHS, RouteLabel, label
from fhir_server.commit_guard import CommitGuard, guarded_request
from fhir_server.errors import FhirError, TooManyRequests, Unavailable
from fhir_server.i18n import pick_language
from fhir_server.model.json import dumps

# scope["state"] keys the bundle route fills once it has read the body: its type and its entry count.
STATE_INTERACTION = "ops_interaction"
STATE_ENTRIES = "ops_entries"


async def send_outcome(
    send: Send, scope: Scope, error: FhirError, default_language: str, headers: dict[str, str] | None = None
) -> None:
    """Answer with the error's OperationOutcome, in the caller's language."""
    accept = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"accept-language"), None)
    body = dumps(error.outcome(pick_language(accept, default_language)))
    raw_headers = [
        (b"content-type", b"application/fhir+json; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items()),
    ]
    await send({"type": "http.response.start", "status": error.status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


class LimitsMiddleware:
    """Charges the caller's bucket, then runs the request under the time limit."""

    # Requests abandoned at their time limit, kept referenced until they finish in the background.
    _abandoned: set[asyncio.Task[None]] = set()  # noqa: RUF012 - shared on purpose

    def __init__(
        self, app: ASGIApp, *, limiter: RateLimiter | None, timeout_seconds: float, default_language: str
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.timeout = timeout_seconds
        self.default_language = default_language

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPS_PATHS:
            await self.app(scope, receive, send)
            return
        route = label(scope["method"], scope["path"])
        key = ""
        if self.limiter is not None:
            key = client_key(scope)
            wait = self.limiter.take(key, self.limiter.cost(route))
            if wait > 0:
                seconds = retry_after_seconds(wait)
                error = TooManyRequests("ops-rate-limited", code="throttled", seconds=seconds)
                await send_outcome(send, scope, error, self.default_language, {"Retry-After": str(seconds)})
                return
        try:
            await self._run(scope, receive, send, route)
        finally:
            if route.interaction == "bundle" and self.limiter is not None:
                entries = scope.get("state", {}).get(STATE_ENTRIES, 0)
                self.limiter.charge(key, entries * self.limiter.weights.get("entry", 1))

    async def _run(self, scope: Scope, receive: Receive, send: Send, route: RouteLabel) -> None:
        # The watchdog task cost 45 us of a 300 us read (measured in process): only where it can act.
        inline = scope["method"] in ("GET", "HEAD") and route.interaction in INLINE_GETS
        if self.timeout <= 0 or inline:
            await self.app(scope, receive, send)
            return
        with guarded_request() as guard:  # before the task is created, so the task and its threads share it
            await self._run_guarded(scope, receive, send, guard)

    async def _run_guarded(self, scope: Scope, receive: Receive, send: Send, guard: CommitGuard) -> None:
        started = False
        abandoned = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if abandoned:
                return  # the client already has its 503
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, guarded_send))
        done, _ = await asyncio.wait({task}, timeout=self.timeout)
        if task in done or started or not guard.abandon():
            await task  # finished, streaming its answer, or committing: the client gets the real outcome
            return
        abandoned = True
        task.cancel()
        self._abandoned.add(task)
        task.add_done_callback(_forget)
        seconds = f"{self.timeout:g}"
        error = Unavailable("ops-request-timeout", code="timeout", seconds=seconds)
        await send_outcome(send, scope, error, self.default_language)


def _forget(task: asyncio.Task[None]) -> None:
    LimitsMiddleware._abandoned.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not report it as never retrieved

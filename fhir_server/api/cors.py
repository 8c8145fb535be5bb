"""CORS per SMART (security.md 5.11): discovery open to any origin; token endpoints and the FHIR API
only to registered client origins (from their redirect URIs) and configured ones; never credentials.

The authorization page gets no CORS at all: it is a top-level navigation, not an API.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fhir_server.api.middleware import header_value

ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
ALLOW_HEADERS = (
    "Authorization, Content-Type, Accept, Accept-Language, Prefer, If-Match, If-None-Match, If-None-Exist, "
    "If-Modified-Since, X-Request-Id"
)
EXPOSE_HEADERS = "Location, Content-Location, ETag, Last-Modified, X-Request-Id"
ORIGINS_TTL_S = 30.0


class SmartCorsMiddleware:
    """Adds CORS headers by path: ``*`` on discovery, the caller's origin when registered elsewhere."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        open_paths: frozenset[str],
        api_prefixes: tuple[str, ...],
        configured_origins: frozenset[str],
        registered_origins: Callable[[], frozenset[str]],
    ) -> None:
        self.app = app
        self.open_paths = open_paths
        self.api_prefixes = api_prefixes
        self.configured = configured_origins
        self.registered = registered_origins
        self._cached: tuple[float, frozenset[str]] = (0.0, frozenset())

    async def _allowed(self, origin: str) -> bool:
        if origin in self.configured:
            return True
        expires, origins = self._cached
        if time.monotonic() >= expires:
            origins = await run_in_threadpool(self.registered)
            self._cached = (time.monotonic() + ORIGINS_TTL_S, origins)
        return origin in origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = header_value(scope, b"origin")
        path = scope["path"]
        if not origin:
            await self.app(scope, receive, send)
            return
        if path in self.open_paths:
            allow: str | None = "*"
        elif path.startswith(self.api_prefixes):
            allow = origin if await self._allowed(origin) else None
        else:
            await self.app(scope, receive, send)
            return
        cors = [(b"vary", b"Origin")]
        if allow:
            cors += [
                (b"access-control-allow-origin", allow.encode()),
                (b"access-control-expose-headers", EXPOSE_HEADERS.encode()),
            ]
        if scope["method"] == "OPTIONS" and header_value(scope, b"access-control-request-method") is not None:
            await self._preflight(send, cors, allowed=allow is not None)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *cors]
            await send(message)

        await self.app(scope, receive, send_with_cors)

    @staticmethod
    async def _preflight(send: Send, cors: list[tuple[bytes, bytes]], *, allowed: bool) -> None:
        headers = list(cors)
        if allowed:
            headers += [
                (b"access-control-allow-methods", ALLOW_METHODS.encode()),
                (b"access-control-allow-headers", ALLOW_HEADERS.encode()),
                (b"access-control-max-age", b"600"),
            ]
        await send({"type": "http.response.start", "status": 204 if allowed else 403, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

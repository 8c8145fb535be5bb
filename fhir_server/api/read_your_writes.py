"""Read-your-writes with a replica: the WAL position of a client's last write travels with the client.

A response to a request that wrote carries the position in ``X-FHIR-Read-After`` and in a cookie; the client sends
either back (browsers and cookie-keeping HTTP clients do so by themselves) and its reads wait for no replica that
has not replayed that far: they go to the primary instead.
"""

from __future__ import annotations

import logging
from http.cookies import CookieError, SimpleCookie

from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fhir_server.settings import Settings
from fhir_server.storage.engine import is_sqlite, make_read_engine, make_replica_engine
from fhir_server.storage.params.common import ExtractContext
from fhir_server.storage.replica import ReplicatedStorage, format_lsn, request_consistency
from fhir_server.storage.repository import SqlStorage

log = logging.getLogger(__name__)

HEADER = "x-fhir-read-after"
COOKIE = "fhir_read_after"
# Long enough for any replica lag worth serving from; afterwards the replica has long replayed the write.
COOKIE_MAX_AGE_S = 300


def _client_mark(scope: Scope) -> str | None:
    cookie_mark = None
    for key, value in scope["headers"]:
        name = key.decode("latin-1").lower()
        if name == HEADER:
            return str(value.decode("latin-1").strip())
        if name == "cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except CookieError:  # a malformed cookie header only loses the mark
                continue
            if COOKIE in jar:
                cookie_mark = jar[COOKIE].value
    return cookie_mark


class ReadYourWritesMiddleware:
    """Scopes each request's replica consistency and returns the write mark to the client."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with request_consistency(_client_mark(scope)) as consistency:

            async def send_with_mark(message: Message) -> None:
                if message["type"] == "http.response.start" and consistency.written is not None:
                    mark = format_lsn(consistency.written).encode("latin-1")
                    cookie = b"%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax" % (
                        COOKIE.encode(),
                        mark,
                        COOKIE_MAX_AGE_S,
                    )
                    headers = list(message.get("headers", []))
                    headers += [(HEADER.encode(), mark), (b"set-cookie", cookie)]
                    message = {**message, "headers": headers}
                await send(message)

            await self.app(scope, receive, send_with_mark)


def storage_for(settings: Settings, engine: Engine, statement_timeout_ms: int = 0) -> SqlStorage:
    """The storage for the settings: reads on their own autocommit engine (no BEGIN/ROLLBACK per read on
    PostgreSQL), and on the replica of FHIR_DATABASE_REPLICA_URL when there is one. Indexing reads
    dates in the clinic's zone and references to this server's own base URL as local ones.

    Reads get the same statement timeout as the primary: the request time limit relies on it for them.
    """
    context = ExtractContext(settings.zone, settings.base_url)
    pool = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_pool_overflow,
        "statement_timeout_ms": statement_timeout_ms,
    }
    read_engine = make_read_engine(engine, **pool)
    if settings.database_replica_url and is_sqlite(engine):
        log.warning("FHIR_DATABASE_REPLICA_URL is ignored: SQLite has no replicas")
    if not settings.database_replica_url or is_sqlite(engine):
        return SqlStorage(engine, read_engine, context)
    return ReplicatedStorage(
        engine,
        make_replica_engine(settings.database_replica_url, **pool),
        read_engine=read_engine,
        context=context,
        retry_seconds=settings.replica_retry_seconds,
    )

"""Operations endpoints outside /fhir: /healthz, /readyz and /metrics.

/healthz touches nothing (the process answers); /readyz asks the primary database for its schema
revision; /metrics answers the metrics token or, without one configured, loopback callers only.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from fhir_server.api import metrics
from fhir_server.api.access_log import AccessLogMiddleware
from fhir_server.api.limits import LimitsMiddleware
from fhir_server.api.rate_limit import RateLimiter
from fhir_server.api.tracing import install_tracing
from fhir_server.errors import FhirError, Forbidden, Unavailable
from fhir_server.i18n import pick_language
from fhir_server.model.json import dumps
from fhir_server.settings import Settings
from fhir_server.storage.migrate import alembic_config
from fhir_server.storage.repository import SqlStorage

router = APIRouter(include_in_schema=False)
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
_NO_STORE = {"Cache-Control": "no-store"}


@lru_cache(maxsize=1)
def expected_revisions() -> frozenset[str]:
    """The schema revisions this code needs (read once: the migration files do not change under a process)."""
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def database_revisions(engine: sa.Engine) -> frozenset[str]:
    """The revisions the database is at (empty before the first migration)."""
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return frozenset()
        return frozenset(connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())


def _outcome(request: Request, error: FhirError, headers: dict[str, str] | None = None) -> Response:
    settings = request.app.state.settings
    language = pick_language(request.headers.get("accept-language"), settings.default_language)
    return Response(
        dumps(error.outcome(language)),
        status_code=error.status,
        media_type="application/fhir+json",
        headers={**_NO_STORE, **(headers or {})},
    )


@router.get("/healthz")
async def healthz() -> Response:
    """The process is up and its event loop answers."""
    return JSONResponse({"status": "ok"}, headers=_NO_STORE)


@router.get("/readyz")
def readyz(request: Request) -> Response:
    """Ready when the primary database answers and its schema is the one this code needs."""
    engine: sa.Engine = request.app.state.storage.engine
    try:
        revisions = database_revisions(engine)
    except sa.exc.DBAPIError:
        return _outcome(request, Unavailable("ops-database-unreachable", code="transient"))
    if revisions != expected_revisions():
        return _outcome(request, Unavailable("ops-schema-outdated", code="exception"))
    return JSONResponse({"status": "ready"}, headers=_NO_STORE)


def metrics_allowed(request: Request, token: str | None) -> bool:
    """The metrics token when one is set; otherwise only callers on this machine."""
    if token:
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode())
    return request.client is not None and request.client.host in LOOPBACK


@router.get("/metrics")
def metrics_endpoint(request: Request) -> Response:
    """Prometheus text exposition of every worker's metrics."""
    state: Any = request.app.state
    if not metrics_allowed(request, state.settings.metrics_token):
        return _outcome(request, Forbidden("ops-metrics-forbidden", code="forbidden"))
    return Response(
        metrics.render(state.pool_gauges, state.storage), media_type=metrics.CONTENT_TYPE, headers=_NO_STORE
    )


def statement_timeout_ms(settings: Settings) -> int:
    """The PostgreSQL statement timeout: never longer than the request limit, so a timed-out request's
    statement stops too (0: none)."""
    limits = [ms for ms in (settings.db_statement_timeout_ms, int(settings.request_timeout_seconds * 1000)) if ms > 0]
    return min(limits, default=0)


def install_limits(app: FastAPI, settings: Settings) -> None:
    """Rate limits and the request time limit; add before the bearer check, so they run inside it."""
    limiter = None
    if settings.rate_limit_per_minute > 0:
        limiter = RateLimiter(
            settings.rate_limit_per_minute,
            workers=settings.workers,
            weights=settings.rate_limit_weights,
            shared_file=settings.rate_limit_shared_file,
        )
    app.state.rate_limiter = limiter
    app.add_middleware(
        LimitsMiddleware,
        limiter=limiter,
        timeout_seconds=settings.request_timeout_seconds,
        default_language=settings.default_language,
    )


def install_observability(app: FastAPI, settings: Settings, storage: SqlStorage) -> Callable[[], None]:
    """The ops endpoints, the access log and metrics, and tracing when configured; add last (outermost).

    Returns what the app calls when it stops."""
    app.include_router(router)
    pools = metrics.PoolGauges(storage)
    app.state.pool_gauges = pools
    app.add_middleware(AccessLogMiddleware, pools=pools)
    stop_tracing = install_tracing(app, settings, [storage.engine, storage.read_engine])

    def stop() -> None:
        if stop_tracing is not None:
            stop_tracing()
        metrics.worker_exiting()

    return stop

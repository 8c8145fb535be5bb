"""create_app: the FastAPI application, wired explicitly from settings (nothing at import time)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from fhir_server import __version__
from fhir_server.api.bearer import BearerMiddleware
from fhir_server.api.errors import install_error_handlers
from fhir_server.api.fast_routes import install_fast_routes
from fhir_server.api.loop_lag import LoopWatch
from fhir_server.api.metrics import LOOP_LATENESS, LOOP_LATENESS_MAX
from fhir_server.api.middleware import FhirMiddleware
from fhir_server.api.ops import install_limits, install_observability, statement_timeout_ms
from fhir_server.api.read_your_writes import ReadYourWritesMiddleware, storage_for
from fhir_server.api.routes import bulk, bulk_import, instance_level, operations, system, type_level
from fhir_server.api.routes.auth import install_auth
from fhir_server.collector import collect_less
from fhir_server.interactions.audit_trail import AuditTrail
from fhir_server.interactions.bulk_export.worker import export_workers
from fhir_server.interactions.bulk_import.operation_worker import import_workers
from fhir_server.interactions.operations import load_all as load_operations
from fhir_server.settings import Settings
from fhir_server.storage.engine import make_engine
from fhir_server.storage.replica import ReplicatedStorage
from fhir_server.storage.repository import SqlStorage

FHIR_PREFIX = "/fhir"


def create_app(settings: Settings | None = None, *, storage: SqlStorage | None = None) -> FastAPI:
    """The FHIR server application. Pass ``storage`` to share an engine (tests, tools)."""
    settings = settings or Settings()
    owns_storage = storage is None
    if storage is None:
        timeout_ms = statement_timeout_ms(settings)
        engine = make_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_pool_overflow,
            statement_timeout_ms=timeout_ms,
        )
        storage = storage_for(settings, engine, timeout_ms)  # with the read replica when configured
    audit = AuditTrail.from_settings(storage, settings) if settings.audit_enabled else None
    bulk_workers = export_workers(storage, settings)
    bulk_importers = import_workers(storage, settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        collect_less()
        loop_watch = LoopWatch(LOOP_LATENESS, LOOP_LATENESS_MAX, shed_after=settings.rebalance_after_lag_ms / 1000)
        loop_watch.start()
        if audit is not None:
            audit.start()
        bulk_workers.start()
        bulk_importers.start()
        yield
        loop_watch.stop()
        bulk_importers.stop()  # running imports too
        bulk_workers.stop()  # running exports are released for another process to continue
        stop_operations()
        if audit is not None:
            audit.stop()  # writes what is still queued, while the engine is open
        if owns_storage:
            storage.engine.dispose()
            storage.read_engine.dispose()
            if isinstance(storage, ReplicatedStorage):
                storage.replica_engine.dispose()

    app = FastAPI(
        title="fhir-server",
        version=__version__,
        description="FHIR R4 (4.0.1) server for outpatient clinics",
        openapi_url=f"{FHIR_PREFIX}/openapi.json",
        docs_url=f"{FHIR_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
        # FastAPI's own OpenTelemetry bridge would trace with any global provider, query strings (which
        # name patients) included, and asks for the providers on every request (3.6 % of the event
        # loop's request time under the soak). Tracing is ours: FHIR_OTEL_ENDPOINT, api/tracing.py.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.storage = storage
    app.state.audit = audit
    app.state.bulk_workers = bulk_workers
    app.state.import_workers = bulk_importers

    # Order matters: fixed paths before the {type}/{id} patterns they would otherwise match.
    runtime = install_auth(app, settings, storage)  # /fhir/.well-known/smart-configuration and /auth/*
    for module in (bulk, bulk_import, system, type_level, instance_level, operations):
        app.include_router(module.router, prefix=FHIR_PREFIX)
    load_operations()
    install_fast_routes(app)

    install_error_handlers(app)
    install_limits(app, settings)  # inside the bearer check: buckets are per token
    if settings.auth_enabled:
        app.add_middleware(
            BearerMiddleware,
            authenticator=runtime.authenticator,
            realm=settings.base_url,
            default_language=settings.default_language,
        )
    if isinstance(storage, ReplicatedStorage):
        app.add_middleware(ReadYourWritesMiddleware)
    app.add_middleware(
        FhirMiddleware,
        max_body_bytes=settings.max_body_bytes,
        default_language=settings.default_language,
    )
    stop_operations = install_observability(app, settings, storage)  # outermost: access log, metrics, traces
    return app

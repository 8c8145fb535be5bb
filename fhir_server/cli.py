"""The one command line: fhir-server serve | migrate | reindex | load-terminology."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from fhir_server.cli_auth import AUTH_COMMANDS, add_auth_commands, run_auth_command
from fhir_server.cli_import import IMPORT_COMMANDS, add_import_commands, run_import_command
from fhir_server.cli_legacy import LEGACY_COMMANDS, add_legacy_commands, run_legacy_command
from fhir_server.logs import configure_logging
from fhir_server.settings import Settings

if TYPE_CHECKING:
    from fhir_server.interactions.context import RequestContext


def _system_context(settings: Settings) -> RequestContext:
    from fhir_server.interactions.context import system_context

    return system_context(settings)


def _migrate(settings: Settings) -> int:
    from fhir_server.interactions.terminology_load import load_built_ins
    from fhir_server.storage.engine import make_engine
    from fhir_server.storage.migrate import upgrade
    from fhir_server.storage.params.common import ExtractContext
    from fhir_server.storage.repository import SqlStorage

    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        storage = SqlStorage(engine, context=ExtractContext(settings.zone, settings.base_url))
        report = load_built_ins(storage, _system_context(settings))
    finally:
        engine.dispose()
    print(f"database migrated: {engine.url.render_as_string(hide_password=True)}")
    print(f"conformance resources: {len(report.written)} written, {len(report.unchanged)} unchanged")
    return 0


WORKER_HEALTHCHECK_SECONDS = 30


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from fhir_server.api.http_protocol import CoalescingHttpToolsProtocol
    from fhir_server.cli_serve import worker_environment
    from fhir_server.logs import log_config
    from fhir_server.storage.migrate import NOT_CURRENT, url_is_current

    if not url_is_current(settings.database_url):
        print(NOT_CURRENT, file=sys.stderr)
        return 1

    host = args.host or settings.host
    port = args.port or settings.port
    workers = args.workers or settings.workers
    with worker_environment(workers):
        uvicorn.run(
            "fhir_server.api.asgi:app",
            host=host,
            port=port,
            workers=workers,
            log_level=settings.log_level,
            log_config=log_config(settings.log_format, settings.log_level),
            http=CoalescingHttpToolsProtocol,
            access_log=False,
            proxy_headers=False,
            timeout_graceful_shutdown=settings.graceful_shutdown_seconds,
            # A worker answers the supervisor's pings from its first steps, but while it imports the
            # app (4-6 s on a busy 2-core machine) the answers can come late: uvicorn's 5 s would kill
            # workers that are only starting.
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        )
    return 0


def _reindex(settings: Settings, args: argparse.Namespace) -> int:
    from fhir_server.model.r4_types import SERVED_TYPES
    from fhir_server.storage.engine import make_engine
    from fhir_server.storage.params.common import ExtractContext
    from fhir_server.storage.reindex import reindex
    from fhir_server.storage.repository import SqlStorage

    types = args.type or None
    unknown = [t for t in types or () if t not in SERVED_TYPES]
    if unknown:
        print(f"unknown resource types: {', '.join(unknown)}", file=sys.stderr)
        return 2

    def progress(type_name: str, done: int, total: int) -> None:
        width = 30
        filled = width * done // total if total else width
        bar = "#" * filled + "-" * (width - filled)
        print(f"\r{type_name:<28} [{bar}] {done}/{total}", end="", file=sys.stderr, flush=True)

    engine = make_engine(settings.database_url)
    storage = SqlStorage(engine, context=ExtractContext(settings.zone, settings.base_url))
    try:
        counts = reindex(storage, types, batch=args.batch, restart=args.restart, progress=progress)
    finally:
        engine.dispose()
    print(file=sys.stderr)
    print(f"reindexed {sum(counts.values())} resources of {sum(1 for c in counts.values() if c)} types")
    return 0


def _load_terminology(settings: Settings, args: argparse.Namespace) -> int:
    from fhir_server.errors import FhirError
    from fhir_server.interactions.terminology_load import LoadOptions, load_terminology
    from fhir_server.storage.engine import make_engine
    from fhir_server.storage.migrate import NOT_CURRENT, is_current
    from fhir_server.storage.params.common import ExtractContext
    from fhir_server.storage.repository import SqlStorage
    from fhir_server.terminology.loaders.overlay import BadFile
    from fhir_server.terminology.loaders.project import default_directory

    options = LoadOptions(
        project_dir=settings.terminology_dir or default_directory(),
        dpa=args.dpa,
        cie10_file=args.cie10_file,
        cie10_overlay=args.cie10_overlay or settings.cie10_overlay,
        skip_cie10=args.skip_cie10,
    )
    if args.medicamentos is not None:
        from fhir_server.mappings.medicines import CatalogRowError, read_catalog

        try:
            options.extra = list(read_catalog(args.medicamentos))
        except (OSError, CatalogRowError) as exc:
            print(f"load-terminology: {exc}", file=sys.stderr)
            return 2
    engine = make_engine(settings.database_url)
    try:
        if not is_current(engine):
            print(NOT_CURRENT, file=sys.stderr)
            return 1
        storage = SqlStorage(engine, context=ExtractContext(settings.zone, settings.base_url))
        report = load_terminology(storage, _system_context(settings), options)
    except BadFile as exc:
        print(f"load-terminology: {exc}", file=sys.stderr)
        return 2
    except FhirError as exc:
        for issue in exc.outcome("en")["issue"]:
            print(f"load-terminology: {issue['diagnostics']}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    for line in report.lines():
        print(line)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``fhir-server``."""
    parser = argparse.ArgumentParser(prog="fhir-server", description="FHIR R4 server for outpatient clinics")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the FHIR API (binds 127.0.0.1 unless told otherwise)")
    serve.add_argument("--host", help="address to bind (default FHIR_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default FHIR_PORT or 8080)")
    serve.add_argument("--workers", type=int, help="worker processes (default FHIR_WORKERS or 1)")
    commands.add_parser("migrate", help="create or upgrade the database schema")
    reindex = commands.add_parser("reindex", help="rebuild search index rows (resumable, while serving)")
    reindex.add_argument("--type", action="append", help="only this resource type (repeatable)")
    reindex.add_argument("--batch", type=int, default=500, help="resources per transaction")
    reindex.add_argument("--restart", action="store_true", help="start again from the first resource")
    load = commands.add_parser("load-terminology", help="load CIE-10, the DPA and the project's terminology")
    load.add_argument("--cie10-overlay", type=Path, help="CSV code,display: Spanish displays that win")
    load.add_argument("--cie10-file", type=Path, help="CIE-10 from this CodeSystem JSON or code,display,parent CSV")
    load.add_argument("--dpa", type=Path, help="INEC DPA CSV level,code,name,parent_code (complete geography)")
    load.add_argument("--skip-cie10", action="store_true", help="do not build or load CIE-10")
    load.add_argument("--medicamentos", type=Path, help="medicines catalog CSV (legacy medicamentos columns)")
    add_auth_commands(commands)
    add_import_commands(commands)
    add_legacy_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``fhir-server`` console script."""
    args = build_parser().parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)
    if args.command == "migrate":
        return _migrate(settings)
    if args.command == "serve":
        return _serve(settings, args)
    if args.command == "reindex":
        return _reindex(settings, args)
    if args.command == "load-terminology":
        return _load_terminology(settings, args)
    if args.command in AUTH_COMMANDS:
        return run_auth_command(settings, args)
    if args.command in IMPORT_COMMANDS:
        return run_import_command(settings, args)
    if args.command in LEGACY_COMMANDS:
        return run_legacy_command(settings, args)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""``fhir-server import-legacy ehr|medly``: bring a legacy system's records into the server.

The report goes to standard output (Spanish unless ``--lang en``) and, with ``--report``, to a JSON
file; progress bars go to standard error. Exit status: 0 imported (findings are not errors), 1 the
server's database is not ready, 2 bad arguments or an unreadable source.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fhir_server.settings import Settings

if TYPE_CHECKING:
    from fhir_server.mappings.legacy.records import LegacySource
    from fhir_server.storage.repository import SqlStorage

LEGACY_COMMANDS = ("import-legacy",)


def _say(text: str, *, err: bool = False) -> None:
    (sys.stderr if err else sys.stdout).write(text + "\n")


def add_legacy_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``import-legacy`` with one sub-command per legacy system."""
    legacy = commands.add_parser("import-legacy", help="import a legacy system (EHR or Medly) into the server")
    systems = legacy.add_subparsers(dest="system", required=True)
    ehr = systems.add_parser("ehr", help="the legacy EHR (PostgreSQL)")
    ehr.add_argument("--source", required=True, help="postgresql://user@host:port/database of the legacy EHR")
    medly = systems.add_parser("medly", help="Medly (MySQL + the mongoexport of expedientes)")
    medly.add_argument("--mysql", required=True, help="mysql://user:password@host:port/database")
    medly.add_argument("--expedientes", required=True, type=Path, help="mongoexport JSON-lines file of expedientes")
    for parser in (ehr, medly):
        parser.add_argument("--dry-run", action="store_true", help="map and validate everything, write nothing")
        parser.add_argument("--lang", choices=("es", "en"), default="es", help="language of the report")
        parser.add_argument("--report", type=Path, help="also write the report as JSON to this file")
        parser.add_argument("--chunk", type=int, default=200, help="legacy rows per transaction")
        parser.add_argument("--workers", type=int, default=1, help="writer processes (PostgreSQL; not with --dry-run)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def _dpa(storage: SqlStorage) -> Any:
    from fhir_server.mappings.legacy.ehr.geography import dpa_index
    from fhir_server.model.json import loads

    stored = storage.read("CodeSystem", "ec-dpa")
    return dpa_index(loads(stored.content) if stored is not None and stored.content else None)


def _open(args: argparse.Namespace, storage: SqlStorage) -> LegacySource:
    if args.system == "ehr":
        from fhir_server.mappings.legacy.ehr.source import open_ehr_source

        return open_ehr_source(args.source, dpa=_dpa(storage))
    from fhir_server.mappings.legacy.medly.source import open_medly_source

    return open_medly_source(args.mysql, args.expedientes)


def run_legacy_command(settings: Settings, args: argparse.Namespace) -> int:
    """Run ``import-legacy``; prints the report."""
    from fhir_server.mappings.legacy.progress import BarProgress
    from fhir_server.mappings.legacy.runner import run_import
    from fhir_server.storage.engine import make_engine
    from fhir_server.storage.migrate import NOT_CURRENT, is_current
    from fhir_server.storage.params.common import ExtractContext
    from fhir_server.storage.repository import SqlStorage

    if args.chunk < 1 or args.workers < 1:
        _say("import-legacy: --chunk and --workers must be at least 1", err=True)
        return 2
    engine = make_engine(settings.database_url)
    try:
        if not is_current(engine):
            _say(NOT_CURRENT, err=True)
            return 1
        storage = SqlStorage(engine, context=ExtractContext(settings.zone, settings.base_url))
        try:
            source = _open(args, storage)
        except Exception as exc:
            _say(f"import-legacy: cannot open the {args.system} source: {type(exc).__name__}", err=True)
            return 2
        progress = None if args.no_progress else BarProgress()
        try:
            report = run_import(
                source,
                storage,
                settings=settings,
                dry_run=args.dry_run,
                chunk_size=args.chunk,
                progress=progress,
                workers=args.workers,
            )
            if not args.dry_run:
                storage.refresh_statistics()
        finally:
            source.close()
            if progress is not None:
                progress.close()
    finally:
        engine.dispose()
    _say(report.text(args.lang))
    if args.report is not None:
        args.report.write_text(json.dumps(report.as_json(args.lang), ensure_ascii=False, indent=2), encoding="utf-8")
    return 0

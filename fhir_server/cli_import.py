"""``fhir-server import FILE_OR_DIR...``: bulk import of NDJSON and Bundles, in parallel, with a progress bar.

The design (what is validated, how references and audit work) is described in
``fhir_server.interactions.bulk_import``.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from fhir_server.settings import Settings

if TYPE_CHECKING:
    from fhir_server.interactions.bulk_import.report import Report

IMPORT_COMMANDS = frozenset({"import"})
SHOWN_FAILURES = 50


def add_import_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``import``."""
    command = commands.add_parser("import", help="bulk import NDJSON files and FHIR Bundles (Synthea output)")
    command.add_argument("paths", nargs="+", type=Path, metavar="FILE_OR_DIR", help=".ndjson[.gz], .json[.gz] or a dir")
    command.add_argument("--workers", type=int, default=0, help="worker processes (default: CPU count)")
    command.add_argument("--batch", type=int, default=500, help="NDJSON lines per transaction (default 500)")
    command.add_argument("--dry-run", action="store_true", help="validate everything, write nothing")
    command.add_argument(
        "--provenance-per-resource", action="store_true", help="one Provenance per resource (default: per batch)"
    )
    command.add_argument("--no-progress", action="store_true", help="no progress bar (logs, CI)")
    command.add_argument("--failures", type=Path, help="write every failure to this file (one per line)")


def _say(text: str, *, err: bool = False) -> None:
    (sys.stderr if err else sys.stdout).write(text + "\n")


def run_import_command(settings: Settings, args: argparse.Namespace) -> int:
    """Import the files into the configured database; 1 when anything failed, 2 on bad arguments."""
    from tqdm import tqdm

    from fhir_server.interactions.bulk_import import runner, sources
    from fhir_server.storage.migrate import NOT_CURRENT, url_is_current

    try:
        files = sources.discover(args.paths)
    except sources.UnsupportedFile as exc:
        _say(f"import: {exc}", err=True)
        return 2
    if args.batch < 1 or args.workers < 0:
        _say("import: --batch must be at least 1 and --workers not negative", err=True)
        return 2
    if not url_is_current(settings.database_url):
        _say(NOT_CURRENT, err=True)
        return 1
    config = runner.Config(
        database_url=settings.database_url,
        base_url=settings.base_url,
        zone=settings.timezone,
        language="en",
        clinic_profiles=settings.clinic_profiles,
        dry_run=args.dry_run,
        per_resource_provenance=args.provenance_per_resource,
    )
    workers = args.workers or os.cpu_count() or 1
    started = time.perf_counter()
    tqdm.monitor_interval = 0  # no monitor thread: the workers are forked from this process (runner._pool)
    with tqdm(unit="res", disable=args.no_progress, dynamic_ncols=True, smoothing=0.1) as bar:

        def progress(report: Report) -> None:
            bar.update(report.seen)

        def count() -> None:
            bar.total = sum(sources.count_resources(path) for path in files)
            bar.refresh()

        # Counting reads every file: beside the import it delays only the bar's total and ETA, not the work.
        counting = threading.Thread(target=count, name="import-count", daemon=True)
        then = None if args.no_progress else counting.start
        report = runner.run(config, files, workers=workers, batch=args.batch, progress=progress, started=then)
        if counting.is_alive():
            counting.join()
    elapsed = time.perf_counter() - started
    runner.record(config, report, elapsed)
    _summary(report, len(files), elapsed, args.dry_run)
    if args.failures is not None:
        args.failures.write_text("".join(f"{failure.describe()}\n" for failure in report.failures), encoding="utf-8")
    return 1 if report.failures else 0


def _summary(report: Report, files: int, elapsed: float, dry_run: bool) -> None:
    verb = "would write" if dry_run else "written"
    for type_name in sorted(set(report.written) | set(report.unchanged)):
        _say(f"  {type_name:<28} {report.written[type_name]:>9} {verb}  {report.unchanged[type_name]:>9} unchanged")
    rate = report.total_written / elapsed if elapsed > 0 else 0.0
    _say(
        f"{files} files, {report.seen} resources read, {report.total_written} {verb}, "
        f"{sum(report.unchanged.values())} unchanged, {len(report.failures)} failed "
        f"in {elapsed:.1f} s ({rate:,.0f} resources/s)"
    )
    for failure in report.failures[:SHOWN_FAILURES]:
        _say(f"  failed: {failure.describe()}", err=True)
    if len(report.failures) > SHOWN_FAILURES:
        _say(f"  ... and {len(report.failures) - SHOWN_FAILURES} more failures", err=True)

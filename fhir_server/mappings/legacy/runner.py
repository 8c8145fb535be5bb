"""Run a legacy import through the server's own write path, chunk by chunk, idempotently.

Each chunk of mapped rows is ONE FHIR transaction of ``PUT Type/<legacy id>`` entries (parsed and
validated like a client's bundle, then clinic profiles, unique cédulas and search indexes inside
the transaction). Audit is batched like the bulk import's: the chunk's transaction also stores one
Provenance naming every version it wrote (so a rolled-back chunk leaves none, and a resumed run
names each version once, as a clean one does; one per legacy row was about a seventh of the
import's time), and each table that changed gets one AuditEvent with its counts. An unchanged
resource writes nothing, so a second run is a no-op and a run stopped halfway resumes by running
again. When a chunk fails, the row its error points at is reported with the server's
OperationOutcome and left out, and the rest of the chunk is retried: a row is written whole or not
at all. ``dry_run`` does everything and rolls each transaction back.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any, TypeVar

from fhir_server.collector import collect_less
from fhir_server.errors import FhirError
from fhir_server.i18n import translate
from fhir_server.interactions.bulk_import.audit import batch_provenances, record_run
from fhir_server.interactions.bundle_entries import Entry, parse_entry
from fhir_server.interactions.context import RequestContext, Result
from fhir_server.interactions.context import system_context as server_context
from fhir_server.interactions.transaction import check_unique, process_in
from fhir_server.mappings.legacy.accounts import create_accounts
from fhir_server.mappings.legacy.records import Finding, LegacySource, Mapped
from fhir_server.mappings.legacy.report import ImportReport
from fhir_server.model.ids import new_id
from fhir_server.model.instants import now_us
from fhir_server.settings import Settings
from fhir_server.storage.records import Stored
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.writer import Writer

T = TypeVar("T")
# progress(table, rows done, rows in the table): called when a table starts (0) and after each chunk.
Progress = Callable[[str, int, int], None]
DEFAULT_CHUNK = 200
# Resources later chunks resolve while validating (a consultorio's building): carried across dry-run chunks.
_CARRIED_TYPES = frozenset({"Location", "Organization"})


class _Rollback(Exception):
    def __init__(self, result: object) -> None:
        self.result = result


class DryRunStorage(SqlStorage):
    """The same storage, but every write transaction is rolled back after it ran."""

    def __init__(self, storage: SqlStorage) -> None:
        super().__init__(storage.engine, storage.read_engine, storage.context)
        self.carried: dict[str, dict[str, Any]] = {}

    def write(self, work: Callable[[Writer], T]) -> T:
        def then_roll_back(writer: Writer) -> T:
            writer.pending.update(self.carried)
            raise _Rollback(work(writer))

        try:
            super().write(then_roll_back)
        except _Rollback as done:
            return done.result  # type: ignore[return-value]
        raise AssertionError("unreachable")  # pragma: no cover


def system_context(settings: Settings) -> RequestContext:
    """The importer writes as the server itself (no user), in the clinic's zone and profile mode."""
    return server_context(settings, "legacy-import")


def _chunks(rows: Iterator[Mapped], size: int) -> Iterator[list[Mapped]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _error_text(error: FhirError, language: str) -> str:
    issues = error.outcome(language).get("issue", [])
    texts = [str(i.get("diagnostics") or i.get("details", {}).get("text") or "") for i in issues]
    return "; ".join(t for t in texts if t)[:1000]


def _failed_index(error: FhirError) -> int | None:
    for issue in error.issues:
        if issue.message == "entry-failed" and isinstance(issue.params.get("index"), int):
            return int(issue.params["index"])
    return None


class ChunkWriter:
    """Writes chunks for one run and tallies the outcome in the report."""

    def __init__(
        self, storage: SqlStorage, ctx: RequestContext, report: ImportReport, dry_run: bool, audited: bool = False
    ) -> None:
        self.storage: SqlStorage = DryRunStorage(storage) if dry_run else storage
        self.ctx, self.report, self.dry_run, self.audited = ctx, report, dry_run, audited

    def reject(self, row: Mapped, error: FhirError) -> None:
        detail_es, detail_en = _error_text(error, "es"), _error_text(error, "en")
        self.report.findings.append(
            Finding(
                "rechazado",
                row.table,
                row.row,
                translate("legacy-rechazado", "es", {"detail": detail_es}),
                translate("legacy-rechazado", "en", {"detail": detail_en}),
                "skipped",
            )
        )

    def entries(self, rows: list[Mapped]) -> tuple[list[Entry], list[int], list[Mapped]]:
        """Parsed entries, the row each belongs to, and the rows whose resources the server refused to parse."""
        entries: list[Entry] = []
        owners: list[int] = []
        refused: list[Mapped] = []
        for position, row in enumerate(rows):
            parsed: list[Entry] = []
            try:
                for resource in row.resources:
                    raw = {
                        "fullUrl": f"{self.ctx.base_url}/{resource['resourceType']}/{resource['id']}",
                        "resource": resource,
                        "request": {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"},
                    }
                    parsed.append(parse_entry(len(entries) + len(parsed), raw, self.ctx, in_transaction=True))
            except FhirError as error:
                self.reject(row, error)
                refused.append(row)
                continue
            entries += parsed
            owners += [position] * len(parsed)
        return entries, owners, refused

    def write(self, rows: list[Mapped]) -> list[Mapped]:
        """Write the rows (leaving out, and reporting, those the server refuses); returns the written rows."""
        rows = [r for r in rows if r.resources]
        while rows:
            entries, owners, refused = self.entries(rows)
            rows = [r for r in rows if all(r is not x for x in refused)]
            if not entries:
                return rows
            started = now_us()
            try:
                results = self.transaction(entries)
            except FhirError as error:
                if error.status >= 500:
                    raise
                index = _failed_index(error)
                if index is None or len(rows) == 1:
                    return self.one_by_one(rows) if len(rows) > 1 else self.fail(rows[0], error)
                self.reject(rows[owners[index]], error)
                rows = [r for i, r in enumerate(rows) if i != owners[index]]
                continue
            self.tally(entries, results, started)
            return rows
        return []

    def transaction(self, entries: list[Entry]) -> dict[int, Result]:
        """The chunk's writes and (when audited) their Provenances, in one database transaction."""
        check_unique(entries)

        def work(writer: Writer) -> dict[int, Result]:
            since = now_us()
            results = process_in(writer, self.ctx, entries)
            if self.audited:
                items = batch_provenances(self.ctx, _written(entries, results, since))
                writer.create_many([(p, new_id(), "POST") for p in items])
            return results

        return self.storage.write(work)

    def fail(self, row: Mapped, error: FhirError) -> list[Mapped]:
        self.reject(row, error)
        return []

    def one_by_one(self, rows: list[Mapped]) -> list[Mapped]:
        return [written for row in rows for written in self.write([row])]

    def tally(self, entries: list[Entry], results: dict[int, Result], started: int) -> None:
        for entry in entries:
            if isinstance(self.storage, DryRunStorage) and entry.type_name in _CARRIED_TYPES and entry.resource:
                self.storage.carried[f"{entry.type_name}/{entry.res_id}"] = entry.resource
            result = results.get(entry.index)
            counts = self.report.type(str(entry.type_name))
            if result is None:
                continue
            if result.status == 201:
                counts.created += 1
            elif result.last_modified is not None and result.last_modified >= started:
                counts.updated += 1
            else:
                counts.unchanged += 1


def _written(entries: list[Entry], results: dict[int, Result], since: int) -> list[Stored]:
    """The versions a transaction wrote (an unchanged PUT wrote none)."""
    saved = []
    for entry in entries:
        result = results.get(entry.index)
        if result is None or result.version is None or result.last_modified is None or result.last_modified < since:
            continue
        version = Stored(0, str(entry.type_name), str(entry.res_id), result.version, result.last_modified, False, None)
        saved.append(version)
    return saved


def _record_table(storage: SqlStorage, ctx: RequestContext, source: str, table: str, report: ImportReport) -> None:
    """The AuditEvent of one imported table: who imported it, when, and its counts."""
    counts = report.table(table)
    detail = f"import-legacy {source} {table}: read {counts.read}, imported {counts.imported}, skipped {counts.skipped}"
    record_run(storage, ctx, detail, failed=False)


def _changed(report: ImportReport) -> int:
    return sum(count.created + count.updated for count in report.types.values())


def _merge(report: ImportReport, part: ImportReport) -> None:
    report.findings += part.findings
    for name, count in part.types.items():
        mine = report.type(name)
        mine.created, mine.updated, mine.unchanged = (
            mine.created + count.created,
            mine.updated + count.updated,
            mine.unchanged + count.unchanged,
        )


def run_import(
    source: LegacySource,
    storage: SqlStorage,
    *,
    settings: Settings,
    dry_run: bool = False,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Progress | None = None,
    workers: int = 1,
) -> ImportReport:
    """Import every table of the source; returns the report (also when nothing was written).

    ``workers`` > 1 writes each table's chunks from that many processes (not in a dry run).
    """
    from fhir_server.mappings.legacy.parallel import WriterPool

    report = ImportReport(source.name, dry_run=dry_run)
    ctx = system_context(settings)
    audited = settings.audit_enabled and not dry_run
    writer = ChunkWriter(storage, ctx, report, dry_run, audited)
    pool = WriterPool(settings, workers) if workers > 1 and not dry_run else None
    began = time.perf_counter()

    def done(table: str, total: int, written: list[Mapped], empty: list[Mapped], skipped: int) -> None:
        counts = report.table(table)
        counts.imported += len(written) + len(empty)
        counts.skipped += skipped
        create_accounts(storage.engine, [*written, *empty], report, dry_run=dry_run)
        if progress is not None:
            progress(table, counts.imported + counts.skipped, total)

    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    collect_less()  # before the writer processes fork: they start with everything frozen
    try:
        for run in source.tables():
            counts, changed_before = report.table(run.table), _changed(report)
            if progress is not None:
                progress(run.table, 0, run.total)
            for chunk in _chunks(run.rows, chunk_size):
                counts.read += len(chunk)
                for row in chunk:
                    report.findings += row.findings
                empty = [r for r in chunk if not r.skipped and not r.resources]
                to_write = [r for r in chunk if not r.skipped and r.resources]
                skipped_by_source = len(chunk) - len(empty) - len(to_write)
                if pool is None:
                    written = writer.write(to_write)
                    done(run.table, run.total, written, empty, skipped_by_source + len(to_write) - len(written))
                    continue
                done(run.table, run.total, [], empty, skipped_by_source)
                for sent, written, part in pool.submit(to_write):
                    _merge(report, part)
                    done(run.table, run.total, written, [], len(sent) - len(written))
            for sent, written, part in pool.drain() if pool is not None else ():
                _merge(report, part)
                done(run.table, run.total, written, [], len(sent) - len(written))
            if audited and _changed(report) > changed_before:  # a run that changed nothing leaves no trace
                _record_table(storage, ctx, source.name, run.table, report)
    finally:
        if pool is not None:
            pool.close()
        gc.set_threshold(*threshold)
        if not frozen:  # a caller that froze its own objects keeps them frozen
            gc.unfreeze()
        report.seconds = time.perf_counter() - began
    return report

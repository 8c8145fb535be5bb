"""One Bundle file: a transaction (or collection) all or nothing; a batch entry by entry."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fhir_server.errors import FhirError, Invalid, NotFound
from fhir_server.interactions import transaction
from fhir_server.interactions.bulk_import.audit import write_provenances
from fhir_server.interactions.bulk_import.report import Failure, Report, outcome_text
from fhir_server.interactions.bulk_import.resources import RolledBack
from fhir_server.interactions.bundle_entries import ORDER, Entry, entry_error, parse_entry
from fhir_server.interactions.bundles_process import process_bundle
from fhir_server.interactions.context import RequestContext, Result
from fhir_server.model.instants import now_us
from fhir_server.model.json import dumps
from fhir_server.model.validation import parse_json
from fhir_server.storage.records import Stored
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.writer import Writer

KINDS = ("transaction", "batch", "collection")


def _as_transaction(entries: list[Any]) -> list[Any]:
    """Collection entries as transaction entries: a resource with an id is a PUT, one without a POST."""
    converted = []
    for raw in entries:
        resource = raw.get("resource") if isinstance(raw, dict) else None
        if not isinstance(resource, dict):
            converted.append(raw)
            continue
        type_name, res_id = resource.get("resourceType"), resource.get("id")
        request = {"method": "PUT", "url": f"{type_name}/{res_id}"} if res_id else {"method": "POST", "url": type_name}
        converted.append({**raw, "request": request})
    return converted


def _written(results: dict[int, Result], entries: list[Entry], since: int) -> tuple[list[Stored], Report]:
    """The versions this transaction wrote (a matched conditional create or an unchanged PUT wrote none)."""
    report, saved = Report(), []
    types = {entry.index: str(entry.type_name) for entry in entries}
    for index, result in results.items():
        type_name = types[index]
        if result.version is None or result.last_modified is None or result.last_modified < since:
            report.unchanged[type_name] += 1
            continue
        res_id = (result.location or "").rsplit("/_history/", 1)[0].rsplit("/", 1)[-1]
        saved.append(Stored(0, type_name, res_id, result.version, result.last_modified, False, None))
        report.written[type_name] += 1
    return saved, report


def _failure(file: str, error: FhirError, language: str) -> Failure:
    entry = None
    for issue in error.issues:
        if issue.message == "entry-failed":
            entry = int(issue.params.get("index", 0))
    retryable = any(isinstance(error, NotFound) and i.message == "conditional-reference-none" for i in error.issues)
    return Failure(file, None, entry, outcome_text(error, language), retryable)


def _transaction(storage: SqlStorage, ctx: RequestContext, raw_entries: list[Any], options: dict[str, bool]) -> Report:
    entries = []
    for index, raw in enumerate(raw_entries):
        try:
            entries.append(parse_entry(index, raw, ctx, in_transaction=True))
        except FhirError as error:
            raise entry_error(index, error) from None
    writes = sorted((e for e in entries if e.method not in ("GET", "HEAD")), key=lambda e: (ORDER[e.method], e.index))
    transaction.check_unique(writes)

    def work(writer: Writer) -> Report:
        since = now_us()
        saved, report = _written(transaction.process_in(writer, ctx, writes), writes, since)
        write_provenances(writer, ctx, saved, options.get("per_resource_provenance", False))
        if options.get("dry_run"):
            raise RolledBack(report)
        return report

    try:
        return storage.write(work)
    except RolledBack as rolled_back:
        return rolled_back.report


def _batch(storage: SqlStorage, ctx: RequestContext, file: str, body: dict[str, Any]) -> Report:
    # Entries of a batch stand alone: the REST batch path answers each one.
    report = Report()
    result = process_bundle(storage, ctx, dumps(body), len(body.get("entry", [])) + 1, False)
    assert isinstance(result.body, dict)
    for index, (raw, answer) in enumerate(zip(body.get("entry", []), result.body.get("entry", []), strict=True)):
        response = answer.get("response", {})
        status = int(str(response.get("status", "500")).split(" ", 1)[0])
        type_name = str((raw.get("request") or {}).get("url", "?")).split("/", 1)[0].split("?", 1)[0]
        if status >= 400:
            text = "; ".join(str(i.get("diagnostics", "")) for i in response.get("outcome", {}).get("issue", []))
            report.failures.append(Failure(file, None, index, text))
        else:
            (report.written if status == 201 else report.unchanged)[type_name] += 1
    return report


def import_bundle(
    storage: SqlStorage,
    ctx: RequestContext,
    file: str,
    body: bytes,
    *,
    per_resource_provenance: bool = False,
    dry_run: bool = False,
) -> Report:
    """Import one Bundle; a failing transaction is one Failure and writes nothing."""
    ctx = replace(ctx, audit_writes=False)  # the bundle's own Provenance instead (docs/adr/0013)
    seen = 0
    try:
        value = parse_json(body)
        if not isinstance(value, dict) or value.get("resourceType") != "Bundle":
            raise Invalid("bundle-expected", code="invalid", expression=["resourceType"])
        kind = value.get("type")
        if kind not in KINDS:
            raise Invalid("bundle-type", code="invalid", expression=["Bundle.type"], type=str(kind))
        raw_entries = value.get("entry", [])
        if not isinstance(raw_entries, list):
            raise Invalid("json-type", code="structure", element="Bundle.entry", expected="array", actual="object")
        seen = len(raw_entries)
        if kind == "batch" and not dry_run:
            report = _batch(storage, ctx, file, value)
        else:
            entries = _as_transaction(raw_entries) if kind == "collection" else raw_entries
            options = {"per_resource_provenance": per_resource_provenance, "dry_run": dry_run}
            report = _transaction(storage, ctx, entries, options)
    except FhirError as error:
        report = Report(failures=[_failure(file, error, ctx.language)])
    report.seen = seen
    return report

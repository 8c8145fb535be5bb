"""A batch of NDJSON lines in one transaction: valid resources land, invalid ones are reported and skipped."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from fhir_server.errors import FhirError, Invalid
from fhir_server.interactions.bulk_import.audit import write_provenances
from fhir_server.interactions.bulk_import.report import Failure, Report, outcome_text
from fhir_server.interactions.context import RequestContext
from fhir_server.interactions.rules import after_save, before_save
from fhir_server.interactions.writes import put_in
from fhir_server.model.ids import new_id
from fhir_server.model.json import loads
from fhir_server.model.meta import same_content
from fhir_server.model.references import is_valid_id
from fhir_server.model.validation import parse_resource, require_served_type, validate
from fhir_server.storage.records import Stored
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.writer import Writer


class RolledBack(Exception):
    """Ends a dry run's transaction without committing, carrying what it would have done."""

    def __init__(self, report: Report) -> None:
        super().__init__("dry run")
        self.report = report


@dataclass(frozen=True, slots=True)
class Line:
    number: int  # 1-based, in its file
    text: bytes


@dataclass(slots=True)
class _Item:
    number: int
    resource: dict[str, Any]
    res_id: str

    @property
    def key(self) -> tuple[str, str]:
        return self.resource["resourceType"], self.res_id


def parse_line(text: bytes) -> dict[str, Any]:
    """One NDJSON line as a validated resource (the REST path's structure checks; 400 errors otherwise)."""
    resource = parse_resource(text)
    require_served_type(resource["resourceType"])
    validate(resource)
    return resource


class _Batch:
    """One attempt at writing the batch (re-run whole when the transaction is retried)."""

    def __init__(self, writer: Writer, ctx: RequestContext, file: str, per_resource_provenance: bool) -> None:
        self.writer, self.ctx, self.file = writer, ctx, file
        self.per_resource_provenance = per_resource_provenance
        self.report = Report()
        self.saved: list[Stored] = []

    def fail(self, item: _Item, error: FhirError) -> None:
        self.report.failures.append(Failure(self.file, item.number, None, outcome_text(error, self.ctx.language)))
        self.writer.pending.pop("/".join(item.key), None)

    def run(self, items: list[_Item]) -> Report:
        first: dict[tuple[str, str], _Item] = {}
        repeats: list[_Item] = []
        for item in items:
            if item.key in first:
                repeats.append(item)  # the same id twice in a batch: later lines update, in order
            else:
                first[item.key] = item
        existing = self.writer.current_many(list(first))
        self.writer.pending.update({"/".join(key): item.resource for key, item in first.items()})
        self.create([item for key, item in first.items() if key not in existing])
        for item in [item for key, item in first.items() if key in existing] + repeats:
            self.put(item)
        write_provenances(self.writer, self.ctx, self.saved, self.per_resource_provenance)
        return self.report

    def create(self, items: list[_Item]) -> None:
        accepted: list[tuple[_Item, dict[str, Any]]] = []
        for item in items:
            try:
                accepted.append((item, before_save(self.writer, self.ctx, item.resource, item.res_id)))
            except FhirError as error:
                self.fail(item, error)
        saved = self.writer.create_many([(resource, item.res_id, "PUT") for item, resource in accepted])
        for stored in saved:
            after_save(self.writer, self.ctx, stored, None)
            self.report.written[stored.type] += 1
        self.saved.extend(saved)

    def put(self, item: _Item) -> None:
        type_name = item.resource["resourceType"]
        current = self.writer.current(type_name, item.res_id)
        live = current is not None and not current.deleted and current.content is not None
        if live and current is not None and same_content(loads(current.content or b"{}"), item.resource):
            self.report.unchanged[type_name] += 1
            return
        try:
            # A savepoint: a rule failing after the save (slot bookkeeping) takes back this resource only.
            with self.writer.connection.begin_nested():
                result = put_in(self.writer, self.ctx, item.resource, item.res_id, None)
        except FhirError as error:
            self.fail(item, error)
            return
        assert result.version is not None and result.last_modified is not None and result.body is not None
        content = result.body if isinstance(result.body, bytes) else None
        self.saved.append(Stored(0, type_name, item.res_id, result.version, result.last_modified, False, content))
        self.report.written[type_name] += 1


@dataclass(frozen=True, slots=True)
class Expect:
    """What a caller knows of its lines: the one type they must hold, and the id of a line without one."""

    type_name: str | None = None
    new_id: Callable[[int], str] | None = None  # line number -> id (default: a random one)


def _parsed(file: str, lines: Sequence[Line], language: str, report: Report, expect: Expect) -> list[_Item]:
    items = []
    for line in lines:
        if not line.text.strip():
            continue
        report.seen += 1
        try:
            resource = parse_line(line.text)
            actual = resource["resourceType"]
            if expect.type_name is not None and actual != expect.type_name:
                raise Invalid("bulk-import-wrong-type", code="invalid", actual=actual, expected=expect.type_name)
        except FhirError as error:
            report.failures.append(Failure(file, line.number, None, outcome_text(error, language)))
            continue
        res_id = resource.get("id")
        if not isinstance(res_id, str) or not is_valid_id(res_id):
            res_id = expect.new_id(line.number) if expect.new_id is not None else new_id()
            resource = {**resource, "id": res_id}
        items.append(_Item(line.number, resource, res_id))
    return items


def import_lines(
    storage: SqlStorage,
    ctx: RequestContext,
    file: str,
    lines: Sequence[Line],
    *,
    per_resource_provenance: bool = False,
    dry_run: bool = False,
    expect: Expect = Expect(),
) -> Report:
    """Validate and write a batch of NDJSON lines in one transaction; failures are reported, not raised."""
    report = Report()
    ctx = replace(ctx, audit_writes=False)  # the batch's own Provenance instead (docs/adr/0013)
    items = _parsed(file, lines, ctx.language, report, expect)
    if not items:
        return report

    def write(chunk: list[_Item]) -> Report:
        def work(writer: Writer) -> Report:
            found = _Batch(writer, ctx, file, per_resource_provenance).run(chunk)
            if dry_run:
                raise RolledBack(found)  # every rule ran; nothing is kept
            return found

        try:
            return storage.write(work)
        except RolledBack as rolled_back:
            return rolled_back.report

    try:
        report.add(write(items))
    except FhirError:
        # The batch failed as a whole: each resource alone, so only the guilty ones are left out.
        for item in items:
            try:
                report.add(write([item]))
            except FhirError as error:
                report.failures.append(Failure(file, item.number, None, outcome_text(error, ctx.language)))
    return report

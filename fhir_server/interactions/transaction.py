"""transaction: every entry in one database transaction, all or nothing.

Processing order (http.html#trules): DELETE, POST, PUT/PATCH, then GET/HEAD. Identities are fixed
first (new ids, conditional creates and updates resolved under advisory locks), conditional
references resolved once, then every reference rewritten before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fhir_server.errors import FhirError, Invalid
from fhir_server.interactions.bundle_entries import Entry, entry_error
from fhir_server.interactions.bundle_refs import conditional_references, resolve_conditional, rewritable, rewrite
from fhir_server.interactions.context import RequestContext, Result
from fhir_server.interactions.patch import patch_in
from fhir_server.interactions.rules import after_save, before_save
from fhir_server.interactions.writes import (
    conditional_delete_in,
    delete_in,
    put_in,
    single_match,
    stored_result,
)
from fhir_server.model.ids import new_id
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.writer import Writer


def _check_unique(entries: list[Entry]) -> None:
    full_urls: set[str] = set()
    targets: set[tuple[str, str]] = set()
    for entry in entries:
        if entry.full_url and entry.method in ("POST", "PUT"):
            if entry.full_url in full_urls:
                raise Invalid(
                    "bundle-duplicate-fullurl",
                    expression=[f"Bundle.entry[{entry.index}].fullUrl"],
                    full_url=entry.full_url,
                )
            full_urls.add(entry.full_url)
        if entry.method in ("PUT", "DELETE", "PATCH") and entry.res_id and entry.type_name:
            key = (entry.type_name, entry.res_id)
            if key in targets:
                raise Invalid(
                    "bundle-same-resource", expression=[f"Bundle.entry[{entry.index}].request"], type=key[0], id=key[1]
                )
            targets.add(key)


@contextmanager
def _at(entry: Entry) -> Iterator[None]:
    """Errors raised while processing an entry name that entry."""
    try:
        yield
    except FhirError as error:
        raise entry_error(entry.index, error) from None


class _Run:
    """One attempt at the transaction (retried whole on serialisation failures)."""

    def __init__(self, writer: Writer, ctx: RequestContext, entries: list[Entry]) -> None:
        self.writer, self.ctx, self.entries = writer, ctx, entries
        self.results: dict[int, Result] = {}
        self.mapping: dict[str, str] = {}
        self.rewriting = True  # False once ``references`` finds that no entry uses a mapped string

    def rewritten(self, resource: dict[str, Any] | None) -> dict[str, Any]:
        # A new dict at the top either way (the write stamps id and meta there).
        if self.rewriting or resource is None:
            return rewrite(resource, self.mapping)  # type: ignore[no-any-return]
        return dict(resource)

    def put_body(self, entry: Entry, res_id: str) -> dict[str, Any]:
        resource = self.rewritten(entry.resource)
        return resource if resource.get("id") == res_id else {**resource, "id": res_id}

    def of(self, method: str) -> list[Entry]:
        return [e for e in self.entries if e.method == method]

    def map(self, entry: Entry, type_name: str, res_id: str) -> None:
        if entry.full_url:
            self.mapping[entry.full_url] = f"{type_name}/{res_id}"

    def deletes(self) -> None:
        for entry in self.of("DELETE"):
            type_name = str(entry.type_name)
            with _at(entry):
                if entry.criteria is not None:
                    result = conditional_delete_in(self.writer, self.ctx, type_name, entry.criteria)
                else:
                    result = delete_in(self.writer, self.ctx, type_name, str(entry.res_id), entry.if_match)
            self.results[entry.index] = result

    def identities(self) -> tuple[list[tuple[Entry, str]], list[tuple[Entry, str]]]:
        creates, puts = [], []
        for entry in self.of("POST"):
            type_name = str(entry.type_name)
            if entry.criteria is not None:
                with _at(entry):
                    match = single_match(self.writer, self.ctx, type_name, entry.criteria)
                if match is not None:
                    self.results[entry.index] = stored_result(self.ctx, match, 200, with_location=True)
                    self.map(entry, type_name, match.id)
                    continue
            created_id = new_id()
            self.map(entry, type_name, created_id)
            creates.append((entry, created_id))
        for entry in self.of("PUT"):
            type_name = str(entry.type_name)
            res_id = entry.res_id
            if res_id is None and entry.criteria is not None:
                with _at(entry):
                    match = single_match(self.writer, self.ctx, type_name, entry.criteria)
                body_id = (entry.resource or {}).get("id")
                res_id = match.id if match is not None else body_id if isinstance(body_id, str) else new_id()
            assert res_id is not None
            self.map(entry, type_name, res_id)
            puts.append((entry, res_id))
        return creates, puts

    def references(self) -> None:
        resources = [e.resource for e in self.entries if e.resource is not None]
        strings = rewritable(resources)
        for reference in sorted(conditional_references(strings)):
            try:
                self.mapping[reference] = resolve_conditional(self.writer, self.ctx, reference)
            except FhirError as error:
                # Only a failure needs the entry that used the reference (a scan of every entry).
                entry = next(e for e in self.entries if e.resource is not None and reference in str(e.resource))
                raise entry_error(entry.index, error) from None
        # Entries with final references (an import's PUTs) need no rewrite: skipped, it walked every value.
        self.rewriting = not strings.isdisjoint(self.mapping)

    def writes(self, creates: list[tuple[Entry, str]], puts: list[tuple[Entry, str]]) -> None:
        # PUTs to ids that do not exist yet are creations too: all of them go in one INSERT per table.
        existing = self.writer.current_many([(str(e.type_name), res_id) for e, res_id in puts]) if puts else {}
        new_puts = [(e, i) for e, i in puts if (str(e.type_name), i) not in existing and e.if_match is None]
        items = [(self.rewritten(e.resource), new_id, "POST") for e, new_id in creates]
        items += [(self.put_body(e, res_id), res_id, "PUT") for e, res_id in new_puts]
        created = {entry.index for entry, _ in new_puts}
        # Each update's body is built once: for the pending writes here, and for its put_in below.
        updates = {e.index: (self.put_body(e, res_id), res_id) for e, res_id in puts if e.index not in created}
        self.writer.pending.update({f"{r['resourceType']}/{i}": r for r, i, _ in items})
        self.writer.pending.update({f"{r['resourceType']}/{i}": r for r, i in updates.values()})
        for position, ((entry, _), item) in enumerate(zip(creates + new_puts, items, strict=True)):
            with _at(entry):
                items[position] = (before_save(self.writer, self.ctx, item[0], item[1]), item[1], item[2])
        for (entry, _), saved in zip(creates + new_puts, self.writer.create_many(items), strict=True):
            with _at(entry):
                after_save(self.writer, self.ctx, saved, None)
            self.results[entry.index] = stored_result(self.ctx, saved, 201, with_location=True)
        for entry, _ in puts:
            if entry.index in created:
                continue
            resource, res_id = updates[entry.index]
            with _at(entry):
                self.results[entry.index] = put_in(self.writer, self.ctx, resource, res_id, entry.if_match)
        for entry in self.of("PATCH"):
            with _at(entry):
                result = patch_in(
                    self.writer, self.ctx, str(entry.type_name), str(entry.res_id), entry.patch, entry.if_match
                )
            self.results[entry.index] = result


def process_in(writer: Writer, ctx: RequestContext, entries: list[Entry]) -> dict[int, Result]:
    """The writes of a transaction on an open Writer (the caller owns the database transaction)."""
    run = _Run(writer, ctx, entries)
    run.deletes()
    creates, puts = run.identities()
    run.references()
    run.writes(creates, puts)
    return run.results


def process(storage: SqlStorage, ctx: RequestContext, entries: list[Entry]) -> dict[int, Result]:
    """Run the writes of a transaction in one database transaction; returns results by entry index."""
    _check_unique(entries)
    return storage.write(lambda writer: process_in(writer, ctx, entries))


def check_unique(entries: list[Entry]) -> None:
    """400 when two entries share a fullUrl or act on the same resource (before any database work)."""
    _check_unique(entries)

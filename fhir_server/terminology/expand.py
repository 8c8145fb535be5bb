"""$expand: a page of a value set's codes, filtered by text and flags, displayed in a language.

``filter`` is accent- and case-insensitive and matches word prefixes of the display, the
designations and the code ("faringitis", "J02", "fari agu"); ``parent`` (a server extension) keeps
the codes below one code, so a picker lists the parroquias of one cantón.
https://hl7.org/fhir/R4/valueset-operation-expand.html
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fhir_server.errors import Invalid, Unprocessable
from fhir_server.terminology.compose import Entry
from fhir_server.terminology.expansion import Expansion

DEFAULT_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class ExpandRequest:
    """The $expand inputs this server honours."""

    filter: str | None = None
    offset: int = 0
    count: int | None = None
    display_language: str | None = None
    active_only: bool = False
    include_designations: bool = False
    exclude_not_for_ui: bool = False
    parent: str | None = None
    limit: int = DEFAULT_LIMIT


def entry_display(entry: Entry, language: str | None) -> str | None:
    """The display of an expansion entry in ``language`` (designations for other languages)."""
    if entry.source is not None:
        return entry.source.display_for(entry.concept, language)
    if language:
        for designation in entry.concept.designations:
            if designation.language and designation.language.split("-")[0] == language.split("-")[0]:
                return designation.value
    return entry.concept.display


def contains_item(entry: Entry, language: str | None, designations: bool = False) -> dict[str, Any]:
    """One ``expansion.contains`` element."""
    concept = entry.concept
    item: dict[str, Any] = {"system": entry.system}
    if entry.version:
        item["version"] = entry.version
    if concept.abstract:
        item["abstract"] = True
    if concept.inactive:
        item["inactive"] = True
    item["code"] = concept.code
    display = entry_display(entry, language)
    if display:
        item["display"] = display
    if designations and concept.designations:
        item["designation"] = [
            {k: v for k, v in (("language", d.language), ("use", d.use), ("value", d.value)) if v}
            for d in concept.designations
        ]
    return item


def _below(expansion: Expansion, parent: str) -> set[str]:
    """Codes under ``parent`` in the code systems of the expansion."""
    found: set[str] = set()
    for source in {id(e.source): e.source for e in expansion.entries if e.source is not None}.values():
        found |= source.descendants(parent)
    return found


def _echo(request: ExpandRequest, expansion: Expansion) -> list[dict[str, Any]]:
    echoed: list[dict[str, Any]] = []
    if request.filter:
        echoed.append({"name": "filter", "valueString": request.filter})
    if request.parent:
        echoed.append({"name": "parent", "valueCode": request.parent})
    if request.count is not None:
        echoed.append({"name": "count", "valueInteger": request.count})
    echoed.append({"name": "offset", "valueInteger": request.offset})
    if request.display_language:
        echoed.append({"name": "displayLanguage", "valueCode": request.display_language})
    if request.active_only:
        echoed.append({"name": "activeOnly", "valueBoolean": True})
    if request.exclude_not_for_ui:
        echoed.append({"name": "excludeNotForUI", "valueBoolean": True})
    if request.include_designations:
        echoed.append({"name": "includeDesignations", "valueBoolean": True})
    for system, version in sorted(expansion.used_systems.items()):
        echoed.append({"name": "version", "valueUri": f"{system}|{version}" if version else system})
    return echoed


def expand(value_set: dict[str, Any], expansion: Expansion, request: ExpandRequest) -> dict[str, Any]:
    """The ValueSet with an ``expansion`` holding the requested page (422 too-costly past the limit)."""
    if request.offset < 0 or (request.count is not None and request.count < 0):
        raise Invalid("operation-parameter", code="value", name="offset/count")
    within = _below(expansion, request.parent) if request.parent else None
    positions = expansion.positions(
        request.filter,
        active_only=request.active_only,
        selectable_only=request.exclude_not_for_ui,
        within=within,
    )
    total = len(positions)
    if request.count is None and total - request.offset > request.limit:
        raise Unprocessable("terminology-expansion-too-large", code="too-costly", total=total, limit=request.limit)
    end = total if request.count is None else request.offset + request.count
    language = request.display_language
    contains = [
        contains_item(expansion.entries[p], language, request.include_designations)
        for p in positions[request.offset : end]
    ]
    result: dict[str, Any] = {"resourceType": "ValueSet"}
    for key in ("id", "url", "version", "name", "title", "status", "language"):
        if value_set.get(key) is not None:
            result[key] = value_set[key]
    result.setdefault("status", "active")
    body: dict[str, Any] = {
        "identifier": f"urn:uuid:{uuid.uuid4()}",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "total": total,
        "offset": request.offset,
        "parameter": _echo(request, expansion),
    }
    if contains:
        body["contains"] = contains
    result["expansion"] = body
    return result

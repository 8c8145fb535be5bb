"""National identifiers are unique among active people: one active Patient (or Practitioner) per cédula.

Checked inside the write transaction under an advisory lock on the identifier, so two concurrent
registrations of the same cédula cannot both pass; resources pending in the same bundle count too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fhir_server.errors import Conflict, Issue
from fhir_server.model.canonical import CEDULA_SYSTEM
from fhir_server.model.json import loads
from fhir_server.search.query import Clause, SearchQuery
from fhir_server.search.registry import r4_registry
from fhir_server.search.values_parse import TokenValue
from fhir_server.storage.records import Page
from fhir_server.storage.writer import Writer

UNIQUE_SYSTEMS: dict[str, frozenset[str]] = {
    "Patient": frozenset({CEDULA_SYSTEM}),
    "Practitioner": frozenset({CEDULA_SYSTEM}),
}


def _unique_identifiers(resource: dict[str, Any]) -> list[tuple[int, str, str]]:
    systems = UNIQUE_SYSTEMS.get(resource.get("resourceType", ""), frozenset())
    found = []
    for index, identifier in enumerate(resource.get("identifier", [])):
        if not isinstance(identifier, dict):
            continue
        system, value = identifier.get("system"), identifier.get("value")
        if system in systems and isinstance(value, str) and value:
            found.append((index, system, value))
    return found


def _holds(resource: dict[str, Any], system: str, value: str) -> bool:
    return resource.get("active") is not False and any(
        system == system_ and value == value_ for _, system_, value_ in _unique_identifiers(resource)
    )


def identity_issues(
    search: Callable[[SearchQuery], Page],
    resource: dict[str, Any],
    res_id: str,
    pending: Mapping[str, dict[str, Any]] | None = None,
) -> list[Issue]:
    """One issue per unique identifier another active resource (stored or pending) already holds."""
    if resource.get("active") is False:
        return []
    type_name = resource["resourceType"]
    issues = []
    for index, system, value in _unique_identifiers(resource):
        holders = [
            key
            for key, other in (pending or {}).items()
            if key != f"{type_name}/{res_id}" and key.startswith(f"{type_name}/") and _holds(other, system, value)
        ]
        param = r4_registry().get(type_name, "identifier")
        query = SearchQuery(type_name, [Clause("identifier", param, None, (TokenValue(system, value),))], count=5)
        for row in search(query).rows:
            if row.id != res_id and row.content is not None and _holds(loads(row.content), system, value):
                holders.append(f"{type_name}/{row.id}")
        if holders:
            params = {"value": value, "existing": holders[0], "type": type_name}
            issues.append(
                Issue(
                    "duplicate", "identifier-duplicate", params, expression=(f"{type_name}.identifier[{index}].value",)
                )
            )
    return issues


def check_unique_identifiers(writer: Writer, resource: dict[str, Any], res_id: str) -> None:
    """409 naming the existing resource when another active one holds the same unique identifier."""
    identifiers = _unique_identifiers(resource)
    if not identifiers or resource.get("active") is False:
        return
    for _, system, value in identifiers:
        writer.lock(f"identifier|{resource['resourceType']}|{system}|{value}")
    issues = identity_issues(writer.search, resource, res_id, writer.pending)
    if issues:
        raise Conflict(issues=issues)

"""Parse and validate a resource body: JSON, resourceType, structure, required codes, references."""

from __future__ import annotations

from typing import Any

from fhir_server.errors import Invalid, NotFound
from fhir_server.model.json import JsonError, loads
from fhir_server.model.r4_types import R4_ONLY_TYPES, SERVED_TYPES
from fhir_server.model.structure import structure_issues


def require_served_type(type_name: str) -> None:
    """Raise 404 unless the server serves this resource type."""
    if type_name in SERVED_TYPES:
        return
    if type_name in R4_ONLY_TYPES:
        raise NotFound("type-not-served", type=type_name)
    raise NotFound("unknown-type", type=type_name)


def parse_json(body: bytes) -> Any:
    """Parse a JSON request body (400 when it is not JSON)."""
    if not body.strip():
        raise Invalid("body-required", code="required")
    try:
        return loads(body)
    except JsonError as exc:
        raise Invalid("json-invalid", code="structure", detail=str(exc)) from None


def parse_resource(body: bytes) -> dict[str, Any]:
    """Parse a body that must be one resource; its type is checked by ``validate``."""
    value = parse_json(body)
    if not isinstance(value, dict):
        raise Invalid("json-not-object", code="structure")
    if not isinstance(value.get("resourceType"), str):
        raise Invalid("resource-type-missing", code="required", expression=["resourceType"])
    return value


def validate(resource: dict[str, Any], *, in_transaction: bool = False) -> None:
    """Raise Invalid (400) with every issue found, or return when the resource is valid R4."""
    type_name = resource["resourceType"]
    if type_name not in SERVED_TYPES:
        raise Invalid(
            "type-not-served" if type_name in R4_ONLY_TYPES else "unknown-type",
            code="not-supported",
            expression=["resourceType"],
            type=type_name,
        )
    issues = structure_issues(resource, in_transaction=in_transaction)
    if issues:
        raise Invalid(issues=issues)

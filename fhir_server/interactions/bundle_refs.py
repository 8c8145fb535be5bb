"""Transaction references: fullUrls (urn:uuid, urn:oid, absolute) and conditional references resolved,
then rewritten in every reference of every entry, extensions and contained resources included.
"""

from __future__ import annotations

from typing import Any

from fhir_server.errors import NotFound, PreconditionFailed
from fhir_server.interactions.context import RequestContext
from fhir_server.interactions.criteria import parse_criteria
from fhir_server.model.references import RefKind, parse_reference
from fhir_server.storage.writer import Writer


def _strings(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        reference = value.get("reference")
        if isinstance(reference, str):
            found.add(reference)
        for item in value.values():
            if isinstance(item, dict | list):
                _strings(item, found)
    elif isinstance(value, list):
        for item in value:
            _strings(item, found)


def conditional_references(resources: list[dict[str, Any]]) -> set[str]:
    """Every ``Type?criteria`` reference used by the resources."""
    found: set[str] = set()
    for resource in resources:
        _strings(resource, found)
    return {r for r in found if (ref := parse_reference(r)) is not None and ref.kind is RefKind.CONDITIONAL}


def resolve_conditional(writer: Writer, ctx: RequestContext, reference: str) -> str:
    """``Type/id`` of the one resource a conditional reference matches (404 none, 412 several)."""
    type_name, _, query = reference.partition("?")
    criteria = parse_criteria(ctx, type_name, query)
    matches = writer.search(criteria).rows
    if not matches:
        raise NotFound("conditional-reference-none", reference=reference)
    if len(matches) > 1:
        raise PreconditionFailed(
            "conditional-reference-many", code="multiple-matches", reference=reference, count=len(matches)
        )
    return f"{type_name}/{matches[0].id}"


def rewrite(value: Any, mapping: dict[str, str]) -> Any:
    """A copy with every mapped reference replaced (and uri values equal to a mapped urn)."""
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if (key == "reference" and isinstance(item, str) and item in mapping) or (
                isinstance(item, str) and item.startswith("urn:") and item in mapping
            ):
                result[key] = mapping[item]
            elif isinstance(item, dict | list):
                result[key] = rewrite(item, mapping)
            else:
                result[key] = item
        return result
    if isinstance(value, list):
        return [rewrite(item, mapping) for item in value]
    return value

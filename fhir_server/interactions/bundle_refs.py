"""Transaction references: fullUrls (urn:uuid, urn:oid, absolute) and conditional references resolved,
then rewritten in every reference of every entry, extensions and contained resources included.
"""

from __future__ import annotations

from typing import Any

from fhir_server.errors import NotFound, PreconditionFailed
from fhir_server.interactions.context import RequestContext
from fhir_server.interactions.criteria import parse_criteria
from fhir_server.model.references import RefKind, parse_reference
from fhir_server.search.query import SearchQuery
from fhir_server.storage.writer import Writer


def _strings(value: Any, found: set[str]) -> None:
    # Exact types first: JSON holds exactly these, and the walk visits every element of a bundle.
    if isinstance(value, dict):
        reference = value.get("reference")
        if isinstance(reference, str):
            found.add(reference)
        for item in value.values():
            kind = type(item)
            if kind is str:
                if item.startswith("urn:"):
                    found.add(item)
            elif kind is dict or kind is list or isinstance(item, dict | list):
                _strings(item, found)
            elif isinstance(item, str) and item.startswith("urn:"):
                found.add(item)
    elif isinstance(value, list):
        for item in value:
            kind = type(item)
            if kind is dict or kind is list or isinstance(item, dict | list):
                _strings(item, found)


def rewritable(resources: list[dict[str, Any]]) -> set[str]:
    """Every string ``rewrite`` could replace in the resources: references, and values that are urns."""
    found: set[str] = set()
    for resource in resources:
        _strings(resource, found)
    return found


def conditional_references(strings: set[str]) -> set[str]:
    """The ``Type?criteria`` references among ``rewritable`` strings."""
    return {r for r in strings if (ref := parse_reference(r)) is not None and ref.kind is RefKind.CONDITIONAL}


# Parsed criteria of the conditional references seen, by (reference, base URL, zone).
_CRITERIA: dict[tuple[str, str, Any], SearchQuery] = {}
_CRITERIA_LIMIT = 1_024


def resolve_conditional(writer: Writer, ctx: RequestContext, reference: str) -> str:
    """``Type/id`` of the one resource a conditional reference matches (404 none, 412 several)."""
    type_name, _, query = reference.partition("?")
    key = (reference, ctx.base_url, ctx.zone)
    criteria = _CRITERIA.get(key)
    if criteria is None:
        criteria = parse_criteria(ctx, type_name, query)
        if len(_CRITERIA) >= _CRITERIA_LIMIT:
            _CRITERIA.clear()
        _CRITERIA[key] = criteria
    # The search runs in every transaction (a match may have appeared or gone since); only the
    # parsing is reused.
    matches = writer.search(criteria).rows
    if not matches:
        raise NotFound("conditional-reference-none", reference=reference)
    if len(matches) > 1:
        raise PreconditionFailed(
            "conditional-reference-many", code="multiple-matches", reference=reference, count=len(matches)
        )
    return f"{type_name}/{matches[0].id}"


def rewrite(value: Any, mapping: dict[str, str]) -> Any:
    """A copy with every mapped reference replaced (and uri values equal to a mapped urn).

    The copy is new at the top, where the write stamps id and meta; parts with nothing to replace
    are the input's own objects, which the rules never change in place (they build new ones). So
    resources that shared a part still share it, and indexing reuses its rows (``index_rows``).
    """
    if type(value) is dict:
        result = _rewrite_dict(value, mapping)
        return dict(result) if result is value else result
    if type(value) is list:
        rewritten = _rewrite_list(value, mapping)
        return list(rewritten) if rewritten is value else rewritten
    return _rewrite_any(value, mapping)


# Exact JSON types take the fast paths below; anything else (a dict or str subclass) goes through the
# general one. Both return the very object given when nothing inside it changes.
def _rewrite_dict(value: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    result = None
    for key, item in value.items():
        kind = type(item)
        new: Any
        if kind is str:
            new = mapping[item] if item in mapping and (key == "reference" or item.startswith("urn:")) else item
        elif kind is dict:
            new = _rewrite_dict(item, mapping)
        elif kind is list:
            new = _rewrite_list(item, mapping)
        elif kind is int or kind is bool or kind is float or item is None:
            continue
        else:
            new = _rewrite_any({key: item}, mapping)[key]
        if new is not item:
            if result is None:
                result = dict(value)
            result[key] = new
    return value if result is None else result


def _rewrite_list(value: list[Any], mapping: dict[str, str]) -> list[Any]:
    result = None
    for position, item in enumerate(value):
        kind = type(item)
        new: Any
        if kind is dict:
            new = _rewrite_dict(item, mapping)
        elif kind is list:
            new = _rewrite_list(item, mapping)
        else:
            new = _rewrite_any(item, mapping)
        if new is not item:
            if result is None:
                result = list(value)
            result[position] = new
    return value if result is None else result


def _rewrite_any(value: Any, mapping: dict[str, str]) -> Any:
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

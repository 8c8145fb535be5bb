"""What a Patient/$everything request asks for, cut to what the caller may see (before any row is read).

Input parameters (R4 OperationDefinition Patient-everything): ``start``/``end`` (care dates), ``_since``
(last updated), ``_type`` (comma lists, repeatable), ``_count`` and the paging ``_cursor``. Types the
caller's scopes do not cover are left out, like ``_include`` targets; granular scopes become SQL clauses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fhir_server.errors import Invalid
from fhir_server.interactions.context import RequestContext
from fhir_server.interactions.scope_filters import narrowing_clauses
from fhir_server.model.datetimes import BadDate, date_range
from fhir_server.model.r4_types import SERVED_TYPES
from fhir_server.search.compartments import PATIENT_COMPARTMENT
from fhir_server.search.query import AnyClause
from fhir_server.storage.params.date import MAX_US, MIN_US

# The supporting resources returned with the record (OperationDefinition: "linked practitioners,
# medications, locations, organizations").
REFERENCED_TYPES = ("Location", "Medication", "Organization", "Practitioner", "PractitionerRole")
# The access log is not the clinical record, and every $everything call adds to it: only on request.
ON_REQUEST_ONLY = frozenset({"AuditEvent"})
# The whole record in one Bundle unless the client pages (the OperationDefinition's default), up to this.
MAX_COUNT = 5000
_KNOWN = frozenset({"start", "end", "_since", "_type", "_count", "_cursor", "_format", "_pretty"})


@dataclass(frozen=True, slots=True)
class Request:
    """The parsed inputs, and the query-string pairs that reproduce them in paging links."""

    window: tuple[int, int] | None
    since: int | None
    types: frozenset[str] | None
    count: int
    after_pk: int | None
    link_params: list[tuple[str, str]]


def _single(params: dict[str, list[Any]], name: str) -> str | None:
    values = params.get(name) or []
    if len(values) > 1:
        raise Invalid("operation-parameter-repeated", code="invalid", name=name)
    return str(values[0]) if values and values[0] is not None else None


def _instant(ctx: RequestContext, name: str, text: str | None, high: bool) -> int | None:
    if text is None:
        return None
    try:
        low_us, high_us = date_range(text, ctx.zone)
    except BadDate:
        raise Invalid("bad-parameter", code="value", name=name, value=text) from None
    return high_us if high else low_us


def _number(name: str, text: str | None, minimum: int) -> int | None:
    if text is None:
        return None
    if not text.isdigit() or len(text) > 18 or int(text) < minimum:
        raise Invalid("bad-parameter", code="value", name=name, value=text[:40])
    return int(text)


def parse_request(ctx: RequestContext, params: dict[str, list[Any]]) -> Request:
    """The inputs of one invocation (400 for malformed values; unknown names refused in strict mode)."""
    unknown = sorted(set(params) - _KNOWN)
    if unknown and ctx.strict_handling:
        raise Invalid("unknown-parameter", code="not-supported", name=", ".join(unknown))
    start = _instant(ctx, "start", _single(params, "start"), high=False)
    end = _instant(ctx, "end", _single(params, "end"), high=True)
    window = None
    if start is not None or end is not None:
        window = (MIN_US if start is None else start, MAX_US if end is None else end)
    since = _instant(ctx, "_since", _single(params, "_since"), high=False)
    types: frozenset[str] | None = None
    if params.get("_type"):
        listed = [t.strip() for value in params["_type"] for t in str(value).split(",") if t.strip()]
        bad = [t for t in listed if t not in SERVED_TYPES]
        if bad:
            raise Invalid("bad-parameter", code="value", name="_type", value=",".join(bad))
        types = frozenset(listed)
    count = min(_number("_count", _single(params, "_count"), 1) or MAX_COUNT, MAX_COUNT)
    after_pk = _number("_cursor", _single(params, "_cursor"), 0)
    link_params = [
        (name, str(value))
        for name, values in params.items()
        if name in _KNOWN and name not in ("_cursor", "_format", "_pretty")
        for value in values
        if value is not None
    ]
    return Request(window, since, types, count, after_pk, link_params)


def _may_see_type(ctx: RequestContext, type_name: str, patient_id: str) -> bool:
    scopes = ctx.principal.scopes
    if scopes is None:
        return True
    granted = scopes.for_type(type_name, "s")
    if not granted:
        return False
    # patient/ scopes reach only their own patient's compartment, never the supporting resources.
    patient_only = all(s.context == "patient" for s in granted)
    return not patient_only or (type_name in PATIENT_COMPARTMENT and ctx.principal.patient == patient_id)


def member_types(ctx: RequestContext, request: Request, patient_id: str) -> tuple[str, ...]:
    """The compartment types to return: asked for (or all but the access log), and within the caller's scopes."""
    wanted = [
        t
        for t in sorted(PATIENT_COMPARTMENT)
        if t in SERVED_TYPES and (t in request.types if request.types is not None else t not in ON_REQUEST_ONLY)
    ]
    return tuple(t for t in wanted if _may_see_type(ctx, t, patient_id))


def referenced_types(ctx: RequestContext, request: Request, patient_id: str) -> tuple[str, ...]:
    """The supporting types to add: asked for (or all of them), and within the caller's scopes."""
    wanted = [t for t in REFERENCED_TYPES if request.types is None or t in request.types]
    return tuple(t for t in wanted if _may_see_type(ctx, t, patient_id))


def narrowing(ctx: RequestContext, types: tuple[str, ...]) -> dict[str, tuple[AnyClause, ...]]:
    """Granular scopes (``?category=...``) as SQL clauses, for types whose scopes all share one filter."""
    scopes = ctx.principal.scopes
    found: dict[str, tuple[AnyClause, ...]] = {}
    if scopes is None:
        return found
    for type_name in types:
        granted = scopes.for_type(type_name, "s")
        filters = {s.filters for s in granted}
        if len(filters) == 1 and granted[0].filters:
            found[type_name] = narrowing_clauses(type_name, granted[0].filters)
    return found

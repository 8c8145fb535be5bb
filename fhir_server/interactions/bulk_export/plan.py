"""What an export writes for a caller: the output types and, per type, the rows a search by that caller returns.

The rows are chosen by the search engine itself (``_typeFilter`` queries parsed like any search,
the caller's row limits from ``access.narrow``), and each row is checked with ``access.admits``
whenever a scope could refuse it (patient context, granular filters): the NDJSON holds exactly
what the caller would get by searching.

Types the caller's scopes do not cover are left out of an export that did not name them; naming
one in ``_type`` or ``_typeFilter`` answers 403 (asking for clearly unauthorised data fails the
request, SMART Backend Services).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fhir_server.interactions.access import NO_PATIENT, admits, narrow, require
from fhir_server.interactions.bulk_export.request import SYSTEM, ExportRequest
from fhir_server.interactions.context import RequestContext
from fhir_server.interactions.search import parse
from fhir_server.interactions.valuesets import expand_in_modifiers
from fhir_server.model.json import loads
from fhir_server.model.r4_types import SERVED_TYPES
from fhir_server.search.patient_refs import in_patient_compartment
from fhir_server.storage.export_rows import ANY_PATIENT, Selection
from fhir_server.storage.repository import SqlStorage


@dataclass(frozen=True, slots=True)
class TypePlan:
    """One output type: the SQL selection, and whether each row must still pass the row check."""

    selection: Selection
    row_check: bool


def output_types(ctx: RequestContext, request: ExportRequest) -> list[str]:
    """The types the export writes, in order (403 when an explicitly named type is out of scope)."""
    named = list(request.types or ())
    named += [t for t in request.type_filters if t not in named]
    for type_name in named:
        require(ctx, type_name, "search")
    candidates = list(request.types) if request.types is not None else sorted(SERVED_TYPES)
    if request.kind != SYSTEM:
        candidates = [t for t in candidates if in_patient_compartment(t)]
    scopes = ctx.principal.scopes
    if scopes is None:
        return candidates
    return [t for t in candidates if scopes.allows(t, "search")]


def _row_check(ctx: RequestContext, type_name: str) -> bool:
    """False when some scope admits every row of the type, so SQL narrowing alone is exact."""
    principal = ctx.principal
    if principal.scopes is None:
        return False
    for scope in principal.scopes.for_type(type_name, "s"):
        care = principal.role == "doctor" and scope.context == "user" and not principal.break_glass
        if scope.context != "patient" and not scope.filters and not care:
            return False
    return True


def type_plan(storage: SqlStorage, ctx: RequestContext, request: ExportRequest, type_name: str) -> TypePlan:
    """The selection of one output type (400 for a malformed _typeFilter)."""
    limits = parse(ctx, type_name, [])
    narrow(ctx, storage, limits)
    alternatives: list[tuple[Any, ...]] = []
    for text in request.type_filters.get(type_name, ()):
        query = parse(ctx, type_name, parse_qsl(text, keep_blank_values=True))
        expand_in_modifiers(storage, query)
        alternatives.append(tuple(query.clauses))
    patients = None
    if request.kind != SYSTEM:
        # No patient list: every patient's compartment; an empty list (a Group without members): none.
        patients = ANY_PATIENT if request.patients is None else request.patients or (NO_PATIENT,)
    selection = Selection(
        type=type_name,
        alternatives=tuple(alternatives) or ((),),
        required=tuple(limits.clauses),
        since_us=request.since_us,
        patients=patients,
    )
    return TypePlan(selection, _row_check(ctx, type_name))


def admitted(storage: SqlStorage, ctx: RequestContext, content: bytes) -> bool:
    """The final row check of a search, for types whose scopes SQL cannot express exactly."""
    return admits(ctx, storage, loads(content), "s")

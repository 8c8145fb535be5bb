"""Authorization in the FHIR layer: the interaction gate, row rules, and search narrowing (security.md 5.3).

Effective permission = the token's scopes (already cut by the role's ceiling) ∩ the patient context
(``patient/`` scopes see one patient's compartment) ∩ granular filters (``?category=...``) ∩ the care
relationship (a doctor sees clinical data of the patients they have appointments or encounters with,
unless they give a break-glass reason). An out-of-scope type answers 403; a resource outside the
caller's rows answers 404, so its existence is not revealed.
"""

from __future__ import annotations

from typing import Any

from fhir_server.auth.scopes import ResourceScope
from fhir_server.errors import Forbidden
from fhir_server.interactions.care import CareSource, care_patients
from fhir_server.interactions.context import RequestContext
from fhir_server.interactions.scope_filters import filters_match, narrowing_clauses
from fhir_server.model.json import loads
from fhir_server.search.patient_refs import in_patient_compartment, patients_of
from fhir_server.search.query import Clause, SearchQuery
from fhir_server.storage.records import Stored

# Clinical record types a doctor sees only within a care relationship (or by break-glass).
CLINICAL_TYPES = frozenset(
    {
        "AllergyIntolerance", "CarePlan", "ClinicalImpression", "Composition", "Condition", "DiagnosticReport",
        "DocumentReference", "Encounter", "FamilyMemberHistory", "Immunization", "MedicationAdministration",
        "MedicationDispense", "MedicationRequest", "MedicationStatement", "Observation", "Procedure",
        "ServiceRequest",
    }
)  # fmt: skip
NO_PATIENT = "urn:fhir-server:nobody"


def require(ctx: RequestContext, type_name: str, interaction: str) -> None:
    """403 unless some scope grants the interaction on the type (checked before touching the database)."""
    principal = ctx.principal
    if principal.scopes is None:
        return
    if not principal.scopes.allows(type_name, interaction):
        raise Forbidden("scope-denied", code="forbidden", type=type_name, interaction=interaction)


def require_unrestricted(ctx: RequestContext, what: str) -> None:
    """403 for interactions only an unrestricted caller may use (system-wide search and history)."""
    if ctx.principal.scopes is not None and ctx.principal.kind != "client":
        raise Forbidden("scope-system-wide", code="forbidden", what=what)


def _care_applies(ctx: RequestContext, scope: ResourceScope, type_name: str) -> bool:
    principal = ctx.principal
    return (
        principal.role == "doctor"
        and scope.context == "user"
        and type_name in CLINICAL_TYPES
        and not principal.break_glass
    )


def _scope_admits(
    ctx: RequestContext, source: CareSource, scope: ResourceScope, type_name: str, resource: dict[str, Any]
) -> bool:
    principal = ctx.principal
    if scope.context == "patient" and (principal.patient is None or principal.patient not in patients_of(resource)):
        return False
    if scope.filters and not filters_match(type_name, resource, scope.filters):
        return False
    if _care_applies(ctx, scope, type_name):
        owners = patients_of(resource)
        if owners and not owners & care_patients(ctx, source):
            return False
    return True


def admits(ctx: RequestContext, source: CareSource, resource: dict[str, Any], letter: str) -> bool:
    """True when the caller may see (letter r or s) or write (c or u) this resource."""
    principal = ctx.principal
    if principal.scopes is None:
        return True
    type_name = resource.get("resourceType", "")
    return any(_scope_admits(ctx, source, s, type_name, resource) for s in principal.scopes.for_type(type_name, letter))


def visible(ctx: RequestContext, source: CareSource, stored: Stored, letter: str = "r") -> bool:
    """True when the caller may see this stored version (a deletion has no rows to check)."""
    if ctx.principal.scopes is None or stored.content is None:
        return True
    return admits(ctx, source, loads(stored.content), letter)


def require_row(ctx: RequestContext, source: CareSource, resource: dict[str, Any], letter: str) -> None:
    """403 when the caller may not write this resource (outside their patient, filters or care relationship)."""
    if not admits(ctx, source, resource, letter):
        raise Forbidden("row-denied", code="forbidden", type=resource.get("resourceType"))


def narrow(ctx: RequestContext, source: CareSource, query: SearchQuery) -> None:
    """AND the caller's row limits into a type-level search, where SQL can express them."""
    principal = ctx.principal
    if principal.scopes is None or query.type is None:
        return
    type_name = query.type
    scopes = principal.scopes.for_type(type_name, "s")
    if not scopes:
        raise Forbidden("scope-denied", code="forbidden", type=type_name, interaction="search")
    if all(s.context == "patient" for s in scopes):
        if not in_patient_compartment(type_name):
            raise Forbidden("scope-denied", code="forbidden", type=type_name, interaction="search")
        query.clauses.append(Clause("_compartment", None, None, ("Patient", principal.patient or NO_PATIENT)))
    if len({s.filters for s in scopes}) == 1 and scopes[0].filters:
        query.clauses += narrowing_clauses(type_name, scopes[0].filters)
    if all(_care_applies(ctx, s, type_name) for s in scopes) and type_name != "Patient":
        patients = sorted(care_patients(ctx, source)) or [NO_PATIENT]
        query.clauses.append(Clause("_compartment", None, None, ("Patient", *patients)))

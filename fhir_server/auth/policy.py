"""The clinic's role table: what each role may ever do, written as SMART v2 scopes (security.md 5.2).

This is the ONE place to read or change the default policy. A token never grants more than its
user's role ceiling here, whatever the app asked for and the user consented to:

    effective = role ceiling ∩ client's allowed scopes ∩ requested scopes ∩ the user's consent

Nobody gets ``d`` on clinical data: records change status (entered-in-error, active=false) instead.
Row rules (care relationship, authorship, status transitions, the patient compartment) are enforced
by the FHIR layer on top of these ceilings.
"""

from __future__ import annotations

from functools import cache, lru_cache

from fhir_server.auth.scopes import ScopeSet

ROLES = ("administrador", "doctor", "secretaria", "enfermera", "paciente")
STAFF_ROLES = ("administrador", "doctor", "secretaria", "enfermera")

# Shared reference data every staff member may read: people, places, catalogues, terminology.
REFERENCE_DATA = (
    "Practitioner",
    "PractitionerRole",
    "Organization",
    "Location",
    "HealthcareService",
    "Medication",
    "MedicationKnowledge",
    "CodeSystem",
    "ValueSet",
)
VITAL_SIGNS = "http://terminology.hl7.org/CodeSystem/observation-category|vital-signs"


def _reference_data(permissions: str) -> str:
    return " ".join(f"user/{name}.{permissions}" for name in REFERENCE_DATA)


ROLE_CEILINGS: dict[str, str] = {
    # Runs the clinic: people, places, schedules, catalogues; no clinical reads (break-glass only).
    "administrador": " ".join(
        [
            _reference_data("crus"),
            "user/Schedule.crus user/Slot.crus",
            "user/Patient.rus user/Appointment.rs",
            "user/AuditEvent.rs user/Provenance.rs",
        ]
    ),
    # Treats patients: the whole record; evoluciones are Encounter + ClinicalImpression (the
    # Composition stays available as the printable view).
    "doctor": " ".join(
        [
            _reference_data("rs"),
            "user/Patient.rus user/Appointment.rus user/Schedule.rs user/Slot.rs",
            "user/Encounter.crus user/ClinicalImpression.crus user/Composition.crus",
            "user/Observation.crus user/Condition.crus user/AllergyIntolerance.crus",
            "user/FamilyMemberHistory.crus user/Procedure.crus user/MedicationRequest.crus",
            "user/DocumentReference.crus user/Binary.cr user/Provenance.rs",
        ]
    ),
    # Triage: vital signs only; reads what a nurse needs to see, writes no notes or prescriptions.
    "enfermera": " ".join(
        [
            _reference_data("rs"),
            "user/Patient.rs user/Appointment.rus user/Encounter.rus",
            f"user/Observation.crus?category={VITAL_SIGNS}",
            "user/Condition.rs user/AllergyIntolerance.rs user/MedicationRequest.rs",
        ]
    ),
    # Front desk: patients, bookings and coverage; no clinical resource types at all.
    "secretaria": " ".join(
        [
            _reference_data("rs"),
            "user/Patient.crus user/Appointment.crus user/Slot.rus user/Schedule.rs",
            "user/Coverage.crus user/Encounter.r",
        ]
    ),
    # Patient portal and patient-facing apps: their own compartment, self-booking, and the
    # reference data needed to pick a doctor and a free slot.
    "paciente": " ".join(
        [
            "patient/*.rs patient/Appointment.cu",
            "user/Practitioner.rs user/PractitionerRole.rs user/Organization.rs user/Location.rs",
            "user/HealthcareService.rs user/Schedule.rs user/Slot.rs",
        ]
    ),
}


@cache
def role_ceiling(role: str | None) -> ScopeSet:
    """The ceiling of a role; an unknown role (or none) may do nothing."""
    return ScopeSet.parse(ROLE_CEILINGS.get(role or "", ""))


def effective_scopes(granted: ScopeSet, role: str | None) -> ScopeSet:
    """What a user's token may do now: granted scopes cut by the role's current ceiling."""
    return _effective(granted, role)


@lru_cache(maxsize=4096)
def _effective(granted: ScopeSet, role: str | None) -> ScopeSet:
    # Cached: a handful of (scope string, role) pairs serve every request.
    return granted.intersect(role_ceiling(role), keep_others=True)

"""Compartments: which reference parameters put a resource in a patient's record.

The Patient compartment of R4 (CompartmentDefinition/patient), as search parameter codes per type;
``tests/search/test_compartments.py`` compares it with the R4 definition. ``{def}`` (the patient
itself) is handled by the caller.
"""

from __future__ import annotations

from functools import cache

from fhir_server.search.registry import r4_registry

PATIENT_COMPARTMENT: dict[str, tuple[str, ...]] = {
    "Account": ("subject",),
    "AdverseEvent": ("subject",),
    "AllergyIntolerance": ("patient", "recorder", "asserter"),
    "Appointment": ("actor",),
    "AppointmentResponse": ("actor",),
    "AuditEvent": ("patient",),
    "Basic": ("patient", "author"),
    "BodyStructure": ("patient",),
    "CarePlan": ("patient", "performer"),
    "CareTeam": ("patient", "participant"),
    "ChargeItem": ("subject",),
    "Claim": ("patient", "payee"),
    "ClaimResponse": ("patient",),
    "ClinicalImpression": ("subject",),
    "Communication": ("subject", "sender", "recipient"),
    "CommunicationRequest": ("subject", "sender", "recipient", "requester"),
    "Composition": ("subject", "author", "attester"),
    "Condition": ("patient", "asserter"),
    "Consent": ("patient",),
    "Coverage": ("policy-holder", "subscriber", "beneficiary", "payor"),
    "CoverageEligibilityRequest": ("patient",),
    "CoverageEligibilityResponse": ("patient",),
    "DetectedIssue": ("patient",),
    "DeviceRequest": ("subject", "performer"),
    "DeviceUseStatement": ("subject",),
    "DiagnosticReport": ("subject",),
    "DocumentManifest": ("subject", "author", "recipient"),
    "DocumentReference": ("subject", "author"),
    "Encounter": ("subject",),
    "EnrollmentRequest": ("subject",),
    "EpisodeOfCare": ("patient",),
    "ExplanationOfBenefit": ("patient", "payee"),
    "FamilyMemberHistory": ("patient",),
    "Flag": ("patient",),
    "Goal": ("patient",),
    "Group": ("member",),
    "ImagingStudy": ("patient",),
    "Immunization": ("patient",),
    "ImmunizationEvaluation": ("patient",),
    "ImmunizationRecommendation": ("patient",),
    "Invoice": ("subject", "patient", "recipient"),
    "List": ("subject", "source"),
    "MeasureReport": ("patient",),
    "Media": ("subject",),
    "MedicationAdministration": ("patient", "performer", "subject"),
    "MedicationDispense": ("subject", "patient", "receiver"),
    "MedicationRequest": ("subject",),
    "MedicationStatement": ("subject",),
    "MolecularSequence": ("patient",),
    "NutritionOrder": ("patient",),
    "Observation": ("subject", "performer"),
    "Patient": ("link",),
    "Person": ("patient",),
    "Procedure": ("patient", "performer"),
    "Provenance": ("patient",),
    "QuestionnaireResponse": ("subject", "author"),
    "RelatedPerson": ("patient",),
    "RequestGroup": ("subject", "participant"),
    "ResearchSubject": ("individual",),
    "RiskAssessment": ("subject",),
    "Schedule": ("actor",),
    "ServiceRequest": ("subject", "performer"),
    "Specimen": ("subject",),
    "SupplyDelivery": ("patient",),
    "SupplyRequest": ("subject",),
    "Task": ("patient", "focus"),
    "VisionPrescription": ("patient",),
}

COMPARTMENTS: dict[str, dict[str, tuple[str, ...]]] = {"Patient": PATIENT_COMPARTMENT}


@cache
def compartment_params(compartment: str, type_name: str | None) -> tuple[str, ...]:
    """The ``param`` codes of the reference rows that put a resource of ``type_name`` in ``compartment``,
    read together with ``target_type = compartment``.

    A parameter narrowed to the compartment's type (``Encounter.patient``, from ``subject`` rows) brings
    the codes of the rows that answer it: with the type condition they are exactly its rows.
    """
    codes: list[str] = []
    for code in COMPARTMENTS.get(compartment, {}).get(type_name or "", ()):
        param = r4_registry().get(type_name or "", code)
        extra = param.narrows if param is not None and param.narrow_type == compartment else ()
        codes += [c for c in (code, *extra) if c not in codes]
    return tuple(codes)

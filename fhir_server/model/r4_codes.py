"""R4 4.0.1 required code bindings where fhir.resources' R4B metadata differs.

Keyed by model class name and JSON element name. A value replaces the list fhir.resources ships;
``None`` means R4 has no required binding there. ``tests/model/test_r4_codes.py`` compares every
list with the R4 definitions.
"""

from __future__ import annotations

from fhir_server.model.r4_types import R4_RESOURCE_TYPE_CODES

_OBSERVATION_STATUS = (
    "registered", "preliminary", "final", "amended", "corrected", "cancelled",
    "entered-in-error", "unknown",
)  # fmt: skip
_ENCOUNTER_STATUS = (
    "planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled",
    "entered-in-error", "unknown",
)  # fmt: skip

R4_CODE_OVERRIDES: dict[str, tuple[str, ...] | None] = {
    # fhir.resources truncates these lists with "+".
    "DetectedIssue.status": _OBSERVATION_STATUS,
    "DeviceUdiCarrier.entryType": (
        "barcode", "rfid", "manual", "card", "self-reported", "unknown",
    ),  # fmt: skip
    "DeviceUseStatement.status": (
        "active", "completed", "entered-in-error", "intended", "stopped", "on-hold",
    ),  # fmt: skip
    "DiagnosticReport.status": (
        "registered", "partial", "preliminary", "final", "amended", "corrected", "appended",
        "cancelled", "entered-in-error", "unknown",
    ),  # fmt: skip
    "Encounter.status": _ENCOUNTER_STATUS,
    "EncounterStatusHistory.status": _ENCOUNTER_STATUS,
    "Observation.status": _OBSERVATION_STATUS,
    "QuestionnaireItem.type": (
        "group", "display", "boolean", "decimal", "integer", "date", "dateTime", "time",
        "string", "text", "url", "choice", "open-choice", "attachment", "reference", "quantity",
    ),  # fmt: skip
    "RiskAssessment.status": _OBSERVATION_STATUS,
    "StructureMapGroupRuleTarget.transform": (
        "create", "copy", "truncate", "escape", "cast", "append", "translate", "reference",
        "dateOp", "uuid", "pointer", "evaluate", "cc", "c", "qty", "id", "cp",
    ),  # fmt: skip
    "SupplyRequest.status": (
        "draft", "active", "suspended", "cancelled", "completed", "entered-in-error", "unknown",
    ),  # fmt: skip
    "Task.status": (
        "draft", "requested", "received", "accepted", "rejected", "ready", "cancelled",
        "in-progress", "on-hold", "failed", "completed", "entered-in-error",
    ),  # fmt: skip
    # Extensible in R4, not required.
    "Expression.language": None,
}

_FHIR_VERSIONS = (
    "0.01", "0.05", "0.06", "0.11", "0.0.80", "0.0.81", "0.0.82", "0.4.0", "0.5.0", "1.0.0",
    "1.0.1", "1.0.2", "1.1.0", "1.4.0", "1.6.0", "1.8.0", "3.0.0", "3.0.1", "3.3.0", "3.5.0",
    "4.0.0", "4.0.1",
)  # fmt: skip
_RESOURCE_TYPES = tuple(sorted(R4_RESOURCE_TYPE_CODES))

R4_CODE_OVERRIDES.update(
    {
        # Required in R4, left open by fhir.resources.
        "AuditEvent.action": ("C", "R", "U", "D", "E"),
        "AuditEvent.outcome": ("0", "4", "8", "12"),
        "Composition.confidentiality": ("U", "L", "M", "N", "R", "V"),
        "CapabilityStatement.fhirVersion": _FHIR_VERSIONS,
        "ImplementationGuide.fhirVersion": _FHIR_VERSIONS,
        "StructureDefinition.fhirVersion": _FHIR_VERSIONS,
        "ActivityDefinition.kind": (
            "Appointment", "AppointmentResponse", "CarePlan", "Claim", "CommunicationRequest",
            "Contract", "DeviceRequest", "EnrollmentRequest", "ImmunizationRecommendation",
            "MedicationRequest", "NutritionOrder", "ServiceRequest", "SupplyRequest", "Task",
            "VisionPrescription",
        ),  # fmt: skip
        "GraphDefinition.start": _RESOURCE_TYPES,
        "OperationDefinition.resource": _RESOURCE_TYPES,
        "Questionnaire.subjectType": _RESOURCE_TYPES,
        "SearchParameter.base": _RESOURCE_TYPES,
        "SearchParameter.target": _RESOURCE_TYPES,
        # R4B reshaped EvidenceVariable; R4 has no such coded elements.
        "EvidenceVariable.characteristicCombination": None,
        "EvidenceVariable.handling": None,
    }
)

"""Code systems and codes of the audit trail (IHE BALP on FHIR R4 AuditEvent, and Provenance).

Kept in one table so an auditor can read what each field of an event means without the builders.
"""

from __future__ import annotations

from typing import Any

from fhir_server.model.canonical import CANONICAL_BASE

DCM = "http://dicom.nema.org/resources/ontology/DCM"
EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
INTERACTION = "http://hl7.org/fhir/restful-interaction"
OUTCOME = "http://terminology.hl7.org/CodeSystem/audit-event-outcome"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
PROVENANCE_PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
SECURITY_ROLE = "http://terminology.hl7.org/CodeSystem/extra-security-role-type"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
BALP_ENTITY_TYPE = "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType"
IHE_EVENT_TYPE = "urn:ihe:event-type-code"
URI = "urn:ietf:rfc:3986"
ROLE_SYSTEM = f"{CANONICAL_BASE}/CodeSystem/rol-usuario"
CLIENT_ID_SYSTEM = f"{CANONICAL_BASE}/sid/client-id"
ACCOUNT_ID_SYSTEM = f"{CANONICAL_BASE}/sid/account-id"

SERVER_NAME = "fhir-server"

# FHIR interaction -> AuditEvent.action (BALP: C create, R read, U update, D delete, E execute/search).
ACTIONS = {
    "read": "R",
    "vread": "R",
    "create": "C",
    "update": "U",
    "patch": "U",
    "delete": "D",
    "search": "E",
    "search-type": "E",
    "search-system": "E",
    "search-compartment": "E",
    "history-instance": "E",
    "history-type": "E",
    "history-system": "E",
    "operation": "E",
    "batch": "E",
    "transaction": "E",
    "capabilities": "E",
}
READS = frozenset({"read", "vread"})
WRITES = frozenset({"create", "update", "patch", "delete"})

# Clinic role -> why the caller handles data (v3-ActReason); break-glass is always ETREAT.
PURPOSES = {
    "doctor": ("TREAT", "treatment"),
    "enfermera": ("TREAT", "treatment"),
    "secretaria": ("HOPERAT", "healthcare operations"),
    "administrador": ("HOPERAT", "healthcare operations"),
    "paciente": ("PATRQT", "patient requested"),
}
BREAK_GLASS = ("ETREAT", "Emergency Treatment")


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    """A Coding (display only when given)."""
    found: dict[str, Any] = {"system": system, "code": code}
    if display is not None:
        found["display"] = display
    return found


def concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    """A CodeableConcept of one Coding."""
    return {"coding": [coding(system, code, display)]}


def outcome_code(status: int) -> str:
    """AuditEvent.outcome for an HTTP status: 0 success, 4 minor (4xx: denied, not found, invalid),
    8 serious (503: the server could not act now), 12 major (any other 5xx)."""
    if status < 400:
        return "0"
    if status < 500:
        return "4"
    return "8" if status == 503 else "12"


def action_of(interaction: str) -> str:
    """AuditEvent.action of a FHIR interaction (E for anything not a plain CRUD)."""
    return ACTIONS.get(interaction, "E")


def purpose_of(role: str | None, break_glass: bool) -> tuple[str, str] | None:
    """The (code, display) of v3-ActReason for the caller, or None when no purpose applies."""
    if break_glass:
        return BREAK_GLASS
    return PURPOSES.get(role or "")

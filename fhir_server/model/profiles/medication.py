"""Prescriptions, the medicines catalogue and family history (C.10, C.8)."""

from __future__ import annotations

from typing import Any

from fhir_server.errors import Issue
from fhir_server.model import canonical as c
from fhir_server.model.profiles.definition import Binding, El, Invariant, Profile, core, problem
from fhir_server.model.profiles.paths import codings, values
from fhir_server.model.profiles.port import ValidationPort

ROUTE_CODES = "http://hl7.org/fhir/ValueSet/route-codes"
_ROUTE = Binding("preferred", ROUTE_CODES, "Vías de administración (SNOMED CT)", c.SNOMED)

PRESCRIPCION = Profile(
    id="ec-prescripcion",
    url=c.PROFILE_PRESCRIPCION,
    name="ECPrescripcion",
    title="Prescripción",
    title_en="Prescription",
    description="Medicamento recetado en una consulta, con la indicación en texto (dosageInstruction.text).",
    description_en="A medication prescribed in a consultation, with its instructions as text (dosageInstruction.text).",
    type="MedicationRequest",
    base=core("MedicationRequest"),
    elements=(
        El("MedicationRequest.status", must_support=True),
        El("MedicationRequest.intent", must_support=True),
        El("MedicationRequest.category", must_support=True),
        El("MedicationRequest.medication[x]", must_support=True, short="Medicamento (texto y, si existe, código)"),
        El("MedicationRequest.subject", target_profiles=(c.PROFILE_PATIENT,), must_support=True),
        El("MedicationRequest.encounter", target_profiles=(c.PROFILE_ENCOUNTER,), must_support=True),
        El("MedicationRequest.authoredOn", must_support=True),
        El("MedicationRequest.requester", must_support=True),
        El("MedicationRequest.dosageInstruction", min=1, must_support=True),
        El(
            "MedicationRequest.dosageInstruction.text",
            min=1,
            short="Indicación completa: dosis, vía, frecuencia y duración",
            must_support=True,
        ),
        El("MedicationRequest.dosageInstruction.patientInstruction", must_support=True),
        El("MedicationRequest.dosageInstruction.timing", must_support=True),
        El("MedicationRequest.dosageInstruction.route", binding=_ROUTE, must_support=True),
        El("MedicationRequest.dosageInstruction.doseAndRate", must_support=True),
    ),
)

ANTECEDENTE_FAMILIAR = Profile(
    id="ec-antecedente-familiar",
    url=c.PROFILE_ANTECEDENTE_FAMILIAR,
    name="ECAntecedenteFamiliar",
    title="Antecedente familiar",
    title_en="Family history item",
    description="Una enfermedad en la familia del paciente, registrada en la evolución.",
    description_en="A condition in the patient's family, recorded in the progress note.",
    type="FamilyMemberHistory",
    base=core("FamilyMemberHistory"),
    elements=(
        El("FamilyMemberHistory.status", must_support=True),
        El("FamilyMemberHistory.patient", target_profiles=(c.PROFILE_PATIENT,), must_support=True),
        El("FamilyMemberHistory.date", must_support=True),
        El("FamilyMemberHistory.relationship", must_support=True),
        El("FamilyMemberHistory.condition", min=1, must_support=True),
        El("FamilyMemberHistory.condition.code", must_support=True),
    ),
)


def _check_classification(resource: dict[str, Any], port: ValidationPort) -> list[Issue]:
    issues = []
    complete = port.knows_system(c.CS_MEDICAMENTO_CATEGORIA)
    for concept, expr in values(resource, "MedicationKnowledge", "medicineClassification", "classification"):
        clinic = [
            (i, coding)
            for i, coding in enumerate(codings(concept))
            if coding.get("system") == c.CS_MEDICAMENTO_CATEGORIA
        ]
        if not clinic:
            issues.append(problem("prof-med-category", expr, code="code-invalid", system=c.CS_MEDICAMENTO_CATEGORIA))
        for index, coding in clinic:
            code = coding.get("code")
            if complete and (not isinstance(code, str) or port.concept(c.CS_MEDICAMENTO_CATEGORIA, code) is None):
                where = f"{expr}.coding[{index}].code"
                issues.append(problem("prof-med-category-unknown", where, code="code-invalid", value=code))
    return issues


MEDICAMENTO = Profile(
    id="ec-medicamento",
    url=c.PROFILE_MEDICAMENTO,
    name="ECMedicamento",
    title="Medicamento del catálogo",
    title_en="Catalogue medicine",
    description=(
        "Un medicamento del catálogo de la clínica: nombre genérico (code.text), nombres comerciales (synonym), "
        "forma farmacéutica, concentración, vía y categoría."
    ),
    description_en=(
        "A medicine of the clinic's catalogue: generic name (code.text), brand names (synonym), dose form, "
        "strength, route and category."
    ),
    type="MedicationKnowledge",
    base=core("MedicationKnowledge"),
    elements=(
        El("MedicationKnowledge.code", min=1, must_support=True),
        El("MedicationKnowledge.code.text", min=1, short="Nombre genérico"),
        El("MedicationKnowledge.status", min=1, must_support=True),
        El("MedicationKnowledge.doseForm", short="Forma farmacéutica", must_support=True),
        El("MedicationKnowledge.synonym", short="Nombre comercial", must_support=True),
        El("MedicationKnowledge.intendedRoute", binding=_ROUTE, must_support=True),
        El("MedicationKnowledge.ingredient", must_support=True),
        El("MedicationKnowledge.ingredient.strength", short="Concentración", must_support=True),
        El("MedicationKnowledge.medicineClassification", short="Categoría del catálogo", must_support=True),
    ),
    invariants=(
        Invariant(
            "ec-med-1",
            "error",
            "La clasificación usa un código del sistema medicamento-categoria de la clínica.",
            "The classification uses a code of the clinic's medicamento-categoria system.",
            f"classification.all(coding.where(system = '{c.CS_MEDICAMENTO_CATEGORIA}').exists())",
            _check_classification,
            "MedicationKnowledge.medicineClassification",
        ),
    ),
)

PROFILES = (PRESCRIPCION, ANTECEDENTE_FAMILIAR, MEDICAMENTO)

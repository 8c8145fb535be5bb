"""The consultation record: ec-encounter, ec-evolucion (ClinicalImpression), ec-diagnostico (Condition)."""

from __future__ import annotations

from typing import Any

from fhir_server.errors import Issue
from fhir_server.model import canonical as c
from fhir_server.model.profiles.cie10 import CIE10_INVARIANT
from fhir_server.model.profiles.definition import Binding, El, Invariant, Profile, Slicing, core, problem
from fhir_server.model.profiles.paths import has_coding
from fhir_server.model.profiles.port import ValidationPort

_PRACTITIONERS = (core("Practitioner"), core("PractitionerRole"))

ENCOUNTER = Profile(
    id="ec-encounter",
    url=c.PROFILE_ENCOUNTER,
    name="ECEncounter",
    title="Consulta ambulatoria",
    title_en="Outpatient consultation",
    description="La consulta: paciente, profesionales, cita, motivo de consulta (reasonCode.text) y diagnósticos.",
    description_en="The consultation: patient, practitioners, appointment, chief complaint, diagnoses.",
    type="Encounter",
    base=core("Encounter"),
    elements=(
        El("Encounter.status", must_support=True),
        El("Encounter.class", pattern={"system": c.V3_ACT, "code": "AMB"}, must_support=True),
        El("Encounter.subject", min=1, target_profiles=(c.PROFILE_PATIENT,), must_support=True),
        El("Encounter.participant", must_support=True),
        El("Encounter.participant.individual", target_profiles=_PRACTITIONERS, must_support=True),
        El("Encounter.appointment", must_support=True),
        El("Encounter.period", must_support=True),
        El("Encounter.reasonCode", short="Motivo de consulta", must_support=True),
        El("Encounter.reasonCode.text", min=1, short="Motivo de consulta, en palabras del paciente"),
        El("Encounter.diagnosis", must_support=True),
        El("Encounter.diagnosis.condition", target_profiles=(c.PROFILE_DIAGNOSTICO,), must_support=True),
        El("Encounter.location", must_support=True),
        El("Encounter.serviceProvider", target_profiles=(c.PROFILE_ORGANIZATION,), must_support=True),
    ),
)

EVOLUCION = Profile(
    id="ec-evolucion",
    url=c.PROFILE_EVOLUCION,
    name="ECEvolucion",
    title="Evolución médica",
    title_en="Progress note (evolución)",
    description=(
        "La evolución de una consulta: enfermedad actual (description), signos vitales y antecedentes familiares "
        "(investigation), diagnósticos (problem, finding) y antecedentes personales (note)."
    ),
    description_en=(
        "The progress note of a consultation: present illness (description), vital signs and family history "
        "(investigation), diagnoses (problem, finding) and past history (note)."
    ),
    type="ClinicalImpression",
    base=core("ClinicalImpression"),
    elements=(
        El("ClinicalImpression.status", must_support=True),
        El("ClinicalImpression.subject", min=1, target_profiles=(c.PROFILE_PATIENT,), must_support=True),
        El("ClinicalImpression.encounter", min=1, target_profiles=(c.PROFILE_ENCOUNTER,), must_support=True),
        El("ClinicalImpression.date", must_support=True),
        El("ClinicalImpression.assessor", target_profiles=_PRACTITIONERS, must_support=True),
        El("ClinicalImpression.description", short="Enfermedad actual", must_support=True),
        El("ClinicalImpression.investigation", short="Signos vitales y antecedentes familiares", must_support=True),
        El(
            "ClinicalImpression.investigation.item",
            min=1,
            target_profiles=(c.structure_definition("ec-vitalspanel"), c.PROFILE_ANTECEDENTE_FAMILIAR),
            must_support=True,
        ),
        El("ClinicalImpression.problem", target_profiles=(c.PROFILE_DIAGNOSTICO,), must_support=True),
        El("ClinicalImpression.finding.itemReference", target_profiles=(c.PROFILE_DIAGNOSTICO,)),
        El("ClinicalImpression.note", short="Antecedentes personales", must_support=True),
    ),
)


def _check_clinical_status(resource: dict[str, Any], _port: ValidationPort) -> list[Issue]:
    erroneous = has_coding(resource.get("verificationStatus"), c.CONDITION_VERIFICATION, "entered-in-error")
    if erroneous or "clinicalStatus" in resource:
        return []
    return [problem("prof-condition-clinical-status", "Condition.clinicalStatus", code="required")]


_DX = "Condition.code.coding:cie10"

DIAGNOSTICO = Profile(
    id="ec-diagnostico",
    url=c.PROFILE_DIAGNOSTICO,
    name="ECDiagnostico",
    title="Diagnóstico CIE-10",
    title_en="CIE-10 diagnosis",
    description="Diagnóstico de una consulta, codificado en CIE-10 (OMS), con su estado clínico y de verificación.",
    description_en="A consultation diagnosis coded in CIE-10 (WHO ICD-10), with clinical and verification status.",
    type="Condition",
    base=core("Condition"),
    elements=(
        El("Condition.clinicalStatus", must_support=True),
        El("Condition.verificationStatus", min=1, must_support=True),
        El("Condition.category", min=1, slicing=Slicing((("pattern", "$this"),))),
        El(
            "Condition.category:encounterDiagnosis",
            min=1,
            max="1",
            pattern={"coding": [{"system": c.CONDITION_CATEGORY, "code": "encounter-diagnosis"}]},
        ),
        El("Condition.code", min=1, must_support=True),
        El("Condition.code.coding", min=1, slicing=Slicing((("value", "system"),))),
        El(
            _DX,
            min=1,
            max="1",
            short="Código CIE-10 (OMS)",
            binding=Binding("required", c.VS_CIE10_DIAGNOSIS, system=c.ICD10, checked=False),
            missing_message="prof-cie10-missing",
        ),
        El(f"{_DX}.system", min=1, fixed=c.ICD10),
        El(f"{_DX}.code", min=1),
        El("Condition.subject", target_profiles=(c.PROFILE_PATIENT,), must_support=True),
        El("Condition.encounter", min=1, target_profiles=(c.PROFILE_ENCOUNTER,), must_support=True),
        El("Condition.recordedDate", must_support=True),
        El("Condition.recorder", must_support=True),
        El("Condition.asserter", must_support=True),
    ),
    invariants=(
        CIE10_INVARIANT,
        Invariant(
            "ec-dx-2",
            "error",
            "clinicalStatus es obligatorio salvo si verificationStatus es entered-in-error.",
            "clinicalStatus is required unless verificationStatus is entered-in-error.",
            f"verificationStatus.coding.where(system = '{c.CONDITION_VERIFICATION}' and code = 'entered-in-error')"
            ".exists() or clinicalStatus.exists()",
            _check_clinical_status,
        ),
    ),
)

PROFILES = (ENCOUNTER, EVOLUCION, DIAGNOSTICO)

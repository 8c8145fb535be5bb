"""The R4 vital-signs profiles (HL7): enforced by the server, published by HL7 (not served here).

They mirror the rules of ``http://hl7.org/fhir/StructureDefinition/vitalsigns`` and its children:
category vital-signs, the fixed LOINC code, subject Patient, effective[x] (vs-1), a UCUM
valueQuantity or a dataAbsentReason (vs-2), blood-pressure components (vs-3), and panel members
that are vital signs themselves.
"""

from __future__ import annotations

from typing import Any

from fhir_server.errors import Issue
from fhir_server.model import canonical as c
from fhir_server.model.profiles.definition import CORE_SD, Binding, El, Invariant, Profile, Slicing, core, problem
from fhir_server.model.profiles.paths import has_coding, values
from fhir_server.model.profiles.port import ValidationPort

_CODE_SLICING = Slicing((("value", "code"), ("value", "system")))
_VALUES = ("value", "dataAbsentReason")


def is_vital_sign(resource: dict[str, Any]) -> bool:
    """True for an Observation in the vital-signs category."""
    categories = resource.get("category")
    items = categories if isinstance(categories, list) else []
    return resource.get("resourceType") == "Observation" and any(
        has_coding(item, c.OBSERVATION_CATEGORY, "vital-signs") for item in items
    )


def _has_value(obj: dict[str, Any]) -> bool:
    return "dataAbsentReason" in obj or any(key.startswith("value") for key in obj)


def _vs1(resource: dict[str, Any], _port: ValidationPort) -> list[Issue]:
    value = resource.get("effectiveDateTime")
    if isinstance(value, str) and len(value) < 10:
        return [problem("prof-vs-1", "Observation.effectiveDateTime", code="value", value=value)]
    return []


def _vs2(resource: dict[str, Any], _port: ValidationPort) -> list[Issue]:
    if resource.get("component") or resource.get("hasMember") or _has_value(resource):
        return []
    return [problem("prof-vs-2", "Observation.value", code="required")]


def _vs3(resource: dict[str, Any], _port: ValidationPort) -> list[Issue]:
    return [
        problem("prof-vs-3", f"{expr}.value", code="required")
        for component, expr in values(resource, "Observation", "component")
        if isinstance(component, dict) and not _has_value(component)
    ]


_CATEGORY = {"coding": [{"system": c.OBSERVATION_CATEGORY, "code": "vital-signs"}]}

VITALSIGNS = Profile(
    id="vitalsigns",
    url=c.HL7_VITAL_SIGNS,
    name="observation-vitalsigns",
    title="Vital Signs Profile",
    title_en="Vital Signs Profile",
    description="FHIR Vital Signs Profile",
    description_en="FHIR Vital Signs Profile",
    type="Observation",
    base=core("Observation"),
    elements=(
        El("Observation.status", min=1, must_support=True),
        El("Observation.category", min=1, slicing=Slicing((("pattern", "$this"),)), must_support=True),
        El(
            "Observation.category:VSCat",
            min=1,
            max="1",
            pattern=_CATEGORY,
            must_support=True,
            missing_message="prof-vs-category",
        ),
        El(
            "Observation.code",
            min=1,
            must_support=True,
            binding=Binding("extensible", "http://hl7.org/fhir/ValueSet/observation-vitalsignresult"),
        ),
        El("Observation.subject", min=1, target_profiles=(core("Patient"),), must_support=True),
        El("Observation.effective[x]", min=1, types=("dateTime", "Period"), must_support=True),
        El("Observation.value[x]", must_support=True),
        El("Observation.dataAbsentReason", must_support=True),
        El(
            "Observation.hasMember",
            target_profiles=(core("QuestionnaireResponse"), core("MolecularSequence"), c.HL7_VITAL_SIGNS),
            resolve=True,
        ),
        El("Observation.component.code", min=1, must_support=True),
        El("Observation.component.value[x]", must_support=True),
        El("Observation.component.dataAbsentReason", must_support=True),
    ),
    invariants=(
        Invariant(
            "vs-1",
            "error",
            "Si effective[x] es un dateTime con valor, debe tener al menos el día.",
            "if Observation.effective[x] is dateTime and has a value then that value shall be precise to the day",
            "($this as dateTime).toString().length() >= 8",
            _vs1,
            "Observation.effective[x]",
        ),
        Invariant(
            "vs-2",
            "error",
            "Sin component ni hasMember, se requiere value[x] o dataAbsentReason.",
            "If there is no component or hasMember element then either a value[x] or a data absent reason must "
            "be present.",
            "(component.empty() and hasMember.empty()) implies (dataAbsentReason.exists() or value.exists())",
            _vs2,
        ),
        Invariant(
            "vs-3",
            "error",
            "Cada componente tiene un valor o un dataAbsentReason.",
            "If there is no a value a data absent reason must be present",
            "value.exists() or dataAbsentReason.exists()",
            _vs3,
            "Observation.component",
        ),
    ),
    served=False,
    recognizes=is_vital_sign,
)


def quantity(prefix: str, units: tuple[str, ...], value_set: str | None) -> tuple[El, ...]:
    """A UCUM valueQuantity with value, unit, system and one of the given UCUM codes."""
    unit = El(
        f"{prefix}.code",
        min=1,
        max="1",
        must_support=True,
        fixed=None if value_set else units[0],
        binding=Binding("required", value_set, system=c.UCUM, codes=frozenset(units)) if value_set else None,
        message="prof-unit-wrong",
        missing_message="prof-unit-missing",
        params={"expected": " | ".join(units)},
    )
    return (
        El(f"{prefix}.value", min=1, max="1", must_support=True),
        El(f"{prefix}.unit", min=1, max="1", must_support=True),
        El(f"{prefix}.system", min=1, max="1", fixed=c.UCUM, must_support=True),
        unit,
    )


def code_slice(slice_name: str, loinc: str, prefix: str = "Observation.code") -> tuple[El, ...]:
    """The fixed LOINC coding a vital sign must carry (other codings allowed)."""
    return (
        El(f"{prefix}.coding", slicing=_CODE_SLICING),
        El(
            f"{prefix}.coding:{slice_name}",
            min=1,
            max="1",
            missing_message="prof-vs-code",
            params={"loinc": loinc},
        ),
        El(f"{prefix}.coding:{slice_name}.system", min=1, max="1", fixed=c.LOINC),
        El(f"{prefix}.coding:{slice_name}.code", min=1, max="1", fixed=loinc),
    )


def _specific(
    sd_id: str, name: str, title: str, loinc: str, slice_name: str, units: tuple[str, ...], value_set: str | None
) -> Profile:
    return Profile(
        id=sd_id,
        url=CORE_SD + sd_id,
        name=name,
        title=title,
        title_en=title,
        description=f"FHIR {title}",
        description_en=f"FHIR {title}",
        type="Observation",
        base=c.HL7_VITAL_SIGNS,
        elements=(
            *code_slice(slice_name, loinc),
            El("Observation.value[x]", types=("Quantity",)),
            *quantity("Observation.valueQuantity", units, value_set),
        ),
        served=False,
    )


_UCUM_VS = "http://hl7.org/fhir/ValueSet/ucum-"

BODYTEMP = _specific(
    "bodytemp", "observation-bodytemp", "Body Temperature Profile", "8310-5", "BodyTempCode",
    ("Cel", "[degF]"), _UCUM_VS + "bodytemp",
)  # fmt: skip
HEARTRATE = _specific(
    "heartrate", "observation-heartrate", "Heart Rate Profile", "8867-4", "HeartRateCode", ("/min",), None
)
RESPRATE = _specific(
    "resprate", "observation-resprate", "Respiratory Rate Profile", "9279-1", "RespRateCode", ("/min",), None
)
BODYWEIGHT = _specific(
    "bodyweight", "observation-bodyweight", "Body Weight Profile", "29463-7", "BodyWeightCode",
    ("kg", "g", "[lb_av]"), _UCUM_VS + "bodyweight",
)  # fmt: skip
BODYHEIGHT = _specific(
    "bodyheight", "observation-bodyheight", "Body Height Profile", "8302-2", "BodyHeightCode",
    ("cm", "[in_i]"), _UCUM_VS + "bodylength",
)  # fmt: skip
BMI = _specific("bmi", "observation-bmi", "Body Mass Index Profile", "39156-5", "BMICode", ("kg/m2",), None)

VITALSPANEL = Profile(
    id="vitalspanel",
    url=CORE_SD + "vitalspanel",
    name="observation-vitalspanel",
    title="Vital Signs Panel Profile",
    title_en="Vital Signs Panel Profile",
    description="FHIR Vital Signs Panel Profile",
    description_en="FHIR Vital Signs Panel Profile",
    type="Observation",
    base=c.HL7_VITAL_SIGNS,
    elements=(
        *code_slice("VitalsPanelCode", "85353-1"),
        El("Observation.value[x]", max="0"),
        El("Observation.hasMember", min=1, must_support=True),
    ),
    served=False,
)


def _bp_component(slice_name: str, code_slice_name: str, loinc: str) -> tuple[El, ...]:
    base = f"Observation.component:{slice_name}"
    return (
        El(base, min=1, max="1", missing_message="prof-vs-component", params={"loinc": loinc}),
        El(f"{base}.code", pattern={"coding": [{"system": c.LOINC, "code": loinc}]}),
        *code_slice(code_slice_name, loinc, f"{base}.code"),
        El(f"{base}.value[x]", types=("Quantity",)),
        *quantity(f"{base}.valueQuantity", ("mm[Hg]",), None),
    )


BP = Profile(
    id="bp",
    url=CORE_SD + "bp",
    name="observation-bp",
    title="Blood Pressure Profile",
    title_en="Blood Pressure Profile",
    description="FHIR Blood Pressure Profile",
    description_en="FHIR Blood Pressure Profile",
    type="Observation",
    base=c.HL7_VITAL_SIGNS,
    elements=(
        *code_slice("BPCode", "85354-9"),
        El("Observation.valueQuantity", max="0"),
        El("Observation.component", min=2, slicing=Slicing((("pattern", "code"),))),
        *_bp_component("SystolicBP", "SBPCode", "8480-6"),
        *_bp_component("DiastolicBP", "DBPCode", "8462-4"),
    ),
    served=False,
)

PROFILES = (VITALSIGNS, VITALSPANEL, BODYTEMP, BP, HEARTRATE, RESPRATE, BODYWEIGHT, BODYHEIGHT, BMI)

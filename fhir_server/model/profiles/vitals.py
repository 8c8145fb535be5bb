"""The clinic's vital signs (C.7): the HL7 profiles plus clinic units and plausibility ranges."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fhir_server.errors import Issue
from fhir_server.model import canonical as c
from fhir_server.model.profiles.bmi import BMI_INVARIANTS
from fhir_server.model.profiles.definition import CORE_SD, El, Invariant, Profile
from fhir_server.model.profiles.matching import decimal
from fhir_server.model.profiles.paths import has_coding, values
from fhir_server.model.profiles.port import ValidationPort
from fhir_server.model.profiles.ranges import Plausible, plausible

_TEMPERATURE = Plausible("Cel", "°C", Decimal(30), Decimal(45))
_HEART_RATE = Plausible("/min", "/min", Decimal(40), Decimal(200))
_RESPIRATION = Plausible("/min", "/min", Decimal(8), Decimal(40))
_WEIGHT = Plausible("kg", "kg", Decimal(0), Decimal(500), low_exclusive=True)
_HEIGHT = Plausible("cm", "cm", Decimal(30), Decimal(250), metres_hint=True)
_SYSTOLIC = Plausible("mm[Hg]", "mm[Hg]", Decimal(50), Decimal(300))
_DIASTOLIC = Plausible("mm[Hg]", "mm[Hg]", Decimal(20), Decimal(200))


def _unit(code: str) -> El:
    return El(
        "Observation.valueQuantity.code",
        fixed=code,
        message="prof-unit-wrong",
        missing_message="prof-unit-missing",
        params={"expected": code},
    )


def _clinic(
    loinc: str, title: str, title_en: str, elements: tuple[El, ...], invariants: tuple[Invariant, ...]
) -> Profile:
    hl7_id, clinic_id = c.VITAL_SIGNS[loinc]
    return Profile(
        id=clinic_id,
        url=c.structure_definition(clinic_id),
        name="EC" + "".join(part.capitalize() for part in clinic_id.removeprefix("ec-").split("-")),
        title=title,
        title_en=title_en,
        description=f"{title} (LOINC {loinc}): signo vital de la clínica, con su unidad UCUM y rango plausible.",
        description_en=f"{title_en} (LOINC {loinc}): a clinic vital sign, with its UCUM unit and plausible range.",
        type="Observation",
        base=CORE_SD + hl7_id,
        elements=(
            El("Observation.subject", target_profiles=(c.PROFILE_PATIENT,)),
            El("Observation.encounter", target_profiles=(c.PROFILE_ENCOUNTER,), must_support=True),
            El("Observation.performer", must_support=True),
            *elements,
        ),
        invariants=invariants,
    )


def _components(resource: dict[str, Any], loinc: str) -> list[tuple[dict[str, Any], str]]:
    return [
        (component, expr)
        for component, expr in values(resource, "Observation", "component")
        if isinstance(component, dict) and has_coding(component.get("code"), c.LOINC, loinc)
    ]


def _bp_order(resource: dict[str, Any], _port: ValidationPort) -> list[Issue]:
    systolic, diastolic = _components(resource, "8480-6"), _components(resource, "8462-4")
    if len(systolic) != 1 or len(diastolic) != 1:
        return []
    high = _quantity_value(systolic[0][0])
    low = _quantity_value(diastolic[0][0])
    if high is None or low is None or high > low:
        return []
    where = f"{systolic[0][1]}.valueQuantity.value"
    return [
        Issue("invariant", "prof-bp-order", {"element": where, "systolic": high, "diastolic": low}, expression=(where,))
    ]


def _quantity_value(obj: dict[str, Any]) -> Decimal | None:
    quantity = obj.get("valueQuantity")
    return decimal(quantity.get("value")) if isinstance(quantity, dict) else None


_SBP = "component.where(code.coding.where(system = 'http://loinc.org' and code = '8480-6').exists())"
_DBP = "component.where(code.coding.where(system = 'http://loinc.org' and code = '8462-4').exists())"

PANEL = _clinic(
    "85353-1",
    "Panel de signos vitales",
    "Vital signs panel",
    (El("Observation.hasMember", must_support=True),),
    (),
)
BODYTEMP = _clinic(
    "8310-5", "Temperatura corporal", "Body temperature", (_unit("Cel"),), (plausible("ec-temp-1", _TEMPERATURE),)
)
BP = _clinic(
    "85354-9",
    "Presión arterial",
    "Blood pressure",
    (),
    (
        plausible("ec-bp-1", _SYSTOLIC, component="8480-6", fhirpath_base=_SBP),
        plausible("ec-bp-2", _DIASTOLIC, component="8462-4", fhirpath_base=_DBP),
        Invariant(
            "ec-bp-3",
            "error",
            "La presión sistólica es mayor que la diastólica.",
            "The systolic pressure is above the diastolic pressure.",
            f"({_SBP}.valueQuantity.value > {_DBP}.valueQuantity.value) or "
            f"{_SBP}.valueQuantity.value.empty() or {_DBP}.valueQuantity.value.empty()",
            _bp_order,
        ),
    ),
)
HEARTRATE = _clinic("8867-4", "Frecuencia cardiaca", "Heart rate", (), (plausible("ec-hr-1", _HEART_RATE),))
RESPRATE = _clinic("9279-1", "Frecuencia respiratoria", "Respiratory rate", (), (plausible("ec-rr-1", _RESPIRATION),))
BODYWEIGHT = _clinic("29463-7", "Peso", "Body weight", (_unit("kg"),), (plausible("ec-weight-1", _WEIGHT),))
BODYHEIGHT = _clinic("8302-2", "Talla", "Body height", (_unit("cm"),), (plausible("ec-height-1", _HEIGHT),))
BMI = _clinic(
    "39156-5",
    "Índice de masa corporal",
    "Body mass index",
    (
        El(
            "Observation.derivedFrom",
            min=1,
            target_profiles=(c.structure_definition("ec-bodyweight"), c.structure_definition("ec-bodyheight")),
            short="Peso y talla de los que se calcula el IMC",
            must_support=True,
        ),
    ),
    BMI_INVARIANTS,
)

PROFILES = (PANEL, BODYTEMP, BP, HEARTRATE, RESPRATE, BODYWEIGHT, BODYHEIGHT, BMI)

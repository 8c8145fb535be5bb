"""The nurse's vital-signs form (the legacy fields) -> R4 vital-signs Observations claiming the clinic profiles.

Fields: temperatura (°C), presion_arterial ("120/80") or sistolica + diastolica (mm[Hg]), pulso and
frecuencia_respiratoria (/min), peso (kg), talla (cm), imc (only to be checked: the server computes
it), fecha_medicion (defaults to now). Each Observation remembers the field it came from so
problems can be reported against the form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from fhir_server.errors import Invalid, Issue
from fhir_server.model.canonical import LOINC, OBSERVATION_CATEGORY, UCUM, VITAL_SIGNS, structure_definition
from fhir_server.model.ids import new_id
from fhir_server.model.profiles import bmi

FIELDS = (
    "temperatura",
    "presion_arterial",
    "sistolica",
    "diastolica",
    "pulso",
    "frecuencia_respiratoria",
    "peso",
    "talla",
)
_PRESSURE = re.compile(r"^\s*(\d{2,3})\s*/\s*(\d{2,3})\s*$")
# field -> (LOINC code, Spanish display, UCUM code, unit shown)
MEASURES: dict[str, tuple[str, str, str, str]] = {
    "temperatura": ("8310-5", "Temperatura corporal", "Cel", "°C"),
    "pulso": ("8867-4", "Frecuencia cardiaca", "/min", "beats/minute"),
    "frecuencia_respiratoria": ("9279-1", "Frecuencia respiratoria", "/min", "breaths/minute"),
    "peso": ("29463-7", "Peso corporal", "kg", "kg"),
    "talla": ("8302-2", "Talla", "cm", "cm"),
    "imc": ("39156-5", "Índice de masa corporal (IMC)", "kg/m2", "kg/m2"),
}
PANEL = ("85353-1", "Panel de signos vitales")
PRESSURE = ("85354-9", "Presión arterial")
SYSTOLIC = ("8480-6", "Presión arterial sistólica")
DIASTOLIC = ("8462-4", "Presión arterial diastólica")


@dataclass
class VitalsForm:
    """The form's values, parsed; ``source`` maps each Observation id to the form field it came from."""

    values: dict[str, Decimal]
    when: str
    client_bmi: Decimal | None = None
    source: dict[str, str] = field(default_factory=dict)


def _number(name: str, value: Any) -> Decimal:
    if isinstance(value, bool):
        raise Invalid("operation-parameter", code="value", name=name)
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise Invalid("operation-parameter", code="value", name=name) from None
    if not number.is_finite():
        raise Invalid("operation-parameter", code="value", name=name)
    return number


def _when(value: Any, zone: tzinfo) -> str:
    if value is None:
        return datetime.now(zone).isoformat(timespec="seconds")
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise Invalid("operation-parameter", code="value", name="fecha_medicion") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).isoformat(timespec="seconds")


def parse_form(params: dict[str, list[Any]], zone: tzinfo) -> VitalsForm:
    """The form from operation parameters (400 for values that are not numbers or a pressure like 120/80)."""
    values: dict[str, Decimal] = {}
    for name in FIELDS:
        if params.get(name):
            raw = params[name][0]
            if name == "presion_arterial":
                match = _PRESSURE.match(str(raw))
                if match is None:
                    raise Invalid("vitals-pressure-format", code="value", expression=["presion_arterial"], value=raw)
                values["sistolica"], values["diastolica"] = Decimal(match.group(1)), Decimal(match.group(2))
            else:
                values[name] = _number(name, raw)
    if ("sistolica" in values) != ("diastolica" in values):
        raise Invalid("vitals-pressure-pair", code="required", expression=["presion_arterial"])
    if not values:
        raise Invalid("vitals-empty", code="required")
    client_bmi = _number("imc", params["imc"][0]) if params.get("imc") else None
    return VitalsForm(values, _when((params.get("fecha_medicion") or [None])[0], zone), client_bmi)


def _quantity(value: Decimal, ucum: str, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": ucum}


# One object for every form's Observations (nothing changes a resource's parts in place): indexing
# reuses the rows of parts consecutive resources share.
_VITAL_SIGNS_CATEGORY = [
    {"coding": [{"system": OBSERVATION_CATEGORY, "code": "vital-signs", "display": "Vital Signs"}]}
]


def _observation(loinc: tuple[str, str], common: dict[str, Any], **content: Any) -> dict[str, Any]:
    clinic_profile = structure_definition(VITAL_SIGNS[loinc[0]][1])
    return {
        "resourceType": "Observation",
        "id": new_id(),
        "meta": {"profile": [clinic_profile]},
        "status": "final",
        "category": _VITAL_SIGNS_CATEGORY,
        "code": {"coding": [{"system": LOINC, "code": loinc[0]}], "text": loinc[1]},
        **common,
        **content,
    }


def observations(form: VitalsForm, common: dict[str, Any]) -> list[dict[str, Any]]:
    """The members, the BMI (derived from weight and height) and the panel, last."""
    members: list[dict[str, Any]] = []
    by_field: dict[str, dict[str, Any]] = {}
    for name, (code, display, ucum, unit) in MEASURES.items():
        if name in form.values:
            member = _observation((code, display), common, valueQuantity=_quantity(form.values[name], ucum, unit))
            by_field[name] = member
            members.append(member)
    if "sistolica" in form.values:
        components = [
            {
                "code": {"coding": [{"system": LOINC, "code": c}], "text": d},
                "valueQuantity": _quantity(form.values[k], "mm[Hg]", "mmHg"),
            }
            for (c, d), k in ((SYSTOLIC, "sistolica"), (DIASTOLIC, "diastolica"))
        ]
        by_field["presion_arterial"] = _observation(PRESSURE, common, component=components)
        members.append(by_field["presion_arterial"])
    if "peso" in by_field and "talla" in by_field:
        value = bmi(form.values["peso"], form.values["talla"])
        derived = [{"reference": f"Observation/{by_field[k]['id']}"} for k in ("peso", "talla")]
        by_field["imc"] = _observation(
            MEASURES_BMI, common, valueQuantity=_quantity(value, "kg/m2", "kg/m2"), derivedFrom=derived
        )
        members.append(by_field["imc"])
    form.source = {obs["id"]: name for name, obs in by_field.items()}
    panel = _observation(PANEL, common, hasMember=[{"reference": f"Observation/{m['id']}"} for m in members])
    return [*members, panel]


MEASURES_BMI = (MEASURES["imc"][0], MEASURES["imc"][1])


def bmi_issue(form: VitalsForm) -> Issue | None:
    """A BMI the client sent that disagrees with its weight and height (or that cannot be checked)."""
    if form.client_bmi is None:
        return None
    if "peso" not in form.values or "talla" not in form.values:
        return Issue("required", "vitals-bmi-unverifiable", expression=("imc",))
    computed = bmi(form.values["peso"], form.values["talla"])
    if abs(computed - form.client_bmi) >= Decimal("0.01"):
        params = {"sent": form.client_bmi, "computed": computed}
        return Issue("business-rule", "vitals-bmi-inconsistent", params, expression=("imc",))
    return None

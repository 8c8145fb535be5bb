"""Vital signs: the HL7 R4 rules, the clinic's units and ranges, and the BMI agreement."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from fhir_server.i18n import translate
from fhir_server.model import canonical as c
from fhir_server.model.json import loads
from fhir_server.model.profiles import validate_against
from tests.model.profiles.support import MemoryPort, blood_pressure, by_expression, coded, fresh, rendered, vital

HL7 = "http://hl7.org/fhir/StructureDefinition/"


def ec(loinc: str) -> list[str]:
    return [c.structure_definition(c.VITAL_SIGNS[loinc][1])]


VALID = {
    "8310-5": vital("8310-5", 36.8, "°C", "Cel"),
    "8867-4": vital("8867-4", 72, "beats/minute", "/min"),
    "9279-1": vital("9279-1", 16, "breaths/minute", "/min"),
    "29463-7": vital("29463-7", 70, "kg", "kg"),
    "8302-2": vital("8302-2", 170, "cm", "cm"),
    "85354-9": blood_pressure(120, 80),
}


@pytest.mark.parametrize("loinc", sorted(VALID))
def test_valid_vital_signs(loinc):
    resource = fresh(VALID[loinc])
    assert validate_against(resource, ec(loinc), MemoryPort()) == []
    hl7 = HL7 + c.VITAL_SIGNS[loinc][0]
    assert validate_against(resource, [hl7, c.HL7_VITAL_SIGNS], MemoryPort()) == []


def test_temperature_46_is_implausible():
    issues = validate_against(vital("8310-5", 46, "°C", "Cel"), ec("8310-5"), MemoryPort())
    assert rendered(issues) == [
        (
            "error",
            "Observation.valueQuantity.value",
            "Observation.valueQuantity.value: 46 °C está fuera del rango plausible 30–45 °C",
        )
    ]
    assert translate(issues[0].message, "en", issues[0].params) == (
        "Observation.valueQuantity.value: 46 °C is outside the plausible range 30–45 °C"
    )
    assert issues[0].params["rule"] == "ec-temp-1"


def test_fahrenheit_is_refused_by_the_clinic_but_not_by_hl7():
    resource = vital("8310-5", 98.6, "°F", "[degF]")
    issues = validate_against(resource, ec("8310-5"), MemoryPort())
    assert rendered(issues, "en") == [
        (
            "error",
            "Observation.valueQuantity.code",
            "Observation.valueQuantity.code: the unit must be UCUM code 'Cel' (got '[degF]')",
        )
    ]
    assert validate_against(resource, [HL7 + "bodytemp"], MemoryPort()) == []
    resource["valueQuantity"]["code"] = "K"
    issues = validate_against(resource, [HL7 + "bodytemp"], MemoryPort())
    assert [(i.message, i.params["expected"]) for i in issues] == [("prof-unit-wrong", "Cel | [degF]")]


def test_missing_unit_code_names_the_expected_code():
    resource = vital("8310-5", 36.5, "°C", "Cel")
    del resource["valueQuantity"]["code"]
    del resource["valueQuantity"]["system"]
    issues = validate_against(resource, ec("8310-5"), MemoryPort())
    assert sorted(rendered(issues)) == [
        (
            "error",
            "Observation.valueQuantity.code",
            "Observation.valueQuantity.code: falta el código UCUM de la unidad; se espera 'Cel'",
        ),
        (
            "error",
            "Observation.valueQuantity.system",
            "Observation.valueQuantity.system: es obligatorio en este perfil",
        ),
    ]


def test_height_in_metres():
    resource = loads(b'{"value": 1.70}')
    observation = vital("8302-2", resource["value"], "cm", "cm")
    issues = validate_against(observation, ec("8302-2"), MemoryPort())
    assert rendered(issues) == [
        (
            "error",
            "Observation.valueQuantity.value",
            "Observation.valueQuantity.value: 1.70 cm está fuera del rango plausible 30–250 cm; "
            "¿se envió en metros? 1.70 m son 170 cm",
        )
    ]


def test_height_in_the_wrong_unit():
    issues = validate_against(vital("8302-2", Decimal("1.70"), "m", "m"), ec("8302-2"), MemoryPort())
    assert [(i.message, i.params["expected"]) for i in issues] == [("prof-unit-wrong", "cm")]


@pytest.mark.parametrize(
    ("loinc", "value", "unit", "message"),
    [
        ("8867-4", 30, "/min", "prof-range"),
        ("8867-4", 201, "/min", "prof-range"),
        ("9279-1", 7, "/min", "prof-range"),
        ("9279-1", 41, "/min", "prof-range"),
        ("29463-7", 0, "kg", "prof-range-open"),
        ("29463-7", 501, "kg", "prof-range-open"),
        ("8302-2", 251, "cm", "prof-range"),
        ("8310-5", Decimal("29.9"), "Cel", "prof-range"),
    ],
)
def test_ranges(loinc, value, unit, message):
    issues = validate_against(vital(loinc, value, unit, unit), ec(loinc), MemoryPort())
    assert [(i.message, i.expression[0]) for i in issues] == [(message, "Observation.valueQuantity.value")]


@pytest.mark.parametrize(
    ("loinc", "value", "unit"), [("8867-4", 40, "/min"), ("29463-7", 500, "kg"), ("8302-2", 30, "cm")]
)
def test_range_bounds_are_inclusive(loinc, value, unit):
    assert validate_against(vital(loinc, value, unit, unit), ec(loinc), MemoryPort()) == []


def test_blood_pressure_rules():
    issues = validate_against(blood_pressure(80, 90), ec("85354-9"), MemoryPort())
    assert rendered(issues) == [
        (
            "error",
            "Observation.component[0].valueQuantity.value",
            "Observation.component[0].valueQuantity.value: la presión sistólica (80 mm[Hg]) debe superar a la "
            "diastólica (90 mm[Hg])",
        )
    ]
    issues = validate_against(blood_pressure(350, 10), ec("85354-9"), MemoryPort())
    assert by_expression(issues) == {
        "Observation.component[0].valueQuantity.value": ["prof-range"],
        "Observation.component[1].valueQuantity.value": ["prof-range"],
    }


def test_blood_pressure_components():
    resource = blood_pressure(120, 80)
    resource["component"] = resource["component"][:1]
    issues = validate_against(resource, ec("85354-9"), MemoryPort())
    assert sorted((i.message, i.expression[0]) for i in issues) == [
        ("prof-min", "Observation.component"),
        ("prof-vs-component", "Observation.component"),
    ]
    resource = blood_pressure(120, 80)
    del resource["component"][1]["valueQuantity"]
    issues = validate_against(resource, ec("85354-9"), MemoryPort())
    assert [(i.message, i.expression[0]) for i in issues] == [("prof-vs-3", "Observation.component[1].value")]
    resource["component"][1]["dataAbsentReason"] = coded(
        "http://terminology.hl7.org/CodeSystem/data-absent-reason", "asked-unknown"
    )
    assert validate_against(resource, ec("85354-9"), MemoryPort()) == []
    resource["component"][0]["valueQuantity"]["code"] = "mmHg"
    issues = validate_against(resource, ec("85354-9"), MemoryPort())
    assert [(i.message, i.expression[0]) for i in issues] == [
        ("prof-unit-wrong", "Observation.component[0].valueQuantity.code")
    ]


def test_hl7_rules():
    resource = vital("8310-5", 36.6, "°C", "Cel", effectiveDateTime="2024-05")
    resource["category"] = [coded(c.OBSERVATION_CATEGORY, "exam")]
    resource["code"] = coded(c.LOINC, "8310-6")
    resource["subject"] = {"reference": "Group/g1"}
    issues = validate_against(resource, ec("8310-5"), MemoryPort())
    assert sorted((i.message, i.expression[0]) for i in issues) == [
        ("prof-reference-type", "Observation.subject.reference"),
        ("prof-vs-1", "Observation.effectiveDateTime"),
        ("prof-vs-category", "Observation.category"),
        ("prof-vs-code", "Observation.code.coding"),
    ]


def test_no_value_needs_a_data_absent_reason():
    resource = vital("8310-5", 36.6, "°C", "Cel")
    del resource["valueQuantity"]
    issues = validate_against(resource, ec("8310-5"), MemoryPort())
    assert [(i.message, i.params["rule"]) for i in issues] == [("prof-vs-2", "vs-2")]
    resource["dataAbsentReason"] = coded("http://terminology.hl7.org/CodeSystem/data-absent-reason", "not-performed")
    assert validate_against(resource, ec("8310-5"), MemoryPort()) == []


def test_other_value_types_are_refused():
    resource = vital("8310-5", 36.6, "°C", "Cel")
    del resource["valueQuantity"]
    resource["valueString"] = "36.6"
    issues = validate_against(resource, ec("8310-5"), MemoryPort())
    assert [(i.message, i.expression[0]) for i in issues] == [("prof-type", "Observation.valueString")]


def _panel_port() -> MemoryPort:
    port = MemoryPort()
    for index, resource in enumerate(VALID[loinc] for loinc in sorted(VALID)):
        port.store(dict(fresh(resource), id=f"m{index}"))
    lab = vital("882-1", 1, "", "", id="lab", category=[coded(c.OBSERVATION_CATEGORY, "laboratory")])
    return port.store(lab)


def test_panel_members_must_be_vital_signs():
    port = _panel_port()
    panel = vital("85353-1", 0, "", "")
    del panel["valueQuantity"]
    panel["hasMember"] = [{"reference": f"Observation/m{i}"} for i in range(len(VALID))]
    assert validate_against(panel, ec("85353-1"), port) == []
    panel["hasMember"] += [{"reference": "Observation/lab"}, {"reference": "Observation/missing"}]
    issues = validate_against(panel, ec("85353-1"), port)
    assert sorted((i.message, i.expression[0]) for i in issues) == [
        ("prof-reference-profile", "Observation.hasMember[6]"),
        ("prof-reference-unresolved", "Observation.hasMember[7]"),
    ]


def test_panel_has_no_value_and_needs_members():
    panel = vital("85353-1", 1, "", "")
    issues = validate_against(panel, ec("85353-1"), MemoryPort())
    assert sorted((i.message, i.expression[0]) for i in issues) == [
        ("prof-prohibited", "Observation.valueQuantity"),
        ("prof-required", "Observation.hasMember"),
    ]


def _bmi_port(weight=70, height=170, subject="Patient/p1") -> MemoryPort:
    port = MemoryPort()
    port.store(vital("29463-7", weight, "kg", "kg", id="w", subject={"reference": subject}))
    port.store(vital("8302-2", height, "cm", "cm", id="h"))
    return port


def _bmi(value) -> dict[str, Any]:
    return vital(
        "39156-5", value, "kg/m2", "kg/m2", derivedFrom=[{"reference": "Observation/w"}, {"reference": "Observation/h"}]
    )


def test_bmi_consistent_with_weight_and_height():
    assert validate_against(_bmi(Decimal("24.22")), ec("39156-5"), _bmi_port()) == []
    assert validate_against(_bmi(Decimal("24.2214")), ec("39156-5"), _bmi_port()) == []


def test_bmi_inconsistent_with_weight_and_height():
    issues = validate_against(_bmi(25), ec("39156-5"), _bmi_port())
    assert rendered(issues) == [
        (
            "error",
            "Observation.valueQuantity.value",
            "Observation.valueQuantity.value: el IMC 25 no coincide con peso 70 kg y talla 170 cm (debe ser 24.22)",
        )
    ]
    assert issues[0].params["rule"] == "ec-bmi-2"


def test_bmi_sources():
    resource = _bmi(Decimal("24.22"))
    del resource["derivedFrom"]
    issues = validate_against(resource, ec("39156-5"), _bmi_port())
    assert [(i.message, i.expression[0]) for i in issues] == [("prof-required", "Observation.derivedFrom")]
    resource["derivedFrom"] = [{"reference": "Observation/w"}, {"reference": "Observation/nope"}]
    issues = validate_against(resource, ec("39156-5"), _bmi_port())
    assert [(i.message, i.expression[0]) for i in issues] == [
        ("prof-reference-unresolved", "Observation.derivedFrom[1]")
    ]
    resource["derivedFrom"] = [{"reference": "Observation/w"}]
    issues = validate_against(resource, ec("39156-5"), _bmi_port())
    assert [(i.message, i.params["missing"]) for i in issues] == [("prof-bmi-sources", "8302-2")]


def test_bmi_sources_of_another_patient():
    issues = validate_against(_bmi(Decimal("24.22")), ec("39156-5"), _bmi_port(subject="Patient/other"))
    assert [(i.message, i.expression[0]) for i in issues] == [("prof-bmi-subject", "Observation.derivedFrom[0]")]

"""Profile validation remembers resolved references for one resource only, never across validations."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from fhir_server.model import canonical as c
from fhir_server.model.profiles import validate_against
from tests.model.profiles.support import MemoryPort, vital

BMI_PROFILE = [c.structure_definition("ec-bmi")]


class CountingPort(MemoryPort):
    def __init__(self) -> None:
        super().__init__()
        self.asked: Counter[str] = Counter()

    def resolve(self, reference: str) -> dict[str, Any] | None:
        self.asked[reference] += 1
        return super().resolve(reference)


def _port(weight: Any) -> CountingPort:
    port = CountingPort()
    port.store(vital("29463-7", weight, "kg", "kg", id="w"))
    port.store(vital("8302-2", 170, "cm", "cm", id="h"))
    return port


def _bmi(value: Any) -> dict[str, Any]:
    return vital(
        "39156-5", value, "kg/m2", "kg/m2", derivedFrom=[{"reference": "Observation/w"}, {"reference": "Observation/h"}]
    )


def test_each_reference_is_resolved_once_per_validation():
    port = _port(70)
    assert validate_against(_bmi(Decimal("24.22")), BMI_PROFILE, port) == []
    # Both BMI rules read the weight and the height; the transaction is asked once for each.
    assert port.asked == Counter({"Observation/w": 1, "Observation/h": 1})
    validate_against(_bmi(Decimal("24.22")), BMI_PROFILE, port)
    assert port.asked == Counter({"Observation/w": 2, "Observation/h": 2})


def test_a_changed_target_is_seen_by_the_next_validation():
    port = _port(70)
    assert validate_against(_bmi(Decimal("24.22")), BMI_PROFILE, port) == []
    port.store(vital("29463-7", 80, "kg", "kg", id="w"))
    issues = validate_against(_bmi(Decimal("24.22")), BMI_PROFILE, port)
    assert [(i.message, i.params["expected"]) for i in issues] == [("prof-bmi-mismatch", Decimal("27.68"))]

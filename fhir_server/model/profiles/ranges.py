"""Plausibility ranges of measured values, as invariants (FHIRPath text + Python check)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fhir_server.errors import Issue
from fhir_server.model import canonical as c
from fhir_server.model.profiles.definition import Invariant, problem
from fhir_server.model.profiles.matching import decimal
from fhir_server.model.profiles.paths import has_coding, values
from fhir_server.model.profiles.port import ValidationPort


@dataclass(frozen=True, slots=True)
class Plausible:
    """A range for a quantity in one UCUM unit (values in other units are the unit rule's problem)."""

    code: str
    display: str
    low: Decimal
    high: Decimal
    low_exclusive: bool = False
    metres_hint: bool = False  # a tiny height in cm was most likely sent in metres

    def contains(self, value: Decimal) -> bool:
        above = value > self.low if self.low_exclusive else value >= self.low
        return above and value <= self.high


def _quantities(resource: dict[str, Any], component: str | None) -> list[tuple[Any, str]]:
    if component is None:
        return values(resource, "Observation", "valueQuantity")
    found = []
    for item, expr in values(resource, "Observation", "component"):
        if isinstance(item, dict) and has_coding(item.get("code"), c.LOINC, component):
            found.extend(values(item, expr, "valueQuantity"))
    return found


def _text(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _range_issue(rule: Plausible, raw: Any, number: Decimal, where: str) -> Issue:
    params = {"value": raw, "unit": rule.display, "low": _text(rule.low), "high": _text(rule.high)}
    if rule.metres_hint and Decimal("0.3") <= number < 3:
        return problem("prof-height-metres", where, code="value", centimetres=_text(number * 100), **params)
    return problem("prof-range-open" if rule.low_exclusive else "prof-range", where, code="value", **params)


def plausible(key: str, rule: Plausible, *, component: str | None = None, fhirpath_base: str = "") -> Invariant:
    """An invariant keeping ``valueQuantity.value`` (of the whole Observation or one component) in range."""

    def check(resource: dict[str, Any], _port: ValidationPort) -> list[Issue]:
        issues = []
        for quantity, expr in _quantities(resource, component):
            if not isinstance(quantity, dict) or quantity.get("code") != rule.code:
                continue
            raw = quantity.get("value")
            number = decimal(raw)
            if number is not None and not rule.contains(number):
                issues.append(_range_issue(rule, raw, number, f"{expr}.value"))
        return issues

    low = f"$this {'>' if rule.low_exclusive else '>='} {_text(rule.low)}"
    base = f"{fhirpath_base}." if fhirpath_base else ""
    expression = f"{base}valueQuantity.where(code = '{rule.code}').value.all({low} and $this <= {_text(rule.high)})"
    where_es = f" del componente {component}" if component else ""
    where_en = f" of component {component}" if component else ""
    bounds = f"{'>' if rule.low_exclusive else '≥'} {_text(rule.low)} y ≤ {_text(rule.high)} {rule.display}"
    return Invariant(
        key,
        "error",
        f"El valor{where_es} es {bounds} (rango plausible).",
        f"The value{where_en} is {bounds.replace(' y ', ' and ')} (plausible range).",
        expression,
        check,
    )

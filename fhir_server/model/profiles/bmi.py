"""Body mass index: the server's formula, and the rule that a BMI agrees with its weight and height.

BMI = kg / (cm / 100)², two decimals, ROUND_HALF_UP (design decision 5). A BMI Observation must be
derived from a body-weight and a body-height Observation of the same patient and carry that value
(a difference under 0.01 after rounding).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from fhir_server.errors import Issue
from fhir_server.model import canonical as c
from fhir_server.model.profiles.definition import Invariant, problem
from fhir_server.model.profiles.matching import decimal, resolve
from fhir_server.model.profiles.paths import has_coding, values
from fhir_server.model.profiles.port import ValidationPort

WEIGHT_LOINC = "29463-7"
HEIGHT_LOINC = "8302-2"
_CENT = Decimal("0.01")
_TO_KG = {"kg": Decimal(1), "g": Decimal("0.001"), "[lb_av]": Decimal("0.45359237")}
_TO_CM = {"cm": Decimal(1), "m": Decimal(100), "mm": Decimal("0.1"), "[in_i]": Decimal("2.54")}


def bmi(weight_kg: Decimal, height_cm: Decimal) -> Decimal:
    """kg / m², rounded half up to two decimals (70 kg and 170 cm give 24.22)."""
    metres = Decimal(height_cm) / 100
    return (Decimal(weight_kg) / (metres * metres)).quantize(_CENT, rounding=ROUND_HALF_UP)


def _measure(source: dict[str, Any], factors: dict[str, Decimal]) -> Decimal | None:
    quantity = source.get("valueQuantity")
    if not isinstance(quantity, dict):
        return None
    number, factor = decimal(quantity.get("value")), factors.get(str(quantity.get("code")))
    return number * factor if number is not None and factor is not None and number > 0 else None


def _subject(resource: dict[str, Any]) -> Any:
    subject = resource.get("subject")
    return subject.get("reference") if isinstance(subject, dict) else None


def _sources(
    resource: dict[str, Any], port: ValidationPort, issues: list[Issue]
) -> dict[str, tuple[dict[str, Any], str]]:
    """LOINC code -> (resolved source Observation, expression of its reference), reporting unresolved ones."""
    found: dict[str, tuple[dict[str, Any], str]] = {}
    for reference, expr in values(resource, "Observation", "derivedFrom"):
        target = resolve(reference, resource, port)
        if target is None:
            text = reference.get("reference", "?") if isinstance(reference, dict) else "?"
            issues.append(problem("prof-reference-unresolved", expr, code="not-found", reference=text))
            continue
        for loinc in (WEIGHT_LOINC, HEIGHT_LOINC):
            if target.get("resourceType") == "Observation" and has_coding(target.get("code"), c.LOINC, loinc):
                found.setdefault(loinc, (target, expr))
    return found


def _check_sources(resource: dict[str, Any], port: ValidationPort) -> list[Issue]:
    if not resource.get("derivedFrom"):
        return []  # the cardinality rule (derivedFrom 1..*) reports it
    issues: list[Issue] = []
    found = _sources(resource, port, issues)
    missing = [code for code in (WEIGHT_LOINC, HEIGHT_LOINC) if code not in found]
    if missing and not issues:
        issues.append(
            problem("prof-bmi-sources", "Observation.derivedFrom", code="required", missing=", ".join(missing))
        )
    subject = _subject(resource)
    for source, expr in found.values():
        if subject is not None and _subject(source) not in (None, subject):
            issues.append(problem("prof-bmi-subject", expr, code="business-rule", subject=str(_subject(source))))
    return issues


def _check_value(resource: dict[str, Any], port: ValidationPort) -> list[Issue]:
    quantity = resource.get("valueQuantity")
    value = decimal(quantity.get("value")) if isinstance(quantity, dict) else None
    if value is None:
        return []
    found = _sources(resource, port, [])
    if WEIGHT_LOINC not in found or HEIGHT_LOINC not in found:
        return []
    (weight_obs, weight_expr), (height_obs, height_expr) = found[WEIGHT_LOINC], found[HEIGHT_LOINC]
    weight, height = _measure(weight_obs, _TO_KG), _measure(height_obs, _TO_CM)
    if weight is None or height is None:
        where = weight_expr if weight is None else height_expr
        return [problem("prof-bmi-source-value", where, code="business-rule")]
    expected = bmi(weight, height)
    if abs(value.quantize(_CENT, rounding=ROUND_HALF_UP) - expected) < _CENT:
        return []
    return [
        problem(
            "prof-bmi-mismatch",
            "Observation.valueQuantity.value",
            code="business-rule",
            value=quantity.get("value") if isinstance(quantity, dict) else value,
            expected=expected,
            weight=format(weight.normalize(), "f"),
            height=format(height.normalize(), "f"),
        )
    ]


_WEIGHT = f"derivedFrom.resolve().where(code.coding.where(system = '{c.LOINC}' and code = '{WEIGHT_LOINC}').exists())"
_HEIGHT = f"derivedFrom.resolve().where(code.coding.where(system = '{c.LOINC}' and code = '{HEIGHT_LOINC}').exists())"

BMI_INVARIANTS = (
    Invariant(
        "ec-bmi-1",
        "error",
        "El IMC se deriva (derivedFrom) de una observación de peso (29463-7) y una de talla (8302-2) del paciente.",
        "The BMI is derived from a body-weight (29463-7) and a body-height (8302-2) Observation of the same patient.",
        f"{_WEIGHT}.exists() and {_HEIGHT}.exists()",
        _check_sources,
    ),
    Invariant(
        "ec-bmi-2",
        "error",
        "El IMC es peso (kg) / talla (m)², redondeado a 2 decimales (ROUND_HALF_UP).",
        "The BMI is weight (kg) / height (m)², rounded to 2 decimals (ROUND_HALF_UP).",
        f"valueQuantity.value.empty() or ((valueQuantity.value - ({_WEIGHT}.valueQuantity.value.first() / "
        f"({_HEIGHT}.valueQuantity.value.first() / 100).power(2)).round(2)).abs() < 0.01)",
        _check_value,
    ),
)

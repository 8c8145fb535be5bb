"""Value-level checks shared by the validator: fixed and pattern values, bindings, references."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from fhir_server.errors import Issue
from fhir_server.model.json import is_number
from fhir_server.model.profiles.definition import Binding
from fhir_server.model.profiles.port import ValidationPort
from fhir_server.model.references import RefKind, parse_reference


def same_value(value: Any, fixed: Any) -> bool:
    """Exact equality as FHIR fixed[x] means it (numbers compared as decimals)."""
    if is_number(value) and is_number(fixed):
        return decimal(value) == decimal(fixed)
    return bool(value == fixed)


def matches_pattern(value: Any, pattern: Any) -> bool:
    """pattern[x] semantics: every element of the pattern is present in the value (lists: each pattern item in some)."""
    if isinstance(pattern, dict):
        if not isinstance(value, dict):
            return False
        return all(key in value and matches_pattern(value[key], want) for key, want in pattern.items())
    if isinstance(pattern, list):
        if not isinstance(value, list):
            return False
        return all(any(matches_pattern(item, want) for item in value) for want in pattern)
    return same_value(value, pattern)


def value_test(fixed: Any) -> Callable[[Any], bool]:
    """``same_value(value, fixed)`` as a function of the value, for a fixed value known in advance."""
    if is_number(fixed):
        return lambda value: same_value(value, fixed)
    # Not a number: same_value is plain equality, which is a bool for JSON values.
    return lambda value: bool(value == fixed)


def pattern_test(pattern: Any) -> Callable[[Any], bool]:
    """``matches_pattern(value, pattern)`` as a function of the value, the pattern taken apart once."""
    if isinstance(pattern, dict):
        parts = tuple((key, pattern_test(want)) for key, want in pattern.items())

        def match_dict(value: Any) -> bool:
            return isinstance(value, dict) and all(key in value and test(value[key]) for key, test in parts)

        return match_dict
    if isinstance(pattern, list):
        tests = tuple(pattern_test(want) for want in pattern)

        def match_list(value: Any) -> bool:
            if not isinstance(value, list):
                return False
            for test in tests:
                for item in value:
                    if test(item):
                        break
                else:
                    return False
            return True

        return match_list
    return value_test(pattern)


def decimal(value: Any) -> Decimal | None:
    """A JSON number as a Decimal (None for anything else)."""
    if not is_number(value):
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None


def pattern_text(pattern: Any) -> str:
    """A short human rendering of a fixed or pattern value for messages."""
    if isinstance(pattern, dict):
        found = pattern.get("coding")
        if isinstance(found, list) and found and isinstance(found[0], dict):
            return pattern_text(found[0])
        if "system" in pattern and "code" in pattern:
            return f"{pattern['system']}#{pattern['code']}"
        return ", ".join(f"{k}={pattern_text(v)}" for k, v in pattern.items())
    return str(pattern)


# Bindings --------------------------------------------------------------------------------------


def _coded(value: Any, type_name: str, expr: str) -> list[tuple[str | None, str, str]]:
    """(system, code, expression) of each code a bound value carries."""
    if type_name == "CodeableConcept" and isinstance(value, dict):
        found = value.get("coding")
        items = found if isinstance(found, list) else []
        return [
            (c.get("system"), c["code"], f"{expr}.coding[{i}].code")
            for i, c in enumerate(items)
            if isinstance(c, dict) and isinstance(c.get("code"), str)
        ]
    if type_name in ("Coding", "Quantity") and isinstance(value, dict):
        code = value.get("code")
        return [(value.get("system"), code, f"{expr}.code")] if isinstance(code, str) else []
    if isinstance(value, str):
        return [(None, value, expr)]
    return []


def in_binding(binding: Binding, system: str | None, code: str, port: ValidationPort) -> bool | None:
    """Whether the code is in the bound value set; None when nobody can tell."""
    answer = port.in_value_set(binding.value_set, system, code)
    if answer is not None:
        return answer
    if binding.codes is not None:
        return (binding.system is None or system in (None, binding.system)) and code in binding.codes
    if binding.system is None or system is None:
        return None
    if system != binding.system:
        return False
    return port.concept(system, code) is not None if port.knows_system(system) else None


def can_fail(binding: Binding) -> bool:
    """False when ``binding_issues`` never reports anything for this binding."""
    return binding.checked and binding.strength in ("required", "extensible")


def binding_issues(
    binding: Binding, value: Any, type_name: str, expr: str, port: ValidationPort, message: str | None
) -> list[Issue]:
    """Problems of one bound value: required = some code in the set; extensible = no unknown code of its system."""
    if not can_fail(binding):
        return []
    coded = _coded(value, type_name, expr)
    answers = [(in_binding(binding, system, code, port), system, code, path) for system, code, path in coded]
    params = {"value_set": binding.value_set}
    if binding.strength == "required":
        if not coded:
            if type_name == "CodeableConcept":
                return [
                    Issue(
                        "code-invalid",
                        message or "prof-binding-no-coding",
                        {"element": expr, **params},
                        expression=(expr,),
                    )
                ]
            return []
        if any(answer for answer, *_ in answers) or all(answer is None for answer, *_ in answers):
            return []
        _, system, code, path = next(a for a in answers if a[0] is False)
        return [
            Issue(
                "code-invalid",
                message or "prof-binding-required",
                {"element": path, "code": code, "system": system or "", "actual": code, **params},
                expression=(path,),
            )
        ]
    return [
        Issue(
            "code-invalid",
            message or "prof-binding-extensible",
            {"element": path, "code": code, "system": system or "", "actual": code, **params},
            expression=(path,),
        )
        for answer, system, code, path in answers
        if answer is False and system == binding.system
    ]


# References ------------------------------------------------------------------------------------


def reference_type(value: Any) -> tuple[str | None, str | None]:
    """(resource type, the reference text) of a Reference value; type None when it cannot be told."""
    if not isinstance(value, dict):
        return None, None
    text = value.get("reference")
    if not isinstance(text, str):
        declared = value.get("type")
        return (declared if isinstance(declared, str) else None), None
    ref = parse_reference(text)
    if ref is None or ref.kind in (RefKind.CONTAINED, RefKind.BUNDLE_LOCAL):
        return None, text
    return ref.type, text


def reference_test(target_types: frozenset[str]) -> Callable[[Any], bool]:
    """True for a Reference whose type, when it can be told, is one of ``target_types``."""

    def test(value: Any) -> bool:
        type_name, _ = reference_type(value)
        return type_name is None or type_name in target_types

    return test


def resolve(value: Any, resource: dict[str, Any], port: ValidationPort) -> dict[str, Any] | None:
    """The resource a Reference points at: contained (``#id``) or local (``Type/id``); None otherwise."""
    if not isinstance(value, dict) or not isinstance(value.get("reference"), str):
        return None
    ref = parse_reference(value["reference"])
    if ref is None:
        return None
    if ref.kind is RefKind.CONTAINED:
        contained = resource.get("contained")
        for item in contained if isinstance(contained, list) else []:
            if isinstance(item, dict) and item.get("id") == ref.id:
                return item
        return None
    if ref.kind is RefKind.RELATIVE and ref.type and ref.id:
        return port.resolve(f"{ref.type}/{ref.id}")
    return None

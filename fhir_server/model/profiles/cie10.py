"""A diagnosis is coded in CIE-10 (WHO ICD-10) with a code that exists and is valid for recording."""

from __future__ import annotations

from typing import Any

from fhir_server.errors import Issue
from fhir_server.model import canonical as c
from fhir_server.model.profiles.definition import Invariant, problem
from fhir_server.model.profiles.paths import values
from fhir_server.model.profiles.port import ValidationPort


def code_issue(code: str, where: str, port: ValidationPort) -> Issue | None:
    """Why a CIE-10 code cannot be a diagnosis, or None when it can."""
    answer = port.in_value_set(c.VS_CIE10_DIAGNOSIS, c.ICD10, code)
    if answer is True:
        return None
    concept = port.concept(c.ICD10, code)
    if answer is None and concept is None and not port.knows_system(c.ICD10):
        return problem("prof-cie10-not-loaded", where, code="not-supported", value=code)
    if concept is None:
        return problem("prof-cie10-unknown", where, code="code-invalid", value=code)
    display = concept.display or ""
    if concept.inactive:
        return problem("prof-cie10-inactive", where, code="code-invalid", value=code, display=display)
    if not concept.selectable or not concept.leaf:
        return problem("prof-cie10-grouping", where, code="code-invalid", value=code, display=display)
    if answer is False:
        return problem("prof-cie10-not-valid", where, code="code-invalid", value=code, display=display)
    return None


def _check(resource: dict[str, Any], port: ValidationPort) -> list[Issue]:
    issues = []
    for coding, expr in values(resource, "Condition", "code", "coding"):
        if isinstance(coding, dict) and coding.get("system") == c.ICD10 and isinstance(coding.get("code"), str):
            found = code_issue(coding["code"], f"{expr}.code", port)
            if found is not None:
                issues.append(found)
    return issues


CIE10_INVARIANT = Invariant(
    "ec-dx-1",
    "error",
    "El código CIE-10 existe en el catálogo cargado y es válido para un diagnóstico (activo, no agrupador: "
    "una categoría sin subcategorías o una subcategoría).",
    "The CIE-10 code exists in the loaded catalogue and is valid for a diagnosis (active, not a grouping "
    "code: a category without subcategories, or a subcategory).",
    f"memberOf('{c.VS_CIE10_DIAGNOSIS}')",
    _check,
    "Condition.code.coding:cie10",
)

"""Address geography: the provincia/cantón/parroquia codes of an address must nest.

INEC codes nest by prefix (province ``PP``, canton ``PPCC``, parish ``PPCCNN``). When the server holds
the complete ec-dpa CodeSystem each code must exist and its parent must be the code above it; with
only a fragment, the codes it has are checked and absent ones prove nothing.
"""

from __future__ import annotations

import re
from typing import Any

from fhir_server.errors import Issue
from fhir_server.model import canonical as c
from fhir_server.model.profiles.definition import Invariant, problem
from fhir_server.model.profiles.paths import extensions, values
from fhir_server.model.profiles.port import ValidationPort

_LEVELS = ((c.EXT_PROVINCIA, "provincia", 2), (c.EXT_CANTON, "canton", 4), (c.EXT_PARROQUIA, "parroquia", 6))


def _codes(address: Any, expr: str) -> list[tuple[str, int, str, str]]:
    """(level, digits, code, expression of the code) of the coded extensions of one address."""
    found = []
    for url, level, digits in _LEVELS:
        for ext, ext_expr in extensions(address, expr, url):
            coding = ext.get("valueCoding")
            code = coding.get("code") if isinstance(coding, dict) else None
            if isinstance(code, str):
                found.append((level, digits, code, f"{ext_expr}.valueCoding.code"))
    return found


def _address_issues(address: Any, expr: str, port: ValidationPort) -> list[Issue]:
    issues: list[Issue] = []
    complete = port.knows_system(c.CS_DPA)
    above: tuple[str, str] | None = None  # (level, code) of the nearest valid higher division
    for level, digits, code, code_expr in _codes(address, expr):
        if re.fullmatch(rf"[0-9]{{{digits}}}", code) is None:
            issues.append(problem("prof-dpa-format", code_expr, code="value", value=code, level=level, digits=digits))
            continue
        if above is not None and not code.startswith(above[1]):
            issues.append(
                problem("prof-dpa-nesting", code_expr, value=code, level=level, parent=above[1], parent_level=above[0])
            )
            continue
        concept = port.concept(c.CS_DPA, code)
        if concept is None and complete:
            issues.append(problem("prof-dpa-unknown", code_expr, code="code-invalid", value=code, level=level))
            continue
        if concept is not None and above is not None and concept.parents and above[1] not in concept.parents:
            issues.append(
                problem(
                    "prof-dpa-parent",
                    code_expr,
                    value=code,
                    level=level,
                    parent=above[1],
                    actual=", ".join(concept.parents),
                )
            )
            continue
        above = (level, code)
    return issues


def _check(resource: dict[str, Any], port: ValidationPort) -> list[Issue]:
    root = str(resource.get("resourceType"))
    issues: list[Issue] = []
    for address, expr in values(resource, root, "address"):
        issues.extend(_address_issues(address, expr, port))
    return issues


def dpa_invariant(root: str, key: str) -> Invariant:
    prov, canton, parish = (f"extension('{url}').value.code" for url, _, _ in _LEVELS)
    return Invariant(
        key,
        "error",
        "Los códigos DPA de la dirección se anidan: el cantón empieza con el código de la provincia y la "
        "parroquia con el del cantón; con el catálogo ec-dpa completo, cada código existe y su padre coincide.",
        "The address DPA codes nest: the canton starts with the province code and the parish with the canton "
        "code; with the complete ec-dpa catalogue, each code exists and its parent matches.",
        f"({canton}.empty() or {prov}.empty() or {canton}.startsWith({prov})) and "
        f"({parish}.empty() or {canton}.empty() or {parish}.startsWith({canton})) and "
        f"({parish}.empty() or {prov}.empty() or {parish}.startsWith({prov}))",
        _check,
        f"{root}.address",
    )

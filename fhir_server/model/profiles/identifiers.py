"""Identifier slices shared by several profiles: cédula, passport, RUC."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fhir_server.errors import Issue
from fhir_server.model import canonical as c
from fhir_server.model.profiles.cedula import CEDULA_FHIRPATH, cedula_problem
from fhir_server.model.profiles.definition import El, Invariant, Slicing, problem
from fhir_server.model.profiles.paths import values
from fhir_server.model.profiles.port import ValidationPort

# Ecuador's tax id (Registro Único de Contribuyentes); no clinic constant exists for it yet.
RUC_SYSTEM = c.identifier_system("ec-ruc")
_RUC = re.compile(r"[0-9]{13}")


def by_system(root: str) -> El:
    """Identifier slicing by system."""
    return El(
        f"{root}.identifier",
        slicing=Slicing((("value", "system"),), description="Por sistema de identificación / by identifier system"),
    )


def cedula_slice(root: str, minimum: int) -> tuple[El, ...]:
    """The cédula identifier: official, v2-0203#NI, the clinic's cédula system, a valid number."""
    base = f"{root}.identifier:cedula"
    return (
        El(
            base,
            min=minimum,
            max="1",
            short="Cédula de identidad ecuatoriana",
            definition="Número de cédula del Registro Civil (10 dígitos, dígito verificador módulo 10).",
            must_support=True,
        ),
        El(f"{base}.use", fixed="official"),
        El(f"{base}.type", min=1, pattern={"coding": [{"system": c.V2_0203, "code": "NI"}]}),
        El(f"{base}.system", min=1, fixed=c.CEDULA_SYSTEM),
        El(f"{base}.value", min=1),
    )


def passport_slice(root: str) -> tuple[El, ...]:
    base = f"{root}.identifier:pasaporte"
    return (
        El(base, short="Pasaporte (extranjeros o cédula no disponible)", must_support=True),
        El(f"{base}.type", min=1, pattern={"coding": [{"system": c.V2_0203, "code": "PPN"}]}),
        El(f"{base}.system", min=1, fixed=c.PASSPORT_SYSTEM),
        El(f"{base}.value", min=1),
    )


def _identifiers(resource: dict[str, Any], system: str) -> Iterator[tuple[dict[str, Any], str]]:
    root = str(resource.get("resourceType"))
    for identifier, expr in values(resource, root, "identifier"):
        if isinstance(identifier, dict) and identifier.get("system") == system:
            yield identifier, expr


def _check_cedula(resource: dict[str, Any], _port: ValidationPort) -> list[Issue]:
    found = []
    for identifier, expr in _identifiers(resource, c.CEDULA_SYSTEM):
        value = identifier.get("value")
        message = cedula_problem(value) if value is not None else None
        if message:
            found.append(problem(message, f"{expr}.value", code="value", value=value))
    return found


def cedula_invariant(root: str, key: str) -> Invariant:
    return Invariant(
        key,
        "error",
        "La cédula tiene 10 dígitos: provincia 01–24 o 30, tercer dígito menor que 6 y dígito verificador "
        "módulo 10 (coeficientes 2,1,2,1,2,1,2,1,2).",
        "The cédula has 10 digits: province 01–24 or 30, third digit below 6 and a modulus-10 check digit "
        "(coefficients 2,1,2,1,2,1,2,1,2).",
        CEDULA_FHIRPATH,
        _check_cedula,
        f"{root}.identifier:cedula.value",
    )


def _check_ruc(resource: dict[str, Any], _port: ValidationPort) -> list[Issue]:
    return [
        problem("prof-ruc", f"{expr}.value", code="value", value=identifier.get("value"))
        for identifier, expr in _identifiers(resource, RUC_SYSTEM)
        if not isinstance(identifier.get("value"), str) or not _RUC.fullmatch(identifier["value"])
    ]


def ruc_slice(root: str, key: str) -> tuple[tuple[El, ...], Invariant]:
    base = f"{root}.identifier:ruc"
    elements = (
        El(base, max="1", short="RUC (Registro Único de Contribuyentes)", must_support=True),
        El(f"{base}.system", min=1, fixed=RUC_SYSTEM),
        El(f"{base}.value", min=1),
    )
    invariant = Invariant(
        key,
        "error",
        "El RUC tiene 13 dígitos.",
        "The RUC has 13 digits.",
        "matches('^[0-9]{13}$')",
        _check_ruc,
        f"{base}.value",
    )
    return elements, invariant

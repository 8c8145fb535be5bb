"""The Ecuadorian cédula de identidad rule (10 digits, province prefix, módulo-10 check digit).

Registro Civil numbers: digits 1–2 are the province (01–24, or 30 for Ecuadorians registered
abroad), digit 3 is below 6 for natural persons, and digit 10 is the módulo-10 check over digits
1–9 with coefficients 2,1,2,1,2,1,2,1,2 (products above 9 minus 9; check = (10 − sum mod 10) mod 10).
"""

from __future__ import annotations

import re

_TEN_DIGITS = re.compile(r"[0-9]{10}")
_COEFFICIENTS = (2, 1, 2, 1, 2, 1, 2, 1, 2)
PROVINCES = frozenset({f"{n:02d}" for n in range(1, 25)} | {"30"})


def check_digit(first_nine: str) -> int:
    """The módulo-10 check digit of the first nine digits of a cédula."""
    total = 0
    for digit, coefficient in zip(first_nine, _COEFFICIENTS, strict=True):
        product = int(digit) * coefficient
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10


def cedula_problem(value: object) -> str | None:
    """The message id of what is wrong with a cédula number, or None when it is valid.

    Messages take ``element`` (where the number is) and ``value`` (the number) as parameters.
    """
    if not isinstance(value, str) or _TEN_DIGITS.fullmatch(value) is None:
        return "cedula-format"
    if value[:2] not in PROVINCES:
        return "cedula-province"
    if int(value[2]) >= 6:
        return "cedula-third-digit"
    if check_digit(value[:9]) != int(value[9]):
        return "cedula-check-digit"
    return None


def _fhirpath_check_digit() -> str:
    terms = []
    for index, coefficient in enumerate(_COEFFICIENTS):
        digit = f"substring({index}, 1).toInteger()"
        if coefficient == 1:
            terms.append(digit)
        else:
            terms.append(f"iif({digit} * 2 > 9, {digit} * 2 - 9, {digit} * 2)")
    return f"((10 - (({' + '.join(terms)}) mod 10)) mod 10) = substring(9, 1).toInteger()"


CEDULA_FHIRPATH = "matches('^(0[1-9]|1[0-9]|2[0-4]|30)[0-5][0-9]{7}$') and " + _fhirpath_check_digit()
"""The same rule as a FHIRPath expression on the identifier value (for the StructureDefinition)."""

"""The cédula rule and the BMI formula: pure functions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fhir_server.model.profiles import bmi, cedula_problem


@pytest.mark.parametrize("value", ["1710034065", "0926687856", "3050000003"])
def test_valid_cedulas(value):
    assert cedula_problem(value) is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("1710034064", "cedula-check-digit"),  # wrong check digit
        ("2510034065", "cedula-province"),  # province 25 does not exist
        ("0010034065", "cedula-province"),
        ("3110034065", "cedula-province"),
        ("1760034065", "cedula-third-digit"),  # 6 and above are companies and public bodies
        ("171003406", "cedula-format"),
        ("17100340655", "cedula-format"),
        ("17100340a5", "cedula-format"),
        ("", "cedula-format"),
        (1710034065, "cedula-format"),
    ],
)
def test_invalid_cedulas(value, problem):
    assert cedula_problem(value) == problem


def test_check_digit_when_sum_is_a_multiple_of_ten():
    # 1 9 0 0 0 0 0 0 0: 2 + 9 = 11 → check (10 - 1) % 10 = 9; 1 8 0 ...: 2 + 8 = 10 → check 0
    assert cedula_problem("1800000000") is None
    assert cedula_problem("1800000001") == "cedula-check-digit"


def test_bmi_formula():
    assert bmi(Decimal(70), Decimal(170)) == Decimal("24.22")
    assert bmi(Decimal("22.125"), Decimal(100)) == Decimal("22.13")  # half up, not half even
    assert bmi(Decimal("62.5"), Decimal("158.0")) == Decimal("25.04")
    assert str(bmi(Decimal(81), Decimal(180))) == "25.00"

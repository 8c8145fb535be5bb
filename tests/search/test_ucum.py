"""Tests for the UCUM canonicaliser used by quantity search (pure functions, no database)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fhir_server.search.ucum import UCUM_SYSTEM, canonical, canonical_unit


def _same(left: tuple[str, str], right: tuple[str, str]) -> None:
    """Both (value, code) pairs canonicalise to the same value and unit."""
    first = canonical(Decimal(left[0]), left[1])
    second = canonical(Decimal(right[0]), right[1])
    assert first is not None
    assert second is not None
    assert first == second


def test_system_uri() -> None:
    assert UCUM_SYSTEM == "http://unitsofmeasure.org"


@pytest.mark.parametrize(
    ("left", "right"),
    [
        pytest.param(("1500", "g"), ("1.5", "kg"), id="mass"),
        pytest.param(("100", "mg/dL"), ("1", "g/L"), id="mg/dL-g/L"),
        pytest.param(("1", "mmol/L"), ("1", "mol/m3"), id="mmol/L-mol/m3"),
        pytest.param(("1", "meq/L"), ("1", "mmol/L"), id="eq-is-mol"),
        pytest.param(("72", "/min"), ("72", "{beats}/min"), id="per-min-annotated"),
        pytest.param(("72", "/min"), ("72", "1/min"), id="per-min-factor"),
        pytest.param(("60", "/min"), ("1", "Hz"), id="per-min-hertz"),
        pytest.param(("1", "mm[Hg]"), ("0.133322387415", "kPa"), id="mmHg-kPa"),
        pytest.param(("1", "cm[H2O]"), ("98.0665", "Pa"), id="cmH2O-Pa"),
        pytest.param(("1", "bar"), ("100", "kPa"), id="bar-kPa"),
        pytest.param(("1", "[in_i]"), ("2.54", "cm"), id="inch-cm"),
        pytest.param(("1", "[ft_i]"), ("30.48", "cm"), id="foot-cm"),
        pytest.param(("1", "[lb_av]"), ("453.59237", "g"), id="pound-g"),
        pytest.param(("16", "[oz_av]"), ("1", "[lb_av]"), id="ounce-pound"),
        pytest.param(("36.6", "Cel"), ("309.75", "K"), id="celsius-kelvin"),
        pytest.param(("98.6", "[degF]"), ("310.15", "K"), id="fahrenheit-kelvin"),
        pytest.param(("37", "Cel"), ("98.6", "[degF]"), id="celsius-fahrenheit"),
        pytest.param(("1", "L"), ("1", "dm3"), id="litre-dm3"),
        pytest.param(("1", "l"), ("1000", "mL"), id="lowercase-litre"),
        pytest.param(("1", "h"), ("60", "min"), id="hour-min"),
        pytest.param(("1", "wk"), ("7", "d"), id="week-day"),
        pytest.param(("12", "mo"), ("1", "a"), id="month-year"),
        pytest.param(("1", "10*3"), ("1000", "1"), id="power-of-ten"),
        pytest.param(("1", "10*-3"), ("1", "10^-3"), id="power-of-ten-caret"),
        pytest.param(("5", "10*9/L"), ("5", "10*12/m3"), id="cells-per-litre"),
        pytest.param(("5", "10*9/L"), ("5000", "/uL"), id="per-microlitre"),
        pytest.param(("90", "mL/min/{1.73_m2}"), ("5.4", "L/h"), id="egfr"),
        pytest.param(("1", "mg/(kg.d)"), ("1", "mg/kg/d"), id="parentheses"),
        pytest.param(("1", "kat"), ("1", "mol/s"), id="katal"),
        pytest.param(("1", "[IU]/mL"), ("1000", "[iU]/L"), id="international-units"),
        pytest.param(("1", "g%"), ("1", "g/dL"), id="gram-percent"),
    ],
)
def test_equivalent_quantities(left: tuple[str, str], right: tuple[str, str]) -> None:
    _same(left, right)


@pytest.mark.parametrize(
    ("value", "code", "expected"),
    [
        ("1500", "g", ("1500", "g")),
        ("1.5", "kg", ("1500", "g")),
        ("70", "kg/m2", ("70000", "g.m-2")),
        ("1", "mm[Hg]", ("133322.387415", "g.m-1.s-2")),
        ("36.6", "Cel", ("309.75", "K")),
        ("98.6", "[degF]", ("310.15", "K")),
        ("-40", "[degF]", ("233.15", "K")),
        ("50", "%", ("0.5", "1")),
        ("4", "{cells}", ("4", "1")),
        ("5", "10*9/L", ("5000000000000", "m-3")),
        ("2", "mmol/L", ("2", "mol.m-3")),
        ("60", "mL/min/{1.73_m2}", ("0.000001", "m3.s-1")),
        ("3", "U/L", ("3000", "U.m-3")),
    ],
)
def test_canonical_values(value: str, code: str, expected: tuple[str, str]) -> None:
    assert canonical(Decimal(value), code) == (Decimal(expected[0]), expected[1])


def test_decimal_precision_is_kept() -> None:
    result = canonical(Decimal("0.1"), "mg")
    assert result is not None
    assert str(result[0]) == "0.0001"


@pytest.mark.parametrize(
    ("codes", "unit"),
    [
        (["g", "kg", "mg", "ug", "[lb_av]", "[oz_av]", "t"], "g"),
        (["Pa", "kPa", "mm[Hg]", "cm[H2O]", "bar"], "g.m-1.s-2"),
        (["kg/m2", "g/m2", "g.m-2"], "g.m-2"),
        (["mmol/L", "umol/L", "mol/m3", "meq/L", "mosm/L"], "mol.m-3"),
        (["/min", "{beats}/min", "1/min", "Hz", "s-1"], "s-1"),
        (["Cel", "[degF]", "K"], "K"),
        (["m", "cm", "[in_i]", "[ft_i]"], "m"),
        (["1", "%", "10*3", "{cells}", "[ppm]"], "1"),
        (["L", "mL", "dm3", "cm3"], "m3"),
    ],
)
def test_same_dimension_same_unit_string(codes: list[str], unit: str) -> None:
    assert {canonical_unit(code) for code in codes} == {unit}


def test_different_dimensions_different_unit_strings() -> None:
    codes = ["g", "m", "s", "K", "mol", "cd", "A", "U", "[iU]", "g/L", "mmol/L", "/min", "kg/m2", "Pa", "1"]
    units = [canonical_unit(code) for code in codes]
    assert None not in units
    assert len(set(units)) == len(codes)


@pytest.mark.parametrize("code", ["g.m-1.s-2", "g.m-2", "mol.m-3", "m3.s-1", "[iU].m-3", "U.m-3", "K", "1"])
def test_canonical_unit_string_is_itself_canonical(code: str) -> None:
    assert canonical(Decimal(1), code) == (Decimal(1), code)


def test_enzyme_and_international_units_keep_their_own_dimensions() -> None:
    assert len({canonical_unit("U"), canonical_unit("[iU]"), canonical_unit("umol/min")}) == 3


def test_prefix_does_not_shadow_exact_atoms() -> None:
    assert canonical_unit("cd") == "cd"  # candela, not centi-day
    assert canonical(Decimal(1), "Pa") == (Decimal(1000), "g.m-1.s-2")  # pascal, not peta-year
    assert canonical(Decimal(1), "dam") == (Decimal(10), "m")  # deka-metre


@pytest.mark.parametrize(
    "code",
    [
        "",
        "kg//m",
        "xyz",
        "Cel/min",
        "m^2",
        "/Cel",
        "mCel",
        "Cel2",
        "kg/",
        "/",
        ".m",
        "(kg",
        "kg)",
        "()",
        "{beats",
        "m}",
        "[in_i",
        "0",
        "m999",
        "{a}m",
        " kg",
        "Kg",
        "dmin",
        "m" * 300,
    ],
)
def test_malformed_or_unknown_codes(code: str) -> None:
    assert canonical(Decimal(1), code) is None
    assert canonical_unit(code) is None


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_non_finite_values(value: str) -> None:
    assert canonical(Decimal(value), "g") is None


@given(
    st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=6, allow_nan=False, allow_infinity=False)
)
def test_gram_kilogram_property(value: Decimal) -> None:
    assert canonical(value * 1000, "g") == canonical(value, "kg")

"""The JSON codec keeps FHIR decimals exact and stays on orjson's fast path otherwise."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fhir_server.model.json import JsonError, dumps, loads


@pytest.mark.parametrize("text", ["1.50", "0.000120", "12345678901234567890", "3.14159265358979323846", "-0.0", "100"])
def test_numbers_round_trip_as_written(text):
    assert dumps(loads(f'{{"v":{text}}}')) == f'{{"v":{text}}}'.encode()


def test_exponent_keeps_value_and_precision():
    value = loads('{"v":1e2}')["v"]
    assert value == Decimal("1e2") and str(value) == "1E+2"


@pytest.mark.parametrize("text", ["1.5", "70.0", "0.0", "-3.0", "1234567890123.0"])
def test_fast_path_returns_floats_when_nothing_would_change(text):
    value = loads(f'{{"v":{text}}}')["v"]
    assert isinstance(value, float) and dumps({"v": value}) == f'{{"v":{text}}}'.encode()


def test_times_inside_strings_do_not_force_the_exact_path():
    assert loads('{"t":"10:00:00.000Z","v":2.5}') == {"t": "10:00:00.000Z", "v": 2.5}


@pytest.mark.parametrize("text", ['{"a":NaN}', '{"a":Infinity}', '{"a":', "\xff"])
def test_invalid_json_raises(text):
    with pytest.raises(JsonError):
        loads(text.encode("latin-1"))


@given(
    st.lists(
        st.from_regex(r"-?(0|[1-9][0-9]{0,20})(\.[0-9]{1,12})?", fullmatch=True),
        min_size=1,
        max_size=5,
    )
)
def test_any_decimal_text_survives(numbers):
    assume("-0" not in numbers)  # the integer -0 is 0: same value, no precision to keep
    text = "[" + ",".join(numbers) + "]"
    assert dumps(loads(text)) == text.encode()


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=20,
    )
)
def test_structures_round_trip(value):
    assert json.loads(dumps(value)) == value

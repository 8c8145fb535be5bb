"""The walker's fast paths (well-formed values of their exact JSON type) decide as the general path does."""

from __future__ import annotations

from typing import Any

import pytest

from fhir_server.model import elements
from fhir_server.model.json import BigInt
from fhir_server.model.structure import structure_issues


class _Text(str):
    """A str subclass, as Python callers may pass: it must be judged like a plain string."""


def _found(resource: dict[str, Any]) -> list[tuple[str, str, tuple[str, ...], dict[str, Any]]]:
    return [(i.code, i.message, i.expression, dict(i.params)) for i in structure_issues(resource)]


def test_values_not_of_the_exact_json_type_take_the_general_path() -> None:
    assert _found({"resourceType": "Patient", "active": True}) == []
    assert _found({"resourceType": "Patient", "active": 1})[0][1] == "json-type"
    assert _found({"resourceType": "Patient", "gender": _Text("H")}) == _found(
        {"resourceType": "Patient", "gender": "H"}
    )
    assert _found({"resourceType": "Patient", "gender": _Text("male")}) == []
    big = {"resourceType": "Patient", "multipleBirthInteger": BigInt(2**70)}
    assert _found(big) == _found({"resourceType": "Patient", "multipleBirthInteger": 2**70}) != []


def test_resource_type_is_skipped_only_on_resources() -> None:
    assert _found({"resourceType": "Patient", "name": [{"family": "x", "resourceType": "Patient"}]}) == [
        ("structure", "element-unknown", ("Patient.name[0].resourceType",), {"element": "Patient.name[0].resourceType"})
    ]


def test_remembered_verdicts_do_not_depend_on_history(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(elements, "_REMEMBERED", 2)
    bad = {"resourceType": "Patient", "birthDate": "2020-02-30"}
    first = _found(bad)
    assert first and first[0][1] == "element-invalid"
    for day in range(1, 10):  # more values than are remembered
        assert _found({"resourceType": "Patient", "birthDate": f"2020-01-0{day}"}) == []
        assert _found(bad) == first

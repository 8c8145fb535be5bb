"""Parameters that are exactly the union of others (Observation's combo-*) store no rows of their own and
are searched through their members' rows: same answers for values, :missing, :not, sort and composites."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from fhir_server.model.r4_types import SERVED_TYPES
from fhir_server.search.registry import expression_for, r4_registry, split_union
from fhir_server.storage.indexing import index_rows
from tests.fhir_helpers import FHIR_JSON

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
EXPECTED = {
    "combo-code": ("code", "component-code"),
    "combo-data-absent-reason": ("component-data-absent-reason", "data-absent-reason"),
    "combo-value-concept": ("component-value-concept", "value-concept"),
    "combo-value-quantity": ("component-value-quantity", "value-quantity"),
    "combo-code-value-concept": ("code-value-concept", "component-code-value-concept"),
    "combo-code-value-quantity": ("code-value-quantity", "component-code-value-quantity"),
}


def _spec_parts(r4_spec: Any) -> dict[str, frozenset[str]]:
    """Observation's parameters in R4's own definitions: code -> the alternatives of its expression."""
    bundle = json.loads((r4_spec / "search-parameters.json").read_text())
    found = {}
    for entry in bundle["entry"]:
        definition = entry["resource"]
        expression = expression_for(definition.get("expression"), "Observation")
        if "Observation" in definition.get("base", []) and expression:
            found[definition["code"]] = frozenset(split_union(expression))
    return found


def test_the_unions_are_observations_combo_parameters_and_match_the_specification(r4_spec):
    registry = r4_registry()
    united = {
        (type_name, param.code): param.united
        for type_name in SERVED_TYPES
        for param in registry.for_type(type_name).values()
        if param.united
    }
    assert united == {("Observation", code): members for code, members in EXPECTED.items()}
    spec = _spec_parts(r4_spec)
    for code, members in EXPECTED.items():
        # In R4's own definitions the union's alternatives are exactly its members' alternatives.
        assert spec[code] == frozenset().union(*(spec[m] for m in members)), code


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def _blood_pressure(res_id: str, systolic: float, diastolic: float) -> dict[str, Any]:
    def component(code: str, value: float) -> dict[str, Any]:
        return {"code": {"coding": [{"system": LOINC, "code": code}]}, "valueQuantity": _quantity(value, "mm[Hg]")}

    return {
        "resourceType": "Observation",
        "id": res_id,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "85354-9"}]},
        "component": [component("8480-6", systolic), component("8462-4", diastolic)],
    }


def _weight(res_id: str, kilograms: float) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": res_id,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "29463-7"}]},
        "valueQuantity": _quantity(kilograms, "kg"),
    }


def _ids(client: TestClient, query: str) -> list[str]:
    answer = client.get(f"/fhir/Observation?{query}", headers={"Prefer": "handling=strict"})
    assert answer.status_code == 200, answer.text
    return [entry["resource"]["id"] for entry in answer.json().get("entry", [])]


def test_no_rows_are_stored_for_a_union(storage):
    rows = index_rows(_blood_pressure("bp", 150, 95), storage.context)
    params = {row["param"] for kind in rows.values() for row in kind}
    assert {"code", "component-code", "component-value-quantity", "component-code-value-quantity"} <= params
    assert not {p for p in params if p.startswith("combo-")}


def test_searches_on_a_union_answer_as_its_definition_says(client):
    for body in (_blood_pressure("bp-high", 150, 95), _blood_pressure("bp-normal", 118, 76), _weight("kg", 70)):
        assert client.put(f"/fhir/Observation/{body['id']}", json=body, headers=FHIR_JSON).status_code == 201
    assert sorted(_ids(client, "combo-code=85354-9")) == ["bp-high", "bp-normal"]  # the Observation's code
    assert sorted(_ids(client, "combo-code=http://loinc.org|8480-6")) == ["bp-high", "bp-normal"]  # a component's
    assert sorted(_ids(client, "combo-code=29463-7,8462-4")) == ["bp-high", "bp-normal", "kg"]
    assert sorted(_ids(client, "combo-code:not=8480-6")) == ["kg"]
    assert sorted(_ids(client, "combo-code:missing=false")) == ["bp-high", "bp-normal", "kg"]
    assert _ids(client, "combo-code:missing=true") == []
    assert sorted(_ids(client, "combo-value-quantity=gt100")) == ["bp-high", "bp-normal"]  # components only
    assert _ids(client, "combo-value-quantity=70||kg") == ["kg"]  # the Observation's own value
    assert _ids(client, "combo-code-value-quantity=8480-6$gt140") == ["bp-high"]
    assert _ids(client, "combo-code-value-quantity=29463-7$lt80") == ["kg"]
    assert _ids(client, "combo-code-value-quantity=29463-7$gt140") == []
    # Sorted by the smallest code of either member: 29463-7 (kg) < 8462-4 (both pressures); pk breaks the tie.
    assert _ids(client, "_sort=combo-code") == ["kg", "bp-high", "bp-normal"]
    assert _ids(client, "_sort=-combo-value-quantity") == ["bp-high", "bp-normal", "kg"]
    count = client.get("/fhir/Observation", params={"combo-code": "8480-6", "_summary": "count"}).json()
    assert count["total"] == 2

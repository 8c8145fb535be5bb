"""Token :in, :not-in, :below and :above answered by the terminology, and scenario S2 steps 2-3 over HTTP."""

from __future__ import annotations

import json

import pytest

from fhir_server.model.canonical import CS_DPA, ICD10, VS_CIE10_DIAGNOSIS, VS_DPA_PARROQUIAS
from tests.api.search_helpers import idset, put
from tests.conftest import IN_CI
from tests.fhir_helpers import FHIR_JSON
from tests.terminology.helpers import DPA_CSV
from tests.terminology.loading import load_clinic_terminology


def _condition(res_id: str, code: str) -> dict[str, object]:
    return {
        "resourceType": "Condition",
        "id": res_id,
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": ICD10, "code": code}]},
    }


@pytest.fixture
def conditions(client):
    for res_id, code in (
        ("c-j06", "J06"),
        ("c-j060", "J06.0"),
        ("c-j069", "J06.9"),
        ("c-j029", "J02.9"),
        ("c-i10", "I10"),
        ("c-block", "J00-J06"),
    ):
        put(client, _condition(res_id, code))
    return client


def test_below_and_above_use_the_hierarchy(conditions, storage):
    load_clinic_terminology(storage, dpa=False)
    client = conditions
    assert idset(client, "/fhir/Condition", **{"code:below": f"{ICD10}|J06"}) == {"c-j06", "c-j060", "c-j069"}
    # A block is no prefix of its codes: only the hierarchy finds them.
    assert idset(client, "/fhir/Condition", **{"code:below": f"{ICD10}|J00-J06"}) == {
        "c-block",
        "c-j06",
        "c-j060",
        "c-j069",
        "c-j029",
    }
    assert idset(client, "/fhir/Condition", **{"code:above": f"{ICD10}|J06.9"}) == {"c-j06", "c-j069", "c-block"}
    assert idset(client, "/fhir/Condition", **{"code:below": f"{ICD10}|Z99"}) == set()
    no_hierarchy = client.get(
        "/fhir/Condition", params={"code:below": "http://hl7.org/fhir/administrative-gender|male"}
    )
    assert no_hierarchy.status_code == 400 and no_hierarchy.json()["issue"][0]["code"] == "not-supported"
    unknown_system = client.get("/fhir/Condition", params={"code:below": "http://example.org/none|a"})
    assert unknown_system.status_code == 400


def test_below_without_terminology_keeps_the_prefix_rule(conditions):
    assert idset(conditions, "/fhir/Condition", **{"code:below": f"{ICD10}|J06"}) == {"c-j06", "c-j060", "c-j069"}


def test_in_and_not_in(conditions, storage):
    load_clinic_terminology(storage, dpa=False)
    client = conditions
    assert idset(client, "/fhir/Condition", **{"code:in": VS_CIE10_DIAGNOSIS}) == {
        "c-j060",
        "c-j069",
        "c-j029",
        "c-i10",
    }
    assert idset(client, "/fhir/Condition", **{"code:not-in": VS_CIE10_DIAGNOSIS}) == {"c-j06", "c-block"}
    put(client, {"resourceType": "Patient", "id": "pf", "gender": "female"})
    assert idset(client, "/fhir/Patient", **{"gender:in": "http://hl7.org/fhir/ValueSet/administrative-gender"}) == {
        "pf"
    }
    unknown = client.get("/fhir/Condition", params={"code:in": "https://example.org/ValueSet/nada"})
    assert unknown.status_code == 400


@pytest.fixture
def clinic(client, storage):
    if not DPA_CSV.exists():
        if IN_CI:
            pytest.fail(f"the verified DPA copy is missing: {DPA_CSV}")
        pytest.skip("shared DPA data not present")
    load_clinic_terminology(storage, dpa=True)
    return client


def test_s2_step2_diagnosis_picker(clinic):
    """DOC expands cie10-activos with filter=faringitis and filter=J02: Spanish, no inactive codes, paged."""
    first = clinic.get("/fhir/ValueSet/$expand", params={"url": VS_CIE10_DIAGNOSIS, "filter": "faringitis", "count": 2})
    assert first.status_code == 200, first.text
    page = first.json()["expansion"]
    assert page["total"] == 3 and len(page["contains"]) == 2
    assert all("prueba" in c["display"] for c in page["contains"])  # the Spanish displays
    rest = clinic.get(
        "/fhir/ValueSet/$expand", params={"url": VS_CIE10_DIAGNOSIS, "filter": "faringitis", "count": 2, "offset": 2}
    )
    codes = [c["code"] for c in page["contains"] + rest.json()["expansion"]["contains"]]
    assert codes == ["J02.0", "J02.8", "J02.9"] and "J02.7" not in codes  # J02.7 is inactive
    by_code = clinic.get(
        "/fhir/ValueSet/$expand", params={"url": VS_CIE10_DIAGNOSIS, "filter": "J02", "count": 10}
    ).json()
    assert [c["code"] for c in by_code["expansion"]["contains"]] == ["J02.0", "J02.8", "J02.9"]
    assert by_code["expansion"]["contains"][0]["display"] == "Faringitis por estreptococo, prueba"


def test_s2_step3_geography_pickers(clinic):
    """$lookup of a cantón gives its provincia; the parroquias of that cantón, and only them."""
    lookup = clinic.get("/fhir/CodeSystem/$lookup", params={"system": CS_DPA, "code": "0101"}).json()
    parents = [
        p["part"] for p in lookup["parameter"] if p["name"] == "property" and p["part"][0]["valueCode"] == "parent"
    ]
    assert [(parts[1]["valueCode"], parts[2]["valueString"]) for parts in parents] == [("01", "AZUAY")]
    nivel = [
        p["part"][1]["valueCode"]
        for p in lookup["parameter"]
        if p["name"] == "property" and p["part"][0]["valueCode"] == "nivel"
    ]
    assert nivel == ["canton"]
    expansion = clinic.get(
        "/fhir/ValueSet/$expand", params={"url": VS_DPA_PARROQUIAS, "parent": "0101", "count": 100}
    ).json()["expansion"]
    codes = [c["code"] for c in expansion["contains"]]
    assert expansion["total"] == len(codes) == 37  # 010150 CUENCA, 15 urban and 21 rural parroquias
    assert all(code.startswith("0101") and len(code) == 6 for code in codes)
    assert {"010150", "010101"} <= set(codes)
    picker = {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "valueSet",
                "resource": {
                    "resourceType": "ValueSet",
                    "status": "active",
                    "compose": {
                        "include": [{"system": CS_DPA, "filter": [{"property": "parent", "op": "=", "value": "0101"}]}]
                    },
                },
            },
            {"name": "filter", "valueString": "bella"},
        ],
    }
    posted = clinic.post("/fhir/ValueSet/$expand", content=json.dumps(picker), headers=FHIR_JSON)
    assert [(c["code"], c["display"]) for c in posted.json()["expansion"]["contains"]] == [("010101", "BELLAVISTA")]
    valid = clinic.get(
        "/fhir/ValueSet/$validate-code", params={"url": VS_DPA_PARROQUIAS, "system": CS_DPA, "code": "170150"}
    )
    assert valid.json()["parameter"][0]["valueBoolean"] is True

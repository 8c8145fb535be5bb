"""Terminology operations over HTTP on both engines: $lookup, $expand, $validate-code, $subsumes."""

from __future__ import annotations

import json

import pytest

from fhir_server.model.canonical import ICD10, VS_CIE10_ALL, VS_CIE10_DIAGNOSIS
from tests.fhir_helpers import FHIR_JSON
from tests.terminology.loading import load_clinic_terminology, put_all

EN = {"Accept-Language": "en"}


@pytest.fixture
def tx(client, storage):
    load_clinic_terminology(storage, dpa=False)
    return client


def _param(body, name):
    return next((p for p in body["parameter"] if p["name"] == name), None)


def _post(client, path, *parameters):
    body = {"resourceType": "Parameters", "parameter": list(parameters)}
    return client.post(path, content=json.dumps(body), headers=FHIR_JSON)


def test_lookup_languages_and_hierarchy(tx):
    response = tx.get("/fhir/CodeSystem/$lookup", params={"system": ICD10, "code": "J06"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["resourceType"] == "Parameters"
    assert _param(body, "display")["valueString"] == "Infecciones agudas de vías respiratorias altas, prueba"
    props = {
        (p["part"][0]["valueCode"], p["part"][1].get("valueCode")) for p in body["parameter"] if p["name"] == "property"
    }
    assert ("parent", "J00-J06") in props and ("child", "J06.9") in props
    english = tx.get("/fhir/CodeSystem/$lookup", params={"system": ICD10, "code": "J06"}, headers=EN).json()
    assert _param(english, "display")["valueString"] == "Test acute upper respiratory infections"
    forced = tx.get(
        "/fhir/CodeSystem/$lookup", params={"system": ICD10, "code": "J06", "displayLanguage": "es"}, headers=EN
    )
    assert _param(forced.json(), "display")["valueString"].startswith("Infecciones agudas")
    only_parent = tx.get(
        "/fhir/CodeSystem/$lookup", params={"system": ICD10, "code": "J06.9", "property": "parent"}
    ).json()
    assert [p["part"][0]["valueCode"] for p in only_parent["parameter"] if p["name"] == "property"] == ["parent"]


def test_lookup_instance_post_and_errors(tx):
    instance = tx.get("/fhir/CodeSystem/cie10/$lookup", params={"code": "R51"})
    assert _param(instance.json(), "display")["valueString"] == "Cefalea de prueba"
    posted = _post(tx, "/fhir/CodeSystem/$lookup", {"name": "coding", "valueCoding": {"system": ICD10, "code": "I10"}})
    assert (
        posted.status_code == 200
        and _param(posted.json(), "display")["valueString"] == "Hipertensión esencial de prueba"
    )
    unknown = tx.get("/fhir/CodeSystem/$lookup", params={"system": ICD10, "code": "Z99.9"}, headers=EN)
    assert unknown.status_code == 404
    assert "Z99.9 does not exist" in unknown.json()["issue"][0]["details"]["text"]
    spanish = tx.get("/fhir/CodeSystem/$lookup", params={"system": ICD10, "code": "Z99.9"})
    assert "no existe" in spanish.json()["issue"][0]["details"]["text"]
    assert tx.get("/fhir/CodeSystem/$lookup", params={"system": "http://example.org/x", "code": "a"}).status_code == 404
    assert tx.get("/fhir/CodeSystem/$lookup", params={"system": ICD10}).status_code == 400
    assert tx.get("/fhir/CodeSystem/nope/$lookup", params={"code": "a"}).status_code == 404


def test_expand_filter_paging_and_languages(tx):
    params = {"url": VS_CIE10_DIAGNOSIS, "filter": "faringitis", "count": 2}
    first = tx.get("/fhir/ValueSet/$expand", params=params)
    assert first.status_code == 200, first.text
    expansion = first.json()["expansion"]
    assert expansion["total"] == 3 and expansion["offset"] == 0
    assert [(c["code"], c["display"]) for c in expansion["contains"]] == [
        ("J02.0", "Faringitis por estreptococo, prueba"),
        ("J02.8", "Faringitis aguda por otros gérmenes, prueba"),
    ]
    second = tx.get("/fhir/ValueSet/$expand", params={**params, "offset": 2}, headers=EN).json()["expansion"]
    assert second["offset"] == 2 and [(c["code"], c["display"]) for c in second["contains"]] == [
        ("J02.9", "Test acute pharyngitis, unspecified")
    ]
    names = {p["name"] for p in second["parameter"]}
    assert {"filter", "count", "offset", "displayLanguage"} <= names
    by_code = tx.get("/fhir/ValueSet/$expand", params={"url": VS_CIE10_DIAGNOSIS, "filter": "j06"}).json()["expansion"]
    assert [c["code"] for c in by_code["contains"]] == ["J06.0", "J06.8", "J06.9"]
    accents = tx.get("/fhir/ValueSet/$expand", params={"url": VS_CIE10_DIAGNOSIS, "filter": "INFECCIÓN AGUDA VÍAS sin"})
    assert [c["code"] for c in accents.json()["expansion"]["contains"]] == ["J06.9"]
    english = tx.get(
        "/fhir/ValueSet/$expand", params={"url": VS_CIE10_DIAGNOSIS, "filter": "headache", "displayLanguage": "en"}
    )
    assert english.json()["expansion"]["contains"] == [
        {"system": ICD10, "version": "sintetico-1", "code": "R51", "display": "Test headache"}
    ]


def test_expand_instance_inline_and_flags(tx):
    instance = tx.get("/fhir/ValueSet/cie10/$expand", params={"filter": "faringitis", "activeOnly": "true"}).json()
    assert "J02.7" not in {c["code"] for c in instance["expansion"]["contains"]}
    everything = tx.get("/fhir/ValueSet/cie10/$expand", params={"filter": "faringitis"}).json()["expansion"]["contains"]
    assert next(c for c in everything if c["code"] == "J02.7")["inactive"] is True
    assert next(c for c in everything if c["code"] == "J02")
    inline = {
        "resourceType": "ValueSet",
        "status": "active",
        "compose": {
            "include": [{"system": ICD10, "filter": [{"property": "concept", "op": "descendent-of", "value": "J02"}]}]
        },
    }
    posted = _post(
        tx, "/fhir/ValueSet/$expand", {"name": "valueSet", "resource": inline}, {"name": "count", "valueInteger": 10}
    )
    assert posted.status_code == 200, posted.text
    assert [c["code"] for c in posted.json()["expansion"]["contains"]] == ["J02.0", "J02.7", "J02.8", "J02.9"]
    designations = tx.get(
        "/fhir/ValueSet/cie10/$expand", params={"filter": "R51", "includeDesignations": "true"}
    ).json()
    assert designations["expansion"]["contains"][0]["designation"] == [{"language": "en", "value": "Test headache"}]
    gender = tx.get(
        "/fhir/ValueSet/$expand", params={"url": "http://hl7.org/fhir/ValueSet/administrative-gender"}
    ).json()
    assert {c["code"]: c["display"] for c in gender["expansion"]["contains"]}["female"] == "Femenino"


def test_expand_errors(tx):
    too_big = tx.get("/fhir/ValueSet/$expand", params={"url": VS_CIE10_ALL}, headers=EN)
    assert too_big.status_code == 200  # the synthetic set is small: under the limit
    unknown = tx.get("/fhir/ValueSet/$expand", params={"url": "https://example.org/ValueSet/nada"}, headers=EN)
    assert unknown.status_code == 404 and "does not hold the value set" in unknown.json()["issue"][0]["details"]["text"]
    assert tx.get("/fhir/ValueSet/$expand").status_code == 400
    assert tx.get("/fhir/ValueSet/$expand", params={"url": VS_CIE10_DIAGNOSIS, "count": "x"}).status_code == 400
    assert tx.get("/fhir/ValueSet/nope/$expand").status_code == 404
    not_held = {
        "resourceType": "ValueSet",
        "status": "active",
        "compose": {"include": [{"system": "http://example.org/none"}]},
    }
    response = _post(tx, "/fhir/ValueSet/$expand", {"name": "valueSet", "resource": not_held})
    assert response.status_code == 422


def test_expand_too_costly_without_count(tx, storage):
    many = {
        "resourceType": "CodeSystem",
        "id": "grande",
        "url": "https://example.org/grande",
        "status": "active",
        "content": "complete",
        "concept": [{"code": f"c{n}", "display": f"Código {n}"} for n in range(1100)],
    }
    vs = {
        "resourceType": "ValueSet",
        "id": "grande",
        "url": "https://example.org/ValueSet/grande",
        "status": "active",
        "compose": {"include": [{"system": "https://example.org/grande"}]},
    }
    put_all(storage, [many, vs])
    response = tx.get("/fhir/ValueSet/grande/$expand", headers=EN)
    assert response.status_code == 422 and response.json()["issue"][0]["code"] == "too-costly"
    paged = tx.get("/fhir/ValueSet/grande/$expand", params={"count": 5, "offset": 1095}).json()["expansion"]
    assert paged["total"] == 1100 and [c["code"] for c in paged["contains"]] == [
        "c1095",
        "c1096",
        "c1097",
        "c1098",
        "c1099",
    ]


def test_valueset_validate_code(tx):
    good = tx.get(
        "/fhir/ValueSet/$validate-code", params={"url": VS_CIE10_DIAGNOSIS, "system": ICD10, "code": "J06.9"}
    ).json()
    assert _param(good, "result")["valueBoolean"] is True
    assert _param(good, "display")["valueString"].startswith("Infección aguda")
    wrong = tx.get(
        "/fhir/ValueSet/$validate-code",
        params={"url": VS_CIE10_DIAGNOSIS, "system": ICD10, "code": "J06.9", "display": "Gripe"},
        headers=EN,
    ).json()
    assert _param(wrong, "result")["valueBoolean"] is True and "Gripe" in _param(wrong, "message")["valueString"]
    group = tx.get("/fhir/ValueSet/cie10-activos/$validate-code", params={"system": ICD10, "code": "J06"}).json()
    assert _param(group, "result")["valueBoolean"] is False and "J06" in _param(group, "message")["valueString"]
    unknown = tx.get(
        "/fhir/ValueSet/cie10-activos/$validate-code", params={"system": ICD10, "code": "Z99.9"}, headers=EN
    ).json()
    assert (
        _param(unknown, "result")["valueBoolean"] is False
        and "does not exist" in _param(unknown, "message")["valueString"]
    )
    concept = {"coding": [{"system": ICD10, "code": "X"}, {"system": ICD10, "code": "I10"}]}
    posted = _post(
        tx,
        "/fhir/ValueSet/$validate-code",
        {"name": "url", "valueUri": VS_CIE10_DIAGNOSIS},
        {"name": "codeableConcept", "valueCodeableConcept": concept},
    )
    assert _param(posted.json(), "result")["valueBoolean"] is True
    coding = _post(
        tx,
        "/fhir/ValueSet/cie10-activos/$validate-code",
        {"name": "coding", "valueCoding": {"system": ICD10, "code": "J02.7"}},
    )
    assert _param(coding.json(), "result")["valueBoolean"] is False  # inactive: not valid for a diagnosis
    assert tx.get("/fhir/ValueSet/$validate-code", params={"url": VS_CIE10_DIAGNOSIS}).status_code == 400
    assert (
        tx.get(
            "/fhir/ValueSet/$validate-code", params={"url": "https://example.org/ValueSet/x", "code": "a"}
        ).status_code
        == 404
    )


def test_codesystem_validate_code(tx):
    good = tx.get("/fhir/CodeSystem/$validate-code", params={"url": ICD10, "code": "J00-J06"}).json()
    assert _param(good, "result")["valueBoolean"] is True
    abstract = tx.get(
        "/fhir/CodeSystem/$validate-code", params={"url": ICD10, "code": "J00-J06", "abstract": "false"}
    ).json()
    assert _param(abstract, "result")["valueBoolean"] is False
    unknown = tx.get("/fhir/CodeSystem/cie10/$validate-code", params={"code": "Q00"}).json()
    assert _param(unknown, "result")["valueBoolean"] is False
    english = tx.get("/fhir/CodeSystem/cie10/$validate-code", params={"code": "R51", "display": "Test headache"}).json()
    assert _param(english, "result")["valueBoolean"] is True and _param(english, "message") is None
    assert (
        tx.get("/fhir/CodeSystem/$validate-code", params={"url": "http://example.org/x", "code": "a"}).status_code
        == 404
    )


def test_subsumes(tx):
    def outcome(**params):
        response = tx.get("/fhir/CodeSystem/$subsumes", params={"system": ICD10, **params})
        assert response.status_code == 200, response.text
        return _param(response.json(), "outcome")["valueCode"]

    assert outcome(codeA="J00-J06", codeB="J06.9") == "subsumes"
    assert outcome(codeA="J06.9", codeB="X") == "subsumed-by"
    assert outcome(codeA="J06", codeB="J06") == "equivalent"
    assert outcome(codeA="J02", codeB="I10") == "not-subsumed"
    posted = _post(
        tx,
        "/fhir/CodeSystem/cie10/$subsumes",
        {"name": "codingA", "valueCoding": {"system": ICD10, "code": "J02"}},
        {"name": "codingB", "valueCoding": {"system": ICD10, "code": "J02.9"}},
    )
    assert _param(posted.json(), "outcome")["valueCode"] == "subsumes"
    assert (
        tx.get("/fhir/CodeSystem/$subsumes", params={"system": ICD10, "codeA": "J02", "codeB": "Z99"}).status_code
        == 400
    )
    assert (
        tx.get(
            "/fhir/CodeSystem/$subsumes", params={"system": "http://example.org/x", "codeA": "a", "codeB": "b"}
        ).status_code
        == 404
    )

"""Each search parameter type, with its modifiers and prefixes, over HTTP on both engines."""

from __future__ import annotations

import pytest

from tests.api.search_helpers import idset, put

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
CEDULA = "https://www.registrocivil.gob.ec/cedula"


@pytest.fixture
def people(client):
    put(client, {"resourceType": "Practitioner", "id": "dr1", "name": [{"family": "Andrade", "given": ["Lucía"]}]})
    put(client, {"resourceType": "Organization", "id": "org1", "name": "Clínica Central"})
    put(client, {
        "resourceType": "Patient", "id": "p1", "gender": "male", "birthDate": "1980-04-01", "active": True,
        "name": [{"family": "Núñez", "given": ["José", "María"]}],
        "identifier": [{"system": CEDULA, "value": "1710034065",
                        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "NI"}]}}],
        "telecom": [{"system": "phone", "value": "0991234567"}, {"system": "email", "value": "jose@example.ec"}],
        "address": [{"city": "Quito", "state": "Pichincha", "country": "EC"}],
        "generalPractitioner": [{"reference": "Practitioner/dr1"}],
        "managingOrganization": {"reference": "Organization/org1"},
        "meta": {"tag": [{"system": "http://example.org/tags", "code": "vip"}],
                 "profile": ["http://clinica.example.ec/fhir/StructureDefinition/ec-patient"]},
    })  # fmt: skip
    put(client, {
        "resourceType": "Patient", "id": "p2", "gender": "female", "birthDate": "1990-12-31",
        "name": [{"family": "Guamán", "given": ["Rosa"]}],
        "identifier": [{"system": "urn:oid:1.2.3", "value": "X-1"}],
    })  # fmt: skip
    put(client, {"resourceType": "Patient", "id": "p3", "name": [{"family": "Pérez", "given": ["Josefina"]}]})


def test_string_is_accent_and_case_insensitive_starts_with(client, people):
    assert idset(client, "/fhir/Patient", name="jose") == {"p1", "p3"}
    assert idset(client, "/fhir/Patient", name="NUNEZ") == {"p1"}
    assert idset(client, "/fhir/Patient", family="guam") == {"p2"}
    assert idset(client, "/fhir/Patient", name="rosa") == {"p2"}
    assert idset(client, "/fhir/Patient", **{"name:exact": "Núñez"}) == {"p1"}
    assert idset(client, "/fhir/Patient", **{"name:exact": "nunez"}) == set()
    assert idset(client, "/fhir/Patient", **{"name:contains": "man"}) == {"p2"}
    assert idset(client, "/fhir/Patient", address="pichin") == {"p1"}
    assert idset(client, "/fhir/Patient", **{"address-city": "quito"}) == {"p1"}


def test_string_or_and(client, people):
    assert idset(client, "/fhir/Patient", name="rosa,perez") == {"p2", "p3"}
    response = client.get("/fhir/Patient?name=jose&name=maria")
    assert {e["resource"]["id"] for e in response.json()["entry"]} == {"p1"}


def test_token_forms(client, people):
    assert idset(client, "/fhir/Patient", identifier=f"{CEDULA}|1710034065") == {"p1"}
    assert idset(client, "/fhir/Patient", identifier="1710034065") == {"p1"}
    assert idset(client, "/fhir/Patient", identifier=f"{CEDULA}|") == {"p1"}
    assert idset(client, "/fhir/Patient", identifier="|X-1") == set()
    assert idset(client, "/fhir/Patient", identifier="other|1710034065") == set()
    assert idset(client, "/fhir/Patient", gender="female") == {"p2"}
    assert idset(client, "/fhir/Patient", **{"gender:not": "male"}) == {"p2", "p3"}
    assert idset(client, "/fhir/Patient", active="true") == {"p1"}
    assert idset(client, "/fhir/Patient", phone="0991234567") == {"p1"}
    assert idset(client, "/fhir/Patient", email="jose@example.ec") == {"p1"}
    of_type = "http://terminology.hl7.org/CodeSystem/v2-0203|NI|1710034065"
    assert idset(client, "/fhir/Patient", **{"identifier:of-type": of_type}) == {"p1"}


def test_meta_parameters(client, people):
    assert idset(client, "/fhir/Patient", _tag="http://example.org/tags|vip") == {"p1"}
    assert idset(client, "/fhir/Patient", _profile="http://clinica.example.ec/fhir/StructureDefinition/ec-patient") == {
        "p1"
    }
    assert idset(client, "/fhir/Patient", **{"_profile:below": "http://clinica.example.ec/fhir"}) == {"p1"}
    assert idset(client, "/fhir/Patient", **{"_tag:missing": "true"}) == {"p2", "p3"}


def test_missing(client, people):
    assert idset(client, "/fhir/Patient", **{"birthdate:missing": "true"}) == {"p3"}
    assert idset(client, "/fhir/Patient", **{"birthdate:missing": "false"}) == {"p1", "p2"}
    assert client.get("/fhir/Patient", params={"birthdate:missing": "maybe"}).status_code == 400


def test_dates_at_every_precision(client, people):
    assert idset(client, "/fhir/Patient", birthdate="1980") == {"p1"}
    assert idset(client, "/fhir/Patient", birthdate="1980-04") == {"p1"}
    assert idset(client, "/fhir/Patient", birthdate="eq1980-04-01") == {"p1"}
    assert idset(client, "/fhir/Patient", birthdate="ne1980-04-01") == {"p2"}
    assert idset(client, "/fhir/Patient", birthdate="gt1985") == {"p2"}
    assert idset(client, "/fhir/Patient", birthdate="lt1985-01-01") == {"p1"}
    assert idset(client, "/fhir/Patient", birthdate="ge1990-12-31") == {"p2"}
    assert idset(client, "/fhir/Patient", birthdate="le1980-04-01") == {"p1"}
    assert idset(client, "/fhir/Patient", birthdate="sa1980-04-01") == {"p2"}
    assert idset(client, "/fhir/Patient", birthdate="eb1990") == {"p1"}
    assert client.get("/fhir/Patient", params={"birthdate": "xx1980"}).status_code == 400
    assert client.get("/fhir/Patient", params={"birthdate": "1980-13"}).status_code == 400


def test_a_late_evening_in_guayaquil_is_that_day(client, people):
    # 23:30 in Guayaquil (UTC-5) is 04:30 UTC the next day; a naive search date means clinic time.
    put(client, {"resourceType": "Encounter", "id": "e-late", "status": "finished",
                 "class": {"code": "AMB"}, "period": {"start": "2024-03-05T23:30:00-05:00", "end": "2024-03-05T23:50:00-05:00"}})  # fmt: skip
    put(client, {"resourceType": "Encounter", "id": "e-utc", "status": "finished",
                 "class": {"code": "AMB"}, "period": {"start": "2024-03-06T02:00:00Z", "end": "2024-03-06T02:30:00Z"}})  # fmt: skip
    assert idset(client, "/fhir/Encounter", date="2024-03-05") == {"e-late", "e-utc"}
    assert idset(client, "/fhir/Encounter", date="2024-03-06") == set()
    assert idset(client, "/fhir/Encounter", date="ge2024-03-05T23:00:00-05:00") == {"e-late"}
    assert idset(client, "/fhir/Encounter", date="gt2024-03-06T04:00:00Z") == {"e-late"}


@pytest.fixture
def vitals(client, people):
    def obs(oid, code, value, unit, subject="p1", when="2024-01-10T09:00:00-05:00", **more):
        put(client, {"resourceType": "Observation", "id": oid, "status": "final",
                     "code": {"coding": [{"system": LOINC, "code": code}]},
                     "subject": {"reference": f"Patient/{subject}"}, "effectiveDateTime": when,
                     "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit}, **more})  # fmt: skip

    obs("w1", "29463-7", 1500, "g", when="2024-01-10T09:00:00-05:00")
    obs("w2", "29463-7", 72.5, "kg", when="2024-02-10T09:00:00-05:00")
    obs("g1", "2339-0", 5.4, "mmol/L")
    obs("g2", "2339-0", 100, "mg/dL", subject="p2")
    obs("t1", "8310-5", 36.6, "Cel", subject="p2", when="2023-06-01")
    put(client, {"resourceType": "Observation", "id": "bp1", "status": "final",
                 "code": {"coding": [{"system": LOINC, "code": "85354-9"}]}, "subject": {"reference": "Patient/p1"},
                 "effectiveDateTime": "2024-03-01T10:00:00-05:00",
                 "component": [
                     {"code": {"coding": [{"system": LOINC, "code": "8480-6"}]},
                      "valueQuantity": {"value": 150, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}},
                     {"code": {"coding": [{"system": LOINC, "code": "8462-4"}]},
                      "valueQuantity": {"value": 95, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}}]})  # fmt: skip


def test_quantity_prefixes_precision_and_units(client, vitals):
    assert idset(client, "/fhir/Observation", **{"value-quantity": f"5.4|{UCUM}|mmol/L"}) == {"g1"}
    assert idset(client, "/fhir/Observation", **{"value-quantity": "5.4"}) == {"g1"}
    assert idset(client, "/fhir/Observation", **{"value-quantity": "5"}) == {"g1"}  # 5 means [4.5, 5.5)
    assert idset(client, "/fhir/Observation", **{"value-quantity": "5.0"}) == set()
    assert idset(client, "/fhir/Observation", **{"value-quantity": f"gt1|{UCUM}|kg"}) == {"w1", "w2"}
    assert idset(client, "/fhir/Observation", **{"value-quantity": f"lt2|{UCUM}|kg"}) == {"w1"}
    assert idset(client, "/fhir/Observation", **{"value-quantity": f"1500|{UCUM}|g"}) == {"w1"}
    assert idset(client, "/fhir/Observation", **{"value-quantity": f"gt97|{UCUM}|[degF]"}) == {"t1"}
    assert idset(client, "/fhir/Observation", **{"value-quantity": f"ge1|{UCUM}|g/L"}) == {"g2"}
    assert idset(client, "/fhir/Observation", **{"value-quantity": "ap72"}) == {"w2"}
    assert client.get("/fhir/Observation", params={"value-quantity": "abc"}).status_code == 400


def test_composite_blood_pressure(client, vitals):
    systolic = f"{LOINC}|8480-6$gt140"
    assert idset(client, "/fhir/Observation", **{"component-code-value-quantity": systolic}) == {"bp1"}
    assert idset(client, "/fhir/Observation", **{"component-code-value-quantity": f"{LOINC}|8462-4$gt140"}) == set()
    assert idset(client, "/fhir/Observation", **{"code-value-quantity": f"{LOINC}|2339-0$gt5"}) == {"g1", "g2"}
    assert idset(client, "/fhir/Observation", **{"code-value-quantity": f"{LOINC}|2339-0$lt6|{UCUM}|mmol/L"}) == {"g1"}
    assert client.get("/fhir/Observation", params={"code-value-quantity": "a$b$c"}).status_code == 400


def test_composites_with_a_union_second_component(client):
    # code-value-date reads value.as(DateTime) | value.as(Period); context-type-quantity value.as(Quantity) | ...Range
    for res_id, value in (
        ("d1", {"valueDateTime": "2024-05-02"}),
        ("d2", {"valuePeriod": {"start": "2023-01-01", "end": "2023-01-31"}}),
    ):
        put(client, {"resourceType": "Observation", "id": res_id, "status": "final",
                     "code": {"coding": [{"system": LOINC, "code": "11778-8"}]}, **value})  # fmt: skip
    assert idset(client, "/fhir/Observation", **{"code-value-date": f"{LOINC}|11778-8$ge2024-01-01"}) == {"d1"}
    assert idset(client, "/fhir/Observation", **{"code-value-date": f"{LOINC}|11778-8$2023"}) == {"d2"}
    assert idset(client, "/fhir/Observation", **{"code-value-date": f"{LOINC}|8480-6$2024"}) == set()
    age = "http://terminology.hl7.org/CodeSystem/usage-context-type"
    put(client, {"resourceType": "ValueSet", "id": "vs1", "status": "active",
                 "useContext": [{"code": {"system": age, "code": "age"},
                                 "valueRange": {"low": {"value": 18, "system": UCUM, "code": "a"},
                                                "high": {"value": 65, "system": UCUM, "code": "a"}}},
                                {"code": {"system": age, "code": "program"},
                                 "valueQuantity": {"value": 3, "system": UCUM, "code": "a"}}]})  # fmt: skip
    assert idset(client, "/fhir/ValueSet", **{"context-type-quantity": f"{age}|program$3"}) == {"vs1"}
    assert idset(client, "/fhir/ValueSet", **{"context-type-quantity": f"{age}|age$3"}) == set()


def test_references(client, vitals):
    assert idset(client, "/fhir/Observation", subject="Patient/p2") == {"g2", "t1"}
    assert idset(client, "/fhir/Observation", patient="p2") == {"g2", "t1"}
    assert idset(client, "/fhir/Observation", **{"subject:Patient": "p2"}) == {"g2", "t1"}
    assert idset(client, "/fhir/Observation", subject="http://testserver/fhir/Patient/p2") == {"g2", "t1"}
    assert idset(client, "/fhir/Patient", **{"general-practitioner": "Practitioner/dr1"}) == {"p1"}
    assert idset(client, "/fhir/Patient", organization="org1") == {"p1"}
    assert idset(client, "/fhir/Observation", subject="Patient/p2,Patient/p1", code=f"{LOINC}|8310-5") == {"t1"}


def test_reference_identifier(client):
    put(client, {"resourceType": "Observation", "id": "ri", "status": "final", "code": {"text": "x"},
                 "subject": {"identifier": {"system": CEDULA, "value": "0912345678"}}})  # fmt: skip
    assert idset(client, "/fhir/Observation", **{"subject:identifier": f"{CEDULA}|0912345678"}) == {"ri"}
    assert idset(client, "/fhir/Observation", **{"subject:identifier": "0000000000"}) == set()


def test_token_below_on_icd10_and_text(client, people):
    for cid, code, display in (("c1", "J45", "Asma"), ("c2", "J45.0", "Asma alérgica"), ("c3", "E11.9", "Diabetes")):
        put(client, {"resourceType": "Condition", "id": cid, "subject": {"reference": "Patient/p1"},
                     "code": {"coding": [{"system": ICD10, "code": code, "display": display}]}})  # fmt: skip
    assert idset(client, "/fhir/Condition", **{"code:below": f"{ICD10}|J45"}) == {"c1", "c2"}
    assert idset(client, "/fhir/Condition", code=f"{ICD10}|J45") == {"c1"}
    assert idset(client, "/fhir/Condition", **{"code:text": "asma aler"}) == {"c2"}
    assert idset(client, "/fhir/Condition", **{"code:not": f"{ICD10}|J45"}) == {"c2", "c3"}


def test_in_and_not_in_value_sets(client, people):
    put(client, {"resourceType": "ValueSet", "id": "vs-resp", "url": "http://clinica.example.ec/vs/resp", "status": "active",
                 "compose": {"include": [{"system": ICD10, "concept": [{"code": "J45.0"}, {"code": "J06.9"}]}]}})  # fmt: skip
    for cid, code in (("c1", "J45.0"), ("c2", "E11.9"), ("c3", "J06.9")):
        put(client, {"resourceType": "Condition", "id": cid, "subject": {"reference": "Patient/p1"},
                     "code": {"coding": [{"system": ICD10, "code": code}]}})  # fmt: skip
    assert idset(client, "/fhir/Condition", **{"code:in": "http://clinica.example.ec/vs/resp"}) == {"c1", "c3"}
    assert idset(client, "/fhir/Condition", **{"code:not-in": "http://clinica.example.ec/vs/resp"}) == {"c2"}
    assert client.get("/fhir/Condition", params={"code:in": "http://nowhere/vs"}).status_code == 400


def test_uri_below_and_above(client):
    put(
        client,
        {"resourceType": "ValueSet", "id": "v1", "status": "active", "url": "http://example.org/fhir/ValueSet/a"},
    )
    put(client, {"resourceType": "ValueSet", "id": "v2", "status": "active", "url": "http://example.org/other/b"})
    assert idset(client, "/fhir/ValueSet", url="http://example.org/fhir/ValueSet/a") == {"v1"}
    assert idset(client, "/fhir/ValueSet", **{"url:below": "http://example.org/fhir"}) == {"v1"}
    assert idset(client, "/fhir/ValueSet", **{"url:above": "http://example.org/fhir/ValueSet/a/extra"}) == {"v1"}


def test_number(client):
    put(client, {"resourceType": "RiskAssessment", "id": "r1", "status": "final",
                 "subject": {"reference": "Patient/x"}, "prediction": [{"probabilityDecimal": 0.42}]})  # fmt: skip
    put(client, {"resourceType": "RiskAssessment", "id": "r2", "status": "final",
                 "subject": {"reference": "Patient/x"}, "prediction": [{"probabilityDecimal": 0.8}]})  # fmt: skip
    assert idset(client, "/fhir/RiskAssessment", probability="0.42") == {"r1"}
    assert idset(client, "/fhir/RiskAssessment", probability="gt0.5") == {"r2"}
    assert idset(client, "/fhir/RiskAssessment", probability="le0.42") == {"r1"}

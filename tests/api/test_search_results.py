"""Search results: chains, _has, _list, compartments, sorting, keyset paging, totals and includes."""

from __future__ import annotations

import pytest

from tests.api.search_helpers import ids, idset, put
from tests.fhir_helpers import issue_codes

LOINC = "http://loinc.org"


@pytest.fixture
def clinic(client):
    put(client, {"resourceType": "Organization", "id": "net", "name": "Red de Salud"})
    put(
        client,
        {
            "resourceType": "Organization",
            "id": "org1",
            "name": "Clínica Norte",
            "partOf": {"reference": "Organization/net"},
        },
    )
    put(client, {"resourceType": "Practitioner", "id": "dr1", "name": [{"family": "Andrade"}]})
    for pid, family, given, birth in (
        ("p1", "Núñez", "José", "1980-01-01"),
        ("p2", "Guamán", "Rosa", "1975-05-05"),
        ("p3", "Núñez", "Ana", "2001-09-09"),
        ("p4", "Pérez", "Luis", "1990-03-03"),
    ):
        patient = {"resourceType": "Patient", "id": pid, "birthDate": birth, "name": [{"family": family, "given": [given]}],
                   "managingOrganization": {"reference": "Organization/org1"}}  # fmt: skip
        if pid != "p4":
            patient["generalPractitioner"] = [{"reference": "Practitioner/dr1"}]
        put(client, patient)
    for oid, pid, code, when in (("o1", "p1", "8867-4", "2024-01-01"), ("o2", "p1", "8867-4", "2024-02-01"),
                                 ("o3", "p2", "8310-5", "2024-03-01"), ("o4", "p3", "8867-4", "2023-12-01")):  # fmt: skip
        put(client, {"resourceType": "Observation", "id": oid, "status": "final", "effectiveDateTime": when,
                     "code": {"coding": [{"system": LOINC, "code": code}]}, "subject": {"reference": f"Patient/{pid}"},
                     "performer": [{"reference": "Practitioner/dr1"}]})  # fmt: skip
    put(client, {"resourceType": "Encounter", "id": "e1", "status": "finished", "class": {"code": "AMB"},
                 "subject": {"reference": "Patient/p1"}})  # fmt: skip
    put(client, {"resourceType": "List", "id": "l1", "status": "current", "mode": "working",
                 "entry": [{"item": {"reference": "Patient/p2"}}, {"item": {"reference": "Patient/p4"}}]})  # fmt: skip


def test_forward_chains(client, clinic):
    assert idset(client, "/fhir/Observation", **{"subject:Patient.name": "nunez"}) == {"o1", "o2", "o4"}
    assert idset(client, "/fhir/Observation", **{"subject.family": "guaman"}) == {"o3"}
    assert idset(client, "/fhir/Observation", **{"patient.organization.name": "clinica"}) == {"o1", "o2", "o3", "o4"}
    two_levels = {"subject:Patient.organization:Organization.partof:Organization.name": "red de"}
    assert idset(client, "/fhir/Observation", **two_levels) == {"o1", "o2", "o3", "o4"}
    assert client.get("/fhir/Observation", params={"subject.nonsense": "x"}).status_code == 400
    assert client.get("/fhir/Observation", params={"code.name": "x"}).status_code == 400


def test_reverse_chains(client, clinic):
    assert idset(client, "/fhir/Patient", **{"_has:Observation:subject:code": f"{LOINC}|8867-4"}) == {"p1", "p3"}
    assert idset(client, "/fhir/Patient", **{"_has:Observation:patient:date": "ge2024-02-01"}) == {"p1", "p2"}
    nested = {"_has:Patient:general-practitioner:_has:Observation:subject:code": f"{LOINC}|8310-5"}
    assert idset(client, "/fhir/Practitioner", **nested) == {"dr1"}
    assert idset(client, "/fhir/Patient", **{"_has:Encounter:patient:status": "finished"}) == {"p1"}
    assert client.get("/fhir/Patient", params={"_has:Observation:code:status": "final"}).status_code == 400


def test_list_compartment_and_type(client, clinic):
    assert idset(client, "/fhir/Patient", _list="l1") == {"p2", "p4"}
    assert idset(client, "/fhir/Patient/p1/Observation") == {"o1", "o2"}
    assert idset(client, "/fhir/Patient/p1/Observation", date="ge2024-02-01") == {"o2"}
    assert idset(client, "/fhir/Patient/p1/Encounter") == {"e1"}
    assert client.get("/fhir/Patient/p1/Organization").status_code == 400
    both = client.get("/fhir", params={"_type": "Patient,Practitioner", "_count": 50}).json()
    assert {e["resource"]["resourceType"] for e in both["entry"]} == {"Patient", "Practitioner"}
    named = idset(client, "/fhir", _type="Patient,Practitioner", name="andrade")
    assert named == {"dr1"}
    assert client.get("/fhir", params={"_type": "Bogus"}).status_code == 400


def test_sort_several_keys(client, clinic):
    assert ids(client, "/fhir/Patient", _sort="birthdate") == ["p2", "p1", "p4", "p3"]
    assert ids(client, "/fhir/Patient", _sort="-birthdate") == ["p3", "p4", "p1", "p2"]
    assert ids(client, "/fhir/Patient", _sort="family,-birthdate") == ["p2", "p3", "p1", "p4"]
    assert ids(client, "/fhir/Observation", subject="Patient/p1", _sort="-date") == ["o2", "o1"]
    assert ids(client, "/fhir/Patient", _sort="_id") == ["p1", "p2", "p3", "p4"]


def test_missing_sort_values_come_last(client, clinic):
    put(client, {"resourceType": "Patient", "id": "p0", "name": [{"family": "Zeta"}]})
    assert ids(client, "/fhir/Patient", _sort="birthdate")[-1] == "p0"
    assert ids(client, "/fhir/Patient", _sort="-birthdate")[-1] == "p0"


def _pages(client, path, **params):
    pages, response = [], client.get(path, params=params or None).json()
    while True:
        pages.append([e["resource"]["id"] for e in response.get("entry", []) if e["search"]["mode"] == "match"])
        nxt = next((link["url"] for link in response["link"] if link["relation"] == "next"), None)
        if nxt is None:
            return pages
        response = client.get(nxt.replace("http://testserver", "")).json()


def test_keyset_pages_survive_inserts(client, clinic):
    first = client.get("/fhir/Patient", params={"_sort": "birthdate", "_count": 2}).json()
    assert [e["resource"]["id"] for e in first["entry"]] == ["p2", "p1"]
    # Inserted between pages: one sorts before the cursor, one after.
    put(client, {"resourceType": "Patient", "id": "early", "birthDate": "1950-01-01"})
    put(client, {"resourceType": "Patient", "id": "late", "birthDate": "2020-01-01"})
    nxt = next(link["url"] for link in first["link"] if link["relation"] == "next")
    rest = client.get(nxt.replace("http://testserver", "")).json()
    assert [e["resource"]["id"] for e in rest["entry"]] == ["p4", "p3"]
    all_pages = _pages(client, "/fhir/Patient", _count=2)
    flat = [i for page in all_pages for i in page]
    assert len(flat) == len(set(flat)) == 6


def test_default_order_pages_do_not_repeat_or_skip(client, clinic):
    first = client.get("/fhir/Observation", params={"_count": 2}).json()
    put(client, {"resourceType": "Observation", "id": "o9", "status": "final", "code": {"text": "x"}})
    nxt = next(link["url"] for link in first["link"] if link["relation"] == "next")
    rest = _pages(client, nxt.replace("http://testserver", ""))
    seen = [e["resource"]["id"] for e in first["entry"]] + [i for page in rest for i in page]
    assert sorted(seen) == ["o1", "o2", "o3", "o4", "o9"]


def test_bad_cursor_is_400(client, clinic):
    assert client.get("/fhir/Patient", params={"_cursor": "garbage"}).status_code == 400
    first = client.get("/fhir/Patient", params={"_sort": "birthdate", "_count": 1}).json()
    cursor = next(link["url"] for link in first["link"] if link["relation"] == "next").split("_cursor=")[1]
    assert client.get("/fhir/Patient", params={"_sort": "family", "_cursor": cursor}).status_code == 400


def test_totals(client, clinic):
    assert "total" not in client.get("/fhir/Patient", params={"_count": 2}).json()
    assert client.get("/fhir/Patient", params={"_count": 2, "_total": "accurate"}).json()["total"] == 4
    estimate = client.get("/fhir/Patient", params={"_count": 2, "_total": "estimate"}).json()
    assert isinstance(estimate.get("total"), int)
    assert client.get("/fhir/Patient", params={"_count": 10}).json()["total"] == 4  # cheap: one page
    count = client.get("/fhir/Observation", params={"code": f"{LOINC}|8867-4", "_summary": "count"}).json()
    assert (count["total"] == 3 and "entry" not in count) or count.get("entry") == []


def test_summary_and_elements_in_searches(client, clinic):
    bundle = client.get("/fhir/Patient", params={"_elements": "birthDate", "_id": "p1"}).json()
    resource = bundle["entry"][0]["resource"]
    assert resource["birthDate"] == "1980-01-01" and "name" not in resource
    assert any(t["code"] == "SUBSETTED" for t in resource["meta"]["tag"])


def test_includes(client, clinic):
    bundle = client.get("/fhir/Observation", params={"_id": "o1", "_include": "Observation:subject"}).json()
    modes = {(e["resource"]["id"], e["search"]["mode"]) for e in bundle["entry"]}
    assert modes == {("o1", "match"), ("p1", "include")}
    assert all("fullUrl" in e for e in bundle["entry"])
    star = client.get("/fhir/Observation", params={"_id": "o1", "_include": "*"}).json()
    assert {e["resource"]["id"] for e in star["entry"] if e["search"]["mode"] == "include"} == {"p1", "dr1"}
    rev = client.get("/fhir/Patient", params={"_id": "p1", "_revinclude": "Observation:subject"}).json()
    assert {e["resource"]["id"] for e in rev["entry"] if e["search"]["mode"] == "include"} == {"o1", "o2"}
    iterate = client.get("/fhir/Observation", params={"_id": "o1", "_include": "Observation:subject",
                                                       "_include:iterate": "Patient:organization"}).json()  # fmt: skip
    assert {e["resource"]["id"] for e in iterate["entry"] if e["search"]["mode"] == "include"} == {"p1", "org1"}


def test_include_of_a_deleted_target_is_left_out(client, clinic):
    assert client.delete("/fhir/Patient/p2").status_code == 200
    bundle = client.get("/fhir/Observation", params={"_id": "o3", "_include": "Observation:subject"})
    assert bundle.status_code == 200
    assert [(e["resource"]["id"], e["search"]["mode"]) for e in bundle.json()["entry"]] == [("o3", "match")]


def test_lenient_strict_and_malformed(client, clinic):
    lenient = client.get("/fhir/Patient", params={"foo": "1", "name": "jose"}).json()
    outcome = [e["resource"] for e in lenient["entry"] if e["search"]["mode"] == "outcome"]
    assert issue_codes(outcome[0]) == ["not-supported"] and "foo" in outcome[0]["issue"][0]["diagnostics"]
    assert {e["resource"]["id"] for e in lenient["entry"] if e["search"]["mode"] == "match"} == {"p1"}
    strict = client.get(
        "/fhir/Patient", params={"foo": "1"}, headers={"Prefer": "handling=strict", "Accept-Language": "en"}
    )
    assert strict.status_code == 400 and "foo" in strict.json()["issue"][0]["diagnostics"]
    assert client.get("/fhir/Patient", params={"name:bogus": "x"}).status_code == 400
    assert client.get("/fhir/Patient", params={"birthdate": "zz2020"}).status_code == 400
    assert client.get("/fhir/Patient", params={"_count": "-1"}).status_code == 400
    assert client.get("/fhir/Patient", params={"_include": "nonsense"}).status_code == 400

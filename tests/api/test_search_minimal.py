"""The minimal search of the REST core: _id, _lastUpdated, _count, _sort, paging links."""

from __future__ import annotations

import json

from tests.fhir_helpers import FHIR_JSON, issue_codes, patient


def make(client, n):
    return [client.post("/fhir/Patient", content=json.dumps(patient()), headers=FHIR_JSON).json() for _ in range(n)]


def test_search_by_id(client):
    a, b, _ = make(client, 3)
    bundle = client.get("/fhir/Patient", params={"_id": f"{a['id']},{b['id']}"}).json()
    assert bundle["type"] == "searchset"
    assert {e["resource"]["id"] for e in bundle["entry"]} == {a["id"], b["id"]}
    assert all(e["search"]["mode"] == "match" for e in bundle["entry"])
    assert bundle["entry"][0]["fullUrl"].startswith("http://testserver/fhir/Patient/")


def test_search_by_last_updated(client):
    resources = make(client, 3)
    middle = resources[1]["meta"]["lastUpdated"]
    later = client.get("/fhir/Patient", params={"_lastUpdated": f"ge{middle}"}).json()
    assert {e["resource"]["id"] for e in later["entry"]} == {r["id"] for r in resources[1:]}
    earlier = client.get("/fhir/Patient", params={"_lastUpdated": f"lt{middle}"}).json()
    assert {e["resource"]["id"] for e in earlier["entry"]} == {resources[0]["id"]}
    assert client.get("/fhir/Patient", params={"_lastUpdated": "gt1900"}).json()["total"] == 3
    assert client.get("/fhir/Patient", params={"_lastUpdated": "bogus"}).status_code == 400


def test_paging_links(client):
    make(client, 5)
    first = client.get("/fhir/Patient", params={"_count": 2, "_total": "accurate"}).json()
    assert first["total"] == 5
    ids = [e["resource"]["id"] for e in first["entry"]]
    url = next(link["url"] for link in first["link"] if link["relation"] == "next")
    while url:
        page = client.get(url.replace("http://testserver", "")).json()
        ids += [e["resource"]["id"] for e in page.get("entry", [])]
        url = next((link["url"] for link in page["link"] if link["relation"] == "next"), None)
    assert len(ids) == len(set(ids)) == 5


def test_sort_and_summary_count(client):
    make(client, 3)
    ascending = [
        e["resource"]["meta"]["lastUpdated"]
        for e in client.get("/fhir/Patient", params={"_sort": "_lastUpdated"}).json()["entry"]
    ]
    descending = [
        e["resource"]["meta"]["lastUpdated"]
        for e in client.get("/fhir/Patient", params={"_sort": "-_lastUpdated"}).json()["entry"]
    ]
    assert ascending == sorted(ascending) and descending == sorted(descending, reverse=True)
    count = client.get("/fhir/Patient", params={"_summary": "count"}).json()
    assert count["total"] == 3 and count.get("entry", []) == []


def test_unknown_parameters_lenient_and_strict(client):
    make(client, 1)
    lenient = client.get("/fhir/Patient", params={"nonsense": "1"}).json()
    outcome = [e for e in lenient["entry"] if e["search"]["mode"] == "outcome"]
    assert outcome and issue_codes(outcome[0]["resource"]) == ["not-supported"]
    strict = client.get("/fhir/Patient", params={"nonsense": "1"}, headers={"Prefer": "handling=strict"})
    assert strict.status_code == 400


def test_search_post_form(client):
    a = make(client, 2)[0]
    response = client.post("/fhir/Patient/_search", data={"_id": a["id"]})
    assert response.status_code == 200
    assert [e["resource"]["id"] for e in response.json()["entry"]] == [a["id"]]


def test_system_search(client):
    make(client, 2)
    bundle = client.get("/fhir", params={"_lastUpdated": "gt2000"}).json()
    audit = ("AuditEvent", "Provenance")  # each write is audited; those records are resources too
    assert len([e for e in bundle["entry"] if e["resource"]["resourceType"] not in audit]) == 2

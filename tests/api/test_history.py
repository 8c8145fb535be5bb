"""History at instance, type and system level: order, _since, _at, _count and paging."""

from __future__ import annotations

import json
import time

from tests.fhir_helpers import FHIR_JSON, observation, patient


def _ids(bundle):
    return [(e["fullUrl"].rsplit("/", 2)[-2:], e["response"]["etag"]) for e in bundle["entry"]]


def test_instance_history_newest_first(client):
    created = client.post("/fhir/Patient", content=json.dumps(patient()), headers=FHIR_JSON).json()
    url = f"/fhir/Patient/{created['id']}"
    client.put(url, content=json.dumps({**created, "gender": "female"}), headers=FHIR_JSON)
    client.delete(url)
    bundle = client.get(f"{url}/_history").json()
    assert bundle["type"] == "history"
    assert bundle["total"] == 3
    assert [e["response"]["etag"] for e in bundle["entry"]] == ['W/"3"', 'W/"2"', 'W/"1"']
    assert [e["request"]["method"] for e in bundle["entry"]] == ["DELETE", "PUT", "POST"]
    assert "resource" not in bundle["entry"][0]
    assert bundle["entry"][2]["response"]["status"].startswith("201")
    assert client.get("/fhir/Patient/nobody/_history").status_code == 404


def test_type_and_system_history_paging(client):
    for _ in range(3):
        client.post("/fhir/Patient", content=json.dumps(patient()), headers=FHIR_JSON)
    client.post("/fhir/Observation", content=json.dumps(observation()), headers=FHIR_JSON)
    page = client.get("/fhir/Patient/_history", params={"_count": 2}).json()
    assert len(page["entry"]) == 2
    next_url = next(link["url"] for link in page["link"] if link["relation"] == "next")
    rest = client.get(next_url.replace("http://testserver", "")).json()
    assert len(rest["entry"]) == 1
    assert not any(link["relation"] == "next" for link in rest["link"])
    seen = {e["fullUrl"] for e in page["entry"]} | {e["fullUrl"] for e in rest["entry"]}
    assert len(seen) == 3
    system = client.get("/fhir/_history").json()
    audit = {"AuditEvent", "Provenance"}  # each write is audited; those records are resources too
    assert {e["resource"]["resourceType"] for e in system["entry"]} - audit == {"Patient", "Observation"}


def test_since_and_at(client):
    created = client.post("/fhir/Patient", content=json.dumps(patient()), headers=FHIR_JSON).json()
    time.sleep(0.01)
    first_updated = created["meta"]["lastUpdated"]
    second = client.put(
        f"/fhir/Patient/{created['id']}",
        content=json.dumps({**created, "gender": "female"}),
        headers=FHIR_JSON,
    ).json()
    since = client.get(
        f"/fhir/Patient/{created['id']}/_history", params={"_since": second["meta"]["lastUpdated"]}
    ).json()
    assert [e["response"]["etag"] for e in since["entry"]] == ['W/"2"']
    at = client.get("/fhir/Patient/_history", params={"_at": first_updated}).json()
    assert [e["response"]["etag"] for e in at["entry"]] == ['W/"1"']
    assert client.get("/fhir/_history", params={"_since": "not-a-date"}).status_code == 400

"""Group resources as cohorts (referral patients): stored, and searchable by member and characteristic."""

from __future__ import annotations

import json

REFERRAL = "https://fhir.consultorio.ec/CodeSystem/cohort"


def test_a_cohort_group_is_stored_and_found_by_member_and_characteristic(client):
    for patient in ("ana", "beto", "carla"):
        body = json.dumps({"resourceType": "Patient", "id": patient})
        assert client.put(f"/fhir/Patient/{patient}", content=body).status_code == 201
    group = {
        "resourceType": "Group", "id": "referidos", "type": "person", "actual": True, "name": "Referidos 2026",
        "characteristic": [{"code": {"coding": [{"system": REFERRAL, "code": "referral"}]},
                            "valueBoolean": True, "exclude": False}],
        "member": [{"entity": {"reference": "Patient/ana"}}, {"entity": {"reference": "Patient/beto"}}],
    }  # fmt: skip
    created = client.put("/fhir/Group/referidos", content=json.dumps(group))
    assert created.status_code == 201, created.text
    stored = client.get("/fhir/Group/referidos").json()
    assert [m["entity"]["reference"] for m in stored["member"]] == ["Patient/ana", "Patient/beto"]

    def found(**params: str) -> list[str]:
        response = client.get("/fhir/Group", params=params)
        assert response.status_code == 200, response.text
        return [e["resource"]["id"] for e in response.json().get("entry", [])]

    assert found(member="Patient/ana") == ["referidos"]
    assert found(member="Patient/carla") == []
    assert found(characteristic=f"{REFERRAL}|referral") == ["referidos"]
    assert found(characteristic=f"{REFERRAL}|otro") == []
    assert found(**{"characteristic-value": f"{REFERRAL}|referral$true"}) == ["referidos"]
    # The cohort is part of each member's record.
    record = client.get("/fhir/Patient/ana/$everything", params={"_type": "Group"}).json()
    assert [e["resource"]["id"] for e in record["entry"]] == ["referidos"]

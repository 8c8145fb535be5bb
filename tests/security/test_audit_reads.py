"""Reads, searches and refusals over the API leave AuditEvents naming who, which patient and the outcome."""

from __future__ import annotations

import pytest

from tests.audit.helpers import patient_ids, written
from tests.security.world import build


@pytest.fixture
def world(storage):
    build(storage)


def _events(client, storage):
    client.app.state.audit.flush()
    return [e for e in written(storage, "AuditEvent") if e["subtype"][0]["code"] != "create"]


def test_reads_searches_and_refusals_are_audited(secured, world, mint, storage):
    doctor = mint("doctor", "Practitioner/dra", "user/*.cruds")
    assert secured.get("/fhir/Condition/cond-ana", headers=doctor).status_code == 200
    assert secured.get("/fhir/Condition/cond-beto", headers=doctor).status_code == 404
    assert secured.get("/fhir/Observation", params={"subject": "Patient/ana"}, headers=doctor).status_code == 200
    secretary = mint("secretaria", "Practitioner/drb", "user/*.cruds")
    assert secured.get("/fhir/Observation/obs-ana", headers=secretary).status_code == 403
    glass = {**doctor, "X-Break-Glass": "Paciente inconsciente en emergencia"}
    assert secured.get("/fhir/Condition/cond-beto", headers=glass).status_code == 200
    events = _events(secured, storage)
    read_ok, read_hidden, search, refused, emergency = events[-5:]
    assert read_ok["outcome"] == "0" and patient_ids(read_ok) == ["ana"]
    assert read_hidden["outcome"] == "4" and patient_ids(read_hidden) == []
    assert search["subtype"][0]["code"] == "search-type" and patient_ids(search) == ["ana"]
    assert refused["outcome"] == "4"
    assert emergency["purposeOfEvent"][0]["coding"][0]["code"] == "ETREAT"
    who = {agent.get("who", {}).get("reference") for agent in read_ok["agent"]}
    assert "Practitioner/dra" in who

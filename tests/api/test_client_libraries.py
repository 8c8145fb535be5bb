"""Real FHIR client libraries (fhirclient, fhirpy) create, read, update and search against a live server."""

from __future__ import annotations

import pytest


def test_fhirclient_crud_and_search(live_server):
    from fhirclient import client as smart_client
    from fhirclient.models.humanname import HumanName
    from fhirclient.models.patient import Patient

    smart = smart_client.FHIRClient(settings={"app_id": "clinic-tests", "api_base": live_server})
    assert smart.server.capabilityStatement.fhirVersion == "4.0.1"
    patient = Patient()
    name = HumanName()
    name.family = "Núñez"
    name.given = ["María"]
    patient.name = [name]
    patient.gender = "female"
    created = patient.create(smart.server)
    new_id = created["id"]
    read = Patient.read(new_id, smart.server)
    assert read.name[0].family == "Núñez"
    read.gender = "other"
    updated = read.update(smart.server)
    assert updated["meta"]["versionId"] == "2"
    found = Patient.where(struct={"_id": new_id}).perform_resources(smart.server)
    assert [p.id for p in found] == [new_id]
    assert found[0].gender == "other"


def test_fhirpy_crud_and_search(live_server):
    from fhirpy import SyncFHIRClient

    client = SyncFHIRClient(live_server, extra_headers={"Accept": "application/fhir+json"})
    patient = client.resource("Patient", name=[{"family": "Guamán", "given": ["Rosa"]}], gender="female")
    patient.save()
    assert patient.id
    fetched = client.reference("Patient", patient.id).to_resource()
    assert fetched["name"][0]["family"] == "Guamán"
    fetched["birthDate"] = "1990-02-03"
    fetched.save()
    again = client.resources("Patient").search(_id=patient.id).fetch()
    assert [p.id for p in again] == [patient.id]
    assert again[0]["birthDate"] == "1990-02-03"
    assert again[0]["meta"]["versionId"] == "2"
    fetched.delete()
    with pytest.raises(Exception, match=r"(?i)gone|deleted|410"):
        client.reference("Patient", patient.id).to_resource()

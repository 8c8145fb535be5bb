"""The clinic's StructureDefinitions and SearchParameters: served, searchable, read-only, readable by a client library."""

from __future__ import annotations

import json

from fhir_server.model import canonical as c
from fhir_server.model.profiles import structure_definitions
from tests.fhir_helpers import FHIR_JSON


def test_profiles_are_served_with_snapshots_and_searchable_by_url(clinic):
    found = clinic.get("/fhir/StructureDefinition", params={"url": c.PROFILE_PATIENT}).json()
    assert found["total"] == 1
    profile = found["entry"][0]["resource"]
    assert profile["id"] == "ec-patient"
    assert profile["fhirVersion"] == "4.0.1"
    assert profile["baseDefinition"] == "http://hl7.org/fhir/StructureDefinition/Patient"
    paths = [e["path"] for e in profile["snapshot"]["element"]]
    assert paths[0] == "Patient" and "Patient.identifier" in paths and "Patient.birthDate" in paths
    assert profile["differential"]["element"]
    count = clinic.get("/fhir/StructureDefinition", params={"_summary": "count"}).json()["total"]
    assert count == len(structure_definitions())
    bodytemp = clinic.get("/fhir/StructureDefinition/ec-bodytemp").json()
    assert bodytemp["baseDefinition"] == "http://hl7.org/fhir/StructureDefinition/bodytemp"
    parameter = clinic.get("/fhir/SearchParameter/MedicationKnowledge-name").json()
    assert parameter["code"] == "name" and parameter["base"] == ["MedicationKnowledge"]


def test_built_in_conformance_resources_are_read_only(clinic):
    profile = clinic.get("/fhir/StructureDefinition/ec-patient").json()
    changed = {**profile, "title": "otro"}
    put = clinic.put("/fhir/StructureDefinition/ec-patient", content=json.dumps(changed), headers=FHIR_JSON)
    assert put.status_code == 405
    assert "solo lectura" in put.json()["issue"][0]["diagnostics"]
    assert clinic.delete("/fhir/StructureDefinition/ec-patient").status_code == 405
    clone = {k: v for k, v in profile.items() if k not in ("id", "meta")}
    assert clinic.post("/fhir/StructureDefinition", content=json.dumps(clone), headers=FHIR_JSON).status_code == 405
    assert clinic.delete("/fhir/SearchParameter/Medication-name").status_code == 405
    assert (
        clinic.get("/fhir/StructureDefinition/ec-patient").json()["meta"]["versionId"] == profile["meta"]["versionId"]
    )


def test_a_client_library_reads_the_profiles(clinic_live):
    from fhirclient import client as smart_client
    from fhirclient.models.structuredefinition import StructureDefinition

    smart = smart_client.FHIRClient(settings={"app_id": "pruebas", "api_base": clinic_live})
    for sd_id in ("ec-patient", "ec-bmi", "ec-diagnostico", "address-ec-parroquia"):
        definition = StructureDefinition.read(sd_id, smart.server)
        assert definition.url == c.structure_definition(sd_id)
        assert definition.snapshot is not None and definition.snapshot.element

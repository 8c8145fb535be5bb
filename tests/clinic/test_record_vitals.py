"""Encounter/$record-vitals: the nurse's form becomes the panel, its members and a server-computed BMI (S8)."""

from __future__ import annotations

import json
from typing import Any

from fhir_server.model import canonical as c
from tests.clinic.builders import coded, created, ec_patient
from tests.clinic.conftest import new_cedula
from tests.fhir_helpers import FHIR_JSON

FORM = {"temperatura": 36.8, "presion_arterial": "120/80", "pulso": 72, "frecuencia_respiratoria": 16,
        "peso": 70, "talla": 170}  # fmt: skip


def triage_ready(client) -> dict[str, str]:
    """A patient with a booked appointment today, its planned encounter and a nurse."""
    patient = created(client, ec_patient(new_cedula()))["id"]
    nurse = created(client, {"resourceType": "Practitioner", "name": [{"family": "Quishpe", "given": ["Lucía"]}]})["id"]
    role = created(client, {"resourceType": "PractitionerRole", "practitioner": {"reference": f"Practitioner/{nurse}"},
                            "code": [coded(c.PRACTITIONER_ROLE, "nurse")]})["id"]  # fmt: skip
    appointment = created(client, {
        "resourceType": "Appointment", "status": "booked",
        "start": "2026-11-30T09:00:00-05:00", "end": "2026-11-30T09:30:00-05:00",
        "participant": [{"actor": {"reference": f"Patient/{patient}"}, "status": "accepted"}],
    })["id"]  # fmt: skip
    encounter = created(client, {
        "resourceType": "Encounter", "status": "planned", "class": {"system": c.V3_ACT, "code": "AMB"},
        "subject": {"reference": f"Patient/{patient}"}, "appointment": [{"reference": f"Appointment/{appointment}"}],
    })["id"]  # fmt: skip
    return {"patient": patient, "nurse": f"PractitionerRole/{role}", "appointment": appointment, "encounter": encounter}


def record(client, encounter: str, form: dict[str, Any], **headers: str):
    parameter: list[dict[str, Any]] = []
    for name, value in form.items():
        key = "valueReference" if name == "performer" else "valueString" if isinstance(value, str) else "valueDecimal"
        parameter.append({"name": name, key: {"reference": value} if name == "performer" else value})
    body = json.dumps({"resourceType": "Parameters", "parameter": parameter})
    return client.post(f"/fhir/Encounter/{encounter}/$record-vitals", content=body, headers={**FHIR_JSON, **headers})


def _by_code(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Observation":
            found[resource["code"]["coding"][0]["code"]] = resource
    return found


def test_the_nurse_form_becomes_a_panel_with_members_and_bmi(clinic):
    ids = triage_ready(clinic)
    response = record(clinic, ids["encounter"], {**FORM, "performer": ids["nurse"]})
    assert response.status_code == 200, response.text
    bundle = response.json()
    assert bundle["entry"][0]["resource"]["code"]["coding"][0]["code"] == "85353-1"
    observations = _by_code(bundle)
    assert set(observations) == {"85353-1", "8310-5", "85354-9", "8867-4", "9279-1", "29463-7", "8302-2", "39156-5"}
    panel = observations["85353-1"]
    assert {m["reference"] for m in panel["hasMember"]} == {
        f"Observation/{o['id']}" for k, o in observations.items() if k != "85353-1"
    }
    bp = observations["85354-9"]
    assert [(x["code"]["coding"][0]["code"], x["valueQuantity"]["value"], x["valueQuantity"]["code"]) for x in bp["component"]] == [
        ("8480-6", 120, "mm[Hg]"), ("8462-4", 80, "mm[Hg]")]  # fmt: skip
    bmi = observations["39156-5"]
    assert bmi["valueQuantity"] == {"value": 24.22, "unit": "kg/m2", "system": c.UCUM, "code": "kg/m2"}
    assert {d["reference"] for d in bmi["derivedFrom"]} == {
        f"Observation/{observations['29463-7']['id']}", f"Observation/{observations['8302-2']['id']}"}  # fmt: skip
    assert observations["8310-5"]["valueQuantity"]["code"] == "Cel"
    for observation in observations.values():
        assert observation["category"][0]["coding"][0]["code"] == "vital-signs"
        assert observation["subject"] == {"reference": f"Patient/{ids['patient']}"}
        assert observation["encounter"] == {"reference": f"Encounter/{ids['encounter']}"}
        assert observation["performer"] == [{"reference": ids["nurse"]}]
        assert observation["meta"]["profile"][0].startswith(c.CANONICAL_BASE)
    encounter = clinic.get(f"/fhir/Encounter/{ids['encounter']}").json()
    assert encounter["status"] == "triaged"
    assert any(p["individual"]["reference"] == ids["nurse"] for p in encounter["participant"])
    assert clinic.get(f"/fhir/Appointment/{ids['appointment']}").json()["status"] == "arrived"
    stored = clinic.get("/fhir/Observation", params={"encounter": f"Encounter/{ids['encounter']}", "code": "39156-5"})
    assert stored.json()["entry"][0]["resource"]["valueQuantity"]["value"] == 24.22


def _nothing_written(client, ids: dict[str, str]) -> None:
    count = client.get("/fhir/Observation", params={"encounter": f"Encounter/{ids['encounter']}", "_summary": "count"})
    assert count.json()["total"] == 0
    assert client.get(f"/fhir/Encounter/{ids['encounter']}").json()["status"] == "planned"
    assert client.get(f"/fhir/Appointment/{ids['appointment']}").json()["status"] == "booked"


def test_a_client_bmi_that_disagrees_is_refused_and_nothing_is_written(clinic):
    ids = triage_ready(clinic)
    response = record(clinic, ids["encounter"], {**FORM, "imc": 30})
    assert response.status_code == 422
    issue = response.json()["issue"][0]
    assert issue["expression"] == ["imc"]
    assert "24.22" in issue["diagnostics"]
    _nothing_written(clinic, ids)
    assert record(clinic, ids["encounter"], {**FORM, "imc": 24.22}).status_code == 200


def test_implausible_values_are_refused_per_field_in_both_languages(clinic):
    ids = triage_ready(clinic)
    response = record(clinic, ids["encounter"], {**FORM, "temperatura": 46, "talla": 1.70})
    assert response.status_code == 422, response.text
    issues = response.json()["issue"]
    fields = {issue["expression"][0] for issue in issues if issue["severity"] == "error"}
    assert {"temperatura", "talla"} <= fields
    assert any("45" in issue["diagnostics"] for issue in issues if issue["expression"][0] == "temperatura")
    english = record(clinic, ids["encounter"], {**FORM, "talla": 1.70}, **{"Accept-Language": "en"})
    assert any("metres" in issue["diagnostics"] for issue in english.json()["issue"])
    _nothing_written(clinic, ids)


def test_bad_forms_and_closed_encounters(clinic):
    ids = triage_ready(clinic)
    assert record(clinic, ids["encounter"], {"presion_arterial": "120-80"}).status_code == 400
    assert record(clinic, ids["encounter"], {}).status_code == 400
    assert record(clinic, "no-existe", FORM).status_code == 404
    encounter = clinic.get(f"/fhir/Encounter/{ids['encounter']}").json()
    finished = {**encounter, "status": "finished"}
    clinic.put(f"/fhir/Encounter/{ids['encounter']}", content=json.dumps(finished), headers=FHIR_JSON)
    assert record(clinic, ids["encounter"], FORM).status_code == 409

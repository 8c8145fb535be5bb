"""Acceptance scenarios of legacy-domain.md part D, over HTTP, on SQLite and PostgreSQL (no authorization yet).

S2 (terminology catalogs), S3 (registration), S8 steps 2–3 (triage), S9 steps 2–3 (closing the consultation
atomically) and S10 step 1 (amending without deleting). An evolución is an Encounter + ClinicalImpression.
"""

from __future__ import annotations

import json
from typing import Any

from fhir_server.model import canonical as c
from tests.clinic.builders import coded, created, dpa, ec_patient, expressions, post
from tests.clinic.conftest import new_cedula
from tests.clinic.test_record_vitals import FORM, record, triage_ready
from tests.fhir_helpers import FHIR_JSON


def _params(body: dict[str, Any]) -> dict[str, Any]:
    return {p["name"]: p for p in body["parameter"]}


def test_s2_terminology_catalogs(clinic):
    activos = f"{c.CANONICAL_BASE}/ValueSet/cie10-activos"
    by_text = clinic.get("/fhir/ValueSet/$expand", params={"url": activos, "filter": "faringitis", "count": 2}).json()
    contains = by_text["expansion"]["contains"]
    assert len(contains) == 2 and by_text["expansion"]["total"] > 2  # paged
    assert all("aringitis" in item["display"] for item in contains)
    by_code = clinic.get("/fhir/ValueSet/$expand", params={"url": activos, "filter": "J02", "count": 50}).json()
    codes = {item["code"] for item in by_code["expansion"]["contains"]}
    assert "J02.9" in codes and "J02.7" not in codes  # J02.7 is inactive
    lookup = clinic.get("/fhir/CodeSystem/$lookup", params={"system": c.CS_DPA, "code": "0101"}).json()
    parents = [p for p in lookup["parameter"] if p["name"] == "property" and p["part"][0]["valueCode"] == "parent"]
    assert parents[0]["part"][1]["valueCode"] == "01"
    parroquias = clinic.get(
        "/fhir/ValueSet/$expand", params={"url": c.VS_DPA_PARROQUIAS, "parent": "0101", "count": 100}
    ).json()["expansion"]
    assert parroquias["total"] > 10 and all(item["code"].startswith("0101") for item in parroquias["contains"])
    medicines = clinic.get("/fhir/MedicationKnowledge", params={"name": "acido"}).json()
    assert [e["resource"]["code"]["text"] for e in medicines["entry"]] == ["Ácido acetilsalicílico"]


def test_s3_patient_registration_with_ecuadorian_demographics(clinic):
    cedula = new_cedula(1)
    iess = created(clinic, {"resourceType": "Organization", "name": "IESS", "active": True})
    patient = created(clinic, ec_patient(cedula))
    coverage = created(clinic, {
        "resourceType": "Coverage", "status": "active", "type": coded(c.CS_TIPO_SEGURO, "iess"),
        "beneficiary": {"reference": f"Patient/{patient['id']}"}, "payor": [{"reference": f"Organization/{iess['id']}"}],
    })  # fmt: skip
    assert coverage["beneficiary"]["reference"] == f"Patient/{patient['id']}"
    assert patient["gender"] == "female" and patient["birthDate"] == "1990-05-10"
    assert patient["maritalStatus"]["coding"][0]["code"] == "T" and patient["name"][0]["family"] == "Pérez Gómez"
    # Step 2: duplicate cédula, wrong check digit, parroquia outside its cantón.
    duplicate = post(clinic, ec_patient(cedula))
    assert duplicate.status_code == 409 and patient["id"] in duplicate.json()["issue"][0]["diagnostics"]
    wrong = post(clinic, ec_patient(cedula[:9] + str((int(cedula[9]) + 5) % 10)))
    assert wrong.status_code == 422
    elsewhere = ec_patient(new_cedula())
    elsewhere["address"][0]["extension"][2] = dpa(c.EXT_PARROQUIA, "170101")
    refused = post(clinic, elsewhere)
    assert refused.status_code == 422 and any("extension[2]" in e for e in expressions(refused))
    # Step 3: found by cédula (exactly one) and by either surname without accents.
    by_cedula = clinic.get("/fhir/Patient", params={"identifier": f"{c.CEDULA_SYSTEM}|{cedula}"}).json()
    assert by_cedula["total"] == 1
    by_surname = clinic.get("/fhir/Patient", params={"family": "gomez", "identifier": f"{c.CEDULA_SYSTEM}|{cedula}"})
    assert by_surname.json()["total"] == 1


def test_s8_triage_records_vitals_and_refuses_bad_values(clinic):
    ids = triage_ready(clinic)
    assert record(clinic, ids["encounter"], {**FORM, "imc": 30}).status_code == 422
    assert record(clinic, ids["encounter"], {**FORM, "temperatura": 46}).status_code == 422
    assert record(clinic, ids["encounter"], {**FORM, "talla": 1.70}).status_code == 422
    done = record(clinic, ids["encounter"], {**FORM, "performer": ids["nurse"]})
    assert done.status_code == 200
    panel = done.json()["entry"][0]["resource"]
    assert len(panel["hasMember"]) == 7
    assert clinic.get(f"/fhir/Encounter/{ids['encounter']}").json()["status"] == "triaged"
    assert clinic.get(f"/fhir/Appointment/{ids['appointment']}").json()["status"] == "arrived"


def _closing_bundle(clinic, ids: dict[str, str], panel_id: str, icd10: str) -> dict[str, Any]:
    """S9's transaction: the evolución (ClinicalImpression), its diagnosis, prescription and family history."""
    patient = {"reference": f"Patient/{ids['patient']}"}
    encounter_ref = {"reference": f"Encounter/{ids['encounter']}"}
    encounter = clinic.get(f"/fhir/Encounter/{ids['encounter']}").json()
    appointment = clinic.get(f"/fhir/Appointment/{ids['appointment']}").json()
    condition = {
        "resourceType": "Condition", "meta": {"profile": [c.PROFILE_DIAGNOSTICO]},
        "clinicalStatus": coded(c.CONDITION_CLINICAL, "active"),
        "verificationStatus": coded(c.CONDITION_VERIFICATION, "confirmed"),
        "category": [coded(c.CONDITION_CATEGORY, "encounter-diagnosis")],
        "code": {**coded(c.ICD10, icd10), "text": "Infección aguda de vías respiratorias altas"},
        "subject": patient, "encounter": encounter_ref, "recordedDate": "2026-11-30T09:40:00-05:00",
    }  # fmt: skip
    family = {
        "resourceType": "FamilyMemberHistory", "meta": {"profile": [c.PROFILE_ANTECEDENTE_FAMILIAR]},
        "status": "completed", "patient": patient, "date": "2026-11-30",
        "relationship": coded(c.V3_ROLE, "FAMMEMB"),
        "condition": [{"code": {**coded(c.SNOMED, "73211009"), "text": "diabetes"}}],
    }  # fmt: skip
    prescription = {
        "resourceType": "MedicationRequest", "meta": {"profile": [c.PROFILE_PRESCRIPCION]},
        "status": "active", "intent": "order",
        "category": [coded("http://terminology.hl7.org/CodeSystem/medicationrequest-category", "outpatient")],
        "medicationCodeableConcept": {"coding": [{"system": c.CS_MEDICAMENTO, "code": "med-1"}],
                                      "text": "Paracetamol 500 mg tableta"},
        "subject": patient, "encounter": encounter_ref, "authoredOn": "2026-11-30T09:45:00-05:00",
        "dosageInstruction": [{
            "text": "1 tableta vía oral cada 8 horas durante 3 días",
            "timing": {"repeat": {"frequency": 1, "period": 8, "periodUnit": "h", "boundsDuration": {
                "value": 3, "unit": "d", "system": c.UCUM, "code": "d"}}},
            "route": {**coded(c.SNOMED, "26643006"), "text": "oral"},
            "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tableta"}}],
        }],
    }  # fmt: skip
    evolucion = {
        "resourceType": "ClinicalImpression", "meta": {"profile": [c.PROFILE_EVOLUCION]},
        "status": "completed", "subject": patient, "encounter": encounter_ref, "date": "2026-11-30T09:50:00-05:00",
        "description": "Odinofagia y fiebre de 2 días de evolución",
        "investigation": [
            {"code": {"text": "Signos vitales"}, "item": [{"reference": f"Observation/{panel_id}"}]},
            {"code": {"text": "Antecedentes familiares"}, "item": [{"reference": "urn:uuid:5b0a0f4e-0001-4000-8000-000000000002"}]},
        ],
        "problem": [{"reference": "urn:uuid:5b0a0f4e-0001-4000-8000-000000000001"}],
        "finding": [{"itemReference": {"reference": "urn:uuid:5b0a0f4e-0001-4000-8000-000000000001"}}],
        "note": [{"text": "Antecedentes personales: ninguno de importancia"}],
    }  # fmt: skip
    closed = {
        **encounter, "meta": {"profile": [c.PROFILE_ENCOUNTER]}, "status": "finished",
        "reasonCode": [{"text": "Dolor de garganta y fiebre"}],
        "diagnosis": [{"condition": {"reference": "urn:uuid:5b0a0f4e-0001-4000-8000-000000000001"}, "rank": 1}],
        "period": {"start": "2026-11-30T09:10:00-05:00", "end": "2026-11-30T09:50:00-05:00"},
    }  # fmt: skip
    entries = [
        ("urn:uuid:5b0a0f4e-0001-4000-8000-000000000001", condition, "POST", "Condition"),
        ("urn:uuid:5b0a0f4e-0001-4000-8000-000000000002", family, "POST", "FamilyMemberHistory"),
        ("urn:uuid:5b0a0f4e-0001-4000-8000-000000000003", prescription, "POST", "MedicationRequest"),
        ("urn:uuid:5b0a0f4e-0001-4000-8000-000000000004", evolucion, "POST", "ClinicalImpression"),
        (f"{c.CANONICAL_BASE}/x", closed, "PUT", f"Encounter/{ids['encounter']}"),
        (f"{c.CANONICAL_BASE}/y", {**appointment, "status": "fulfilled"}, "PUT", f"Appointment/{ids['appointment']}"),
    ]
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {**({"fullUrl": url} if url.startswith("urn:") else {}), "resource": resource,
             "request": {"method": method, "url": target}}
            for url, resource, method, target in entries
        ],
    }  # fmt: skip


def _triaged(clinic) -> tuple[dict[str, str], str]:
    ids = triage_ready(clinic)
    response = record(clinic, ids["encounter"], {**FORM, "performer": ids["nurse"]})
    return ids, response.json()["entry"][0]["resource"]["id"]


def _counts(clinic, ids: dict[str, str]) -> dict[str, int]:
    found = {}
    for type_name in ("Condition", "ClinicalImpression", "MedicationRequest"):
        search = clinic.get(
            f"/fhir/{type_name}", params={"encounter": f"Encounter/{ids['encounter']}", "_summary": "count"}
        )
        found[type_name] = search.json()["total"]
    found["FamilyMemberHistory"] = clinic.get(
        "/fhir/FamilyMemberHistory", params={"patient": ids["patient"], "_summary": "count"}
    ).json()["total"]
    return found


def test_s9_closing_with_an_unknown_cie10_code_stores_nothing(clinic):
    ids, panel = _triaged(clinic)
    response = clinic.post("/fhir", content=json.dumps(_closing_bundle(clinic, ids, panel, "J99.9")), headers=FHIR_JSON)
    assert response.status_code == 422, response.text
    assert "J99.9" in response.text
    assert _counts(clinic, ids) == {
        "Condition": 0,
        "ClinicalImpression": 0,
        "MedicationRequest": 0,
        "FamilyMemberHistory": 0,
    }
    assert clinic.get(f"/fhir/Encounter/{ids['encounter']}").json()["status"] == "triaged"
    assert clinic.get(f"/fhir/Appointment/{ids['appointment']}").json()["status"] == "arrived"


def _close(clinic) -> tuple[dict[str, str], dict[str, str]]:
    ids, panel = _triaged(clinic)
    response = clinic.post("/fhir", content=json.dumps(_closing_bundle(clinic, ids, panel, "J06.9")), headers=FHIR_JSON)
    assert response.status_code == 200, response.text
    created_refs = {}
    for entry in response.json()["entry"]:
        assert entry["response"]["status"] in ("200 OK", "201 Created")
        type_name, res_id = entry["response"]["location"].split("/fhir/")[1].split("/")[:2]
        created_refs[type_name] = res_id
    return ids, created_refs


def test_s9_closing_the_consultation_atomically(clinic):
    ids, refs = _close(clinic)
    assert _counts(clinic, ids) == {
        "Condition": 1,
        "ClinicalImpression": 1,
        "MedicationRequest": 1,
        "FamilyMemberHistory": 1,
    }
    encounter = clinic.get(f"/fhir/Encounter/{ids['encounter']}").json()
    assert encounter["status"] == "finished"
    assert encounter["diagnosis"][0]["condition"]["reference"] == f"Condition/{refs['Condition']}"
    assert clinic.get(f"/fhir/Appointment/{ids['appointment']}").json()["status"] == "fulfilled"
    evolucion = clinic.get(f"/fhir/ClinicalImpression/{refs['ClinicalImpression']}").json()
    assert evolucion["problem"][0]["reference"] == f"Condition/{refs['Condition']}"
    assert evolucion["investigation"][1]["item"][0]["reference"] == f"FamilyMemberHistory/{refs['FamilyMemberHistory']}"
    dosage = clinic.get(f"/fhir/MedicationRequest/{refs['MedicationRequest']}").json()["dosageInstruction"][0]
    assert dosage["text"].startswith("1 tableta") and dosage["route"]["coding"][0]["code"] == "26643006"
    diagnosed = clinic.get("/fhir/Condition", params={"code:below": f"{c.ICD10}|J06", "subject": ids["patient"]})
    assert diagnosed.json()["total"] == 1


def test_s10_amending_keeps_history_and_marks_replaced_records(clinic):
    ids, refs = _close(clinic)
    evolucion = clinic.get(f"/fhir/ClinicalImpression/{refs['ClinicalImpression']}").json()
    old_request = clinic.get(f"/fhir/MedicationRequest/{refs['MedicationRequest']}").json()
    second = {**clinic.get(f"/fhir/Condition/{refs['Condition']}").json(), "code": coded(c.ICD10, "R51")}
    del second["id"], second["meta"]["versionId"], second["meta"]["lastUpdated"]
    replacement = {k: v for k, v in old_request.items() if k not in ("id",)}
    replacement["meta"] = {"profile": [c.PROFILE_PRESCRIPCION]}
    replacement["dosageInstruction"] = [
        {**old_request["dosageInstruction"][0], "text": "1 tableta vía oral cada 6 horas durante 3 días"}
    ]
    amended = {**evolucion, "problem": [*evolucion["problem"], {"reference": "urn:uuid:5b0a0f4e-0002-4000-8000-000000000001"}],
               "note": [*evolucion["note"], {"text": "Enmienda: se añade cefalea"}]}  # fmt: skip
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:5b0a0f4e-0002-4000-8000-000000000001", "resource": second,
         "request": {"method": "POST", "url": "Condition"}},
        {"resource": replacement, "request": {"method": "POST", "url": "MedicationRequest"}},
        {"resource": {**old_request, "status": "entered-in-error"},
         "request": {"method": "PUT", "url": f"MedicationRequest/{old_request['id']}"}},
        {"resource": amended, "request": {"method": "PUT", "url": f"ClinicalImpression/{evolucion['id']}",
                                          "ifMatch": 'W/"1"'}},
    ]}  # fmt: skip
    response = clinic.post("/fhir", content=json.dumps(bundle), headers=FHIR_JSON)
    assert response.status_code == 200, response.text
    history = clinic.get(f"/fhir/ClinicalImpression/{evolucion['id']}/_history").json()
    assert [e["resource"]["meta"]["versionId"] for e in history["entry"]] == ["2", "1"]
    assert len(history["entry"][0]["resource"]["problem"]) == 2 and len(history["entry"][1]["resource"]["problem"]) == 1
    replaced = clinic.get(f"/fhir/MedicationRequest/{old_request['id']}")
    assert replaced.status_code == 200 and replaced.json()["status"] == "entered-in-error"
    active = clinic.get(
        "/fhir/MedicationRequest", params={"encounter": f"Encounter/{ids['encounter']}", "status": "active"}
    )
    assert active.json()["total"] == 1
    assert _counts(clinic, ids)["Condition"] == 2

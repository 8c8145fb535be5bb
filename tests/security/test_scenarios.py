"""Acceptance scenarios S6, S7 and S11 of legacy-domain.md part D: real logins, a live server, both engines."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.auth.fixtures import live_auth_server
from tests.security.conftest import seed
from tests.security.logins import login, register
from tests.security.world import condition, observation

CARDIOLOGY = "http://snomed.info/sct|394579002"
PATIENT_SCOPES = (
    "patient/*.rs patient/Appointment.cu user/Practitioner.rs user/PractitionerRole.rs user/Schedule.rs user/Slot.rs"
)
STAFF_SCOPES = "user/*.cruds"


def slot(res_id: str, start: str, end: str) -> dict[str, object]:
    return {"resourceType": "Slot", "id": res_id, "schedule": {"reference": "Schedule/agenda"}, "status": "free",
            "start": start, "end": end}  # fmt: skip


@pytest.fixture
def clinic(storage) -> None:
    seed(
        storage,
        {"resourceType": "Patient", "id": "pac", "name": [{"family": "Quispe", "given": ["Pedro"]}]},
        {"resourceType": "Patient", "id": "otro", "name": [{"family": "Vera", "given": ["Olga"]}]},
        {"resourceType": "Practitioner", "id": "doc", "name": [{"family": "Andrade"}]},
        {"resourceType": "Practitioner", "id": "doc2", "name": [{"family": "Borja"}]},
        {"resourceType": "PractitionerRole", "id": "doc-rol", "practitioner": {"reference": "Practitioner/doc"},
         "specialty": [{"coding": [{"system": "http://snomed.info/sct", "code": "394579002"}]}]},
        {"resourceType": "Schedule", "id": "agenda", "actor": [{"reference": "PractitionerRole/doc-rol"}]},
        slot("s0900", "2026-12-07T09:00:00-05:00", "2026-12-07T09:30:00-05:00"),
        slot("s0930", "2026-12-07T09:30:00-05:00", "2026-12-07T10:00:00-05:00"),
        slot("s1000", "2026-12-07T10:00:00-05:00", "2026-12-07T10:30:00-05:00"),
    )  # fmt: skip


@pytest.fixture
def live(storage, auth_db, database_url, clinic) -> Iterator[tuple[httpx.Client, str]]:
    with live_auth_server(storage, database_url, auth_enabled=True) as base, httpx.Client(timeout=30) as http:
        yield http, base


def booking(patient: str, slot_id: str) -> str:
    return json.dumps({"resourceType": "Appointment", "status": "booked", "slot": [{"reference": f"Slot/{slot_id}"}],
                       "participant": [{"actor": {"reference": f"Patient/{patient}"}, "status": "accepted"},
                                       {"actor": {"reference": "PractitionerRole/doc-rol"}, "status": "accepted"}]})  # fmt: skip


def found(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [e["resource"]["id"] for e in response.json().get("entry", []) if e["search"]["mode"] == "match"]


def test_s6_patient_self_service(live, auth_db):
    http, base = live
    pac = login(http, auth_db, base, register(auth_db, "paciente", "Patient/pac"), PATIENT_SCOPES)
    # 1. Practitioners by specialty and a doctor's free slots; no other patient visible.
    assert found(http.get(f"{base}/PractitionerRole", params={"specialty": CARDIOLOGY}, headers=pac)) == ["doc-rol"]
    free = found(http.get(f"{base}/Slot", params={"schedule": "Schedule/agenda", "status": "free"}, headers=pac))
    assert sorted(free) == ["s0900", "s0930", "s1000"]
    assert found(http.get(f"{base}/Patient", headers=pac)) == ["pac"]
    assert http.get(f"{base}/Patient/otro", headers=pac).status_code == 404
    # 2. Books for himself; not for another patient.
    booked = http.post(f"{base}/Appointment", content=booking("pac", "s0900"), headers=pac)
    assert booked.status_code == 201, booked.text
    assert booked.json()["status"] == "booked" and booked.json()["start"] == "2026-12-07T09:00:00-05:00"
    assert http.get(f"{base}/Slot/s0900", headers=pac).json()["status"] == "busy"
    assert http.post(f"{base}/Appointment", content=booking("pac", "s1000"), headers=pac).status_code == 201
    assert http.post(f"{base}/Appointment", content=booking("otro", "s0930"), headers=pac).status_code == 403
    # 3. Only his own appointments, sorted by date.
    assert found(http.get(f"{base}/Appointment", params={"patient": "Patient/otro"}, headers=pac)) == []
    own = http.get(f"{base}/Appointment", params={"patient": "Patient/pac", "_sort": "date"}, headers=pac).json()
    assert [e["resource"]["start"] for e in own["entry"]] == ["2026-12-07T09:00:00-05:00", "2026-12-07T10:00:00-05:00"]


def test_s7_cancellation_and_slot_release(live, auth_db):
    http, base = live
    pac = login(http, auth_db, base, register(auth_db, "paciente", "Patient/pac"), PATIENT_SCOPES)
    sec = login(http, auth_db, base, register(auth_db, "secretaria", "Practitioner/doc2"), STAFF_SCOPES)
    own = http.post(f"{base}/Appointment", content=booking("pac", "s0900"), headers=pac).json()
    # 1. The patient cancels his own booking: reason pat, the slot is free again.
    cancelled = http.put(
        f"{base}/Appointment/{own['id']}", content=json.dumps({**own, "status": "cancelled"}), headers=pac
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["cancelationReason"]["coding"][0]["code"] == "pat"
    assert http.get(f"{base}/Slot/s0900", headers=pac).json()["status"] == "free"
    # 2. The secretary cancels another booking on behalf of the clinic.
    other = http.post(f"{base}/Appointment", content=booking("otro", "s0930"), headers=sec).json()
    reason = {
        "coding": [{"system": "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason", "code": "prov"}]
    }
    by_clinic = {**other, "status": "cancelled", "cancelationReason": reason}
    response = http.put(f"{base}/Appointment/{other['id']}", content=json.dumps(by_clinic), headers=sec)
    assert response.status_code == 200 and response.json()["cancelationReason"]["coding"][0]["code"] == "prov"
    # 3. A fulfilled appointment cannot be cancelled; its slot stays as it was.
    third = http.post(f"{base}/Appointment", content=booking("otro", "s1000"), headers=sec).json()
    fulfilled = http.put(
        f"{base}/Appointment/{third['id']}", content=json.dumps({**third, "status": "fulfilled"}), headers=sec
    )
    assert fulfilled.status_code == 200
    refused = http.put(f"{base}/Appointment/{third['id']}",
                       content=json.dumps({**fulfilled.json(), "status": "cancelled", "cancelationReason": reason}), headers=sec)  # fmt: skip
    assert refused.status_code == 409
    assert http.get(f"{base}/Slot/s1000", headers=sec).json()["status"] == "free"  # fulfilled no longer claims it


def test_s11_access_to_other_doctors_records(live, auth_db, storage):
    http, base = live
    seed(
        storage,
        observation("vitales-pac", "pac"),
        condition("dx-pac", "pac"),
        {"resourceType": "ClinicalImpression", "id": "evol-pac", "status": "completed",
         "subject": {"reference": "Patient/pac"}, "description": "Dolor torácico atípico"},
        {"resourceType": "MedicationRequest", "id": "rx-pac", "status": "active", "intent": "order",
         "medicationCodeableConcept": {"text": "Paracetamol 500 mg"}, "subject": {"reference": "Patient/pac"}},
        {"resourceType": "Encounter", "id": "enc-pac", "status": "finished", "class": {"code": "AMB"},
         "subject": {"reference": "Patient/pac"}, "participant": [{"individual": {"reference": "Practitioner/doc"}}],
         "period": {"start": "2026-11-20T09:00:00-05:00"}},
    )  # fmt: skip
    # 1. A doctor with no appointment or encounter with the patient: hidden unless break-glass with a reason.
    stranger = login(http, auth_db, base, register(auth_db, "doctor", "Practitioner/doc2"), STAFF_SCOPES)
    assert http.get(f"{base}/ClinicalImpression/evol-pac", headers=stranger).status_code == 404
    assert found(http.get(f"{base}/Condition", params={"subject": "Patient/pac"}, headers=stranger)) == []
    glass = {**stranger, "X-Break-Glass": "Paciente llega inconsciente a emergencia"}
    assert http.get(f"{base}/ClinicalImpression/evol-pac", headers=glass).status_code == 200
    treating = login(http, auth_db, base, register(auth_db, "doctor", "Practitioner/doc"), STAFF_SCOPES)
    assert http.get(f"{base}/ClinicalImpression/evol-pac", headers=treating).status_code == 200
    # 2. The secretary reads patients and appointments, never clinical data.
    sec = login(http, auth_db, base, register(auth_db, "secretaria", "Practitioner/doc2"), STAFF_SCOPES)
    assert http.get(f"{base}/Patient/pac", headers=sec).status_code == 200
    assert http.get(f"{base}/Appointment", headers=sec).status_code == 200
    for path in ("ClinicalImpression/evol-pac", "Condition/dx-pac", "Observation/vitales-pac"):
        assert http.get(f"{base}/{path}", headers=sec).status_code == 403, path
    # The nurse reads vital signs and active prescriptions, writes no notes, diagnoses or prescriptions.
    nurse = login(http, auth_db, base, register(auth_db, "enfermera", "Practitioner/doc2"), STAFF_SCOPES)
    assert http.get(f"{base}/Observation/vitales-pac", headers=nurse).status_code == 200
    assert found(http.get(f"{base}/MedicationRequest", params={"status": "active"}, headers=nurse)) == ["rx-pac"]
    for resource in (
        {"resourceType": "ClinicalImpression", "status": "completed", "subject": {"reference": "Patient/pac"}},
        condition("nuevo", "pac"),
        {"resourceType": "MedicationRequest", "status": "active", "intent": "order",
         "medicationCodeableConcept": {"text": "Ibuprofeno"}, "subject": {"reference": "Patient/pac"}},
    ):  # fmt: skip
        response = http.post(f"{base}/{resource['resourceType']}", content=json.dumps(resource), headers=nurse)
        assert response.status_code == 403, resource["resourceType"]

"""Scheduling: slots from opening hours, and no double booking — enforced by the database."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.api.search_helpers import ids, idset, put
from tests.fhir_helpers import FHIR_JSON, issue_codes

PARAMS = {"Content-Type": "application/fhir+json"}


@pytest.fixture
def clinic(client):
    put(client, {"resourceType": "Practitioner", "id": "dr1", "name": [{"family": "Andrade"}]})
    put(client, {"resourceType": "Patient", "id": "p1", "name": [{"family": "Núñez"}]})
    put(client, {"resourceType": "Patient", "id": "p2", "name": [{"family": "Guamán"}]})
    put(client, {"resourceType": "Location", "id": "c1", "name": "Consultorio 1", "hoursOfOperation": [
        {"daysOfWeek": ["mon", "tue", "wed", "thu", "fri"], "openingTime": "08:00:00", "closingTime": "12:00:00"}]})  # fmt: skip
    put(client, {"resourceType": "Schedule", "id": "s-dr1", "actor": [{"reference": "Practitioner/dr1"}]})
    put(client, {"resourceType": "Schedule", "id": "s-c1", "actor": [{"reference": "Location/c1"}]})


def generate(client, schedule, **parameters):
    parameter: list[dict[str, object]] = []
    body = {"resourceType": "Parameters", "parameter": parameter}
    for name, value in parameters.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                parts = [{"name": k, **({"valueCode": v} if k == "daysOfWeek" else {"valueString": v})}
                         for k, vs in item.items() for v in (vs if isinstance(vs, list) else [vs])]  # fmt: skip
                parameter.append({"name": name, "part": parts})
            else:
                key = "valueInteger" if isinstance(item, int) else "valueString"
                parameter.append({"name": name, key: item})
    return client.post(f"/fhir/Schedule/{schedule}/$generate-slots", content=json.dumps(body), headers=PARAMS)


def test_generate_slots_from_given_hours_with_a_break(client, clinic):
    # 2026-12-01 is a Tuesday.
    response = generate(client, "s-dr1", start="2026-12-01", end="2026-12-01", slotMinutes=30,
                        availableTime={"daysOfWeek": ["tue"], "availableStartTime": "09:00:00", "availableEndTime": "12:00:00"},
                        **{"break": {"start": "10:00:00", "end": "10:30:00"}})  # fmt: skip
    assert response.status_code == 200, response.text
    starts = sorted(e["resource"]["start"] for e in response.json()["entry"])
    assert starts == ["2026-12-01T09:00:00-05:00", "2026-12-01T09:30:00-05:00", "2026-12-01T10:30:00-05:00",
                      "2026-12-01T11:00:00-05:00", "2026-12-01T11:30:00-05:00"]  # fmt: skip
    again = generate(client, "s-dr1", start="2026-12-01", end="2026-12-01", slotMinutes=30,
                     availableTime={"daysOfWeek": ["tue"], "availableStartTime": "09:00:00", "availableEndTime": "12:00:00"})  # fmt: skip
    assert again.json()["total"] == 1  # only the former break is new
    free = idset(
        client, "/fhir/Slot", **{"schedule": "Schedule/s-dr1", "status": "free", "start": "ge2026-12-01T10:00:00-05:00"}
    )
    assert len(free) == 4


def test_generate_slots_from_the_rooms_hours(client, clinic):
    response = generate(client, "s-c1", start="2026-12-04", end="2026-12-07", slotMinutes=60)  # Fri..Mon
    assert response.status_code == 200, response.text
    assert response.json()["total"] == 8  # Friday and Monday, 08:00-12:00
    assert generate(client, "s-dr1", start="2026-12-04", end="2026-12-07").status_code == 400  # no hours anywhere
    assert generate(client, "nope", start="2026-12-04", end="2026-12-04", slotMinutes=30,
                    availableTime={"availableStartTime": "08:00:00", "availableEndTime": "09:00:00"}).status_code == 404  # fmt: skip


def appointment(aid, start, end, *actors, status="booked", slot=None):
    body = {"resourceType": "Appointment", "id": aid, "status": status,
            "participant": [{"actor": {"reference": a}, "status": "accepted"} for a in actors]}  # fmt: skip
    if start:
        body |= {"start": start, "end": end}
    if slot:
        body["slot"] = [{"reference": slot}]
    return body


def book(client, body):
    return client.put(f"/fhir/Appointment/{body['id']}", content=json.dumps(body), headers=FHIR_JSON)


def test_no_double_booking_of_a_practitioner_room_or_patient(client, clinic):
    first = book(client, appointment("a1", "2026-12-01T09:00:00-05:00", "2026-12-01T09:30:00-05:00",
                                     "Patient/p1", "Practitioner/dr1", "Location/c1"))  # fmt: skip
    assert first.status_code == 201
    same_doctor = book(client, appointment("a2", "2026-12-01T09:15:00-05:00", "2026-12-01T09:45:00-05:00",
                                           "Patient/p2", "Practitioner/dr1"))  # fmt: skip
    assert same_doctor.status_code == 409
    outcome = same_doctor.json()
    assert issue_codes(outcome) == ["conflict"]
    assert (
        "Practitioner/dr1" in outcome["issue"][0]["diagnostics"]
        and "Appointment/a1" in outcome["issue"][0]["diagnostics"]
    )
    english = client.put("/fhir/Appointment/a2", content=json.dumps(appointment(
        "a2", "2026-12-01T09:15:00-05:00", "2026-12-01T09:45:00-05:00", "Patient/p2", "Location/c1")),
        headers={**FHIR_JSON, "Accept-Language": "en"})  # fmt: skip
    assert english.status_code == 409 and "already has appointment" in english.json()["issue"][0]["diagnostics"]
    same_patient = book(
        client, appointment("a3", "2026-12-01T09:29:00-05:00", "2026-12-01T10:00:00-05:00", "Patient/p1")
    )
    assert same_patient.status_code == 409
    adjacent = book(client, appointment("a4", "2026-12-01T09:30:00-05:00", "2026-12-01T10:00:00-05:00",
                                        "Patient/p1", "Practitioner/dr1", "Location/c1"))  # fmt: skip
    assert adjacent.status_code == 201
    assert client.get("/fhir/Appointment/a2").status_code == 404


def test_a_group_appointment_claims_every_participant(client, clinic):
    """Many claims in one lookup and one insert (a group session): the one that collides is named."""
    group = [f"Patient/g{n}" for n in range(40)]
    for reference in group:
        put(client, {"resourceType": "Patient", "id": reference.split("/")[1], "name": [{"family": "Quishpe"}]})
    session = book(client, appointment("grupo", "2026-12-02T09:00:00-05:00", "2026-12-02T10:00:00-05:00",
                                       "Practitioner/dr1", *group))  # fmt: skip
    assert session.status_code == 201
    later = book(client, appointment("g-later", "2026-12-02T09:50:00-05:00", "2026-12-02T10:20:00-05:00",
                                     "Patient/p1", "Patient/g39"))  # fmt: skip
    assert later.status_code == 409 and "Patient/g39" in later.json()["issue"][0]["diagnostics"]
    after = book(client, appointment("g-after", "2026-12-02T10:00:00-05:00", "2026-12-02T10:30:00-05:00",
                                     "Practitioner/dr1", *group[::-1]))  # fmt: skip
    assert after.status_code == 201


def test_cancelling_frees_the_time(client, clinic):
    body = appointment("a1", "2026-12-01T09:00:00-05:00", "2026-12-01T09:30:00-05:00", "Practitioner/dr1")
    assert book(client, body).status_code == 201
    other = appointment("b1", "2026-12-01T09:00:00-05:00", "2026-12-01T09:30:00-05:00", "Practitioner/dr1")
    assert book(client, other).status_code == 409
    cancel = [{"op": "replace", "path": "/status", "value": "cancelled"}]
    patched = client.patch(
        "/fhir/Appointment/a1", content=json.dumps(cancel), headers={"Content-Type": "application/json-patch+json"}
    )
    assert patched.status_code == 200
    assert book(client, other).status_code == 201
    assert book(client, body | {"status": "booked"}).status_code == 409  # a1 cannot come back over b1
    assert client.delete("/fhir/Appointment/b1").status_code == 200
    # A cancelled appointment is final; the time is booked again with a new one.
    final = book(client, body | {"status": "booked"})
    assert final.status_code == 409 and "cancelled" in final.json()["issue"][0]["diagnostics"]
    again = appointment("c1", "2026-12-01T09:00:00-05:00", "2026-12-01T09:30:00-05:00", "Practitioner/dr1")
    assert book(client, again).status_code == 201


def test_final_statuses_allow_only_corrections(client, clinic):
    body = appointment("f1", "2026-12-02T09:00:00-05:00", "2026-12-02T09:30:00-05:00", "Practitioner/dr1")
    assert book(client, body).status_code == 201
    assert book(client, body | {"status": "arrived"}).status_code == 200
    no_reason = book(client, body | {"status": "cancelled"})
    assert no_reason.status_code == 422
    assert book(client, body | {"status": "fulfilled"}).status_code == 200
    refused = book(client, body | {"status": "cancelled", "cancelationReason": {"text": "error"}})
    assert refused.status_code == 409
    assert book(client, body | {"status": "entered-in-error"}).status_code == 200


def test_slots_follow_their_appointments(client, clinic):
    slots = generate(client, "s-dr1", start="2026-12-01", end="2026-12-01", slotMinutes=30,
                     availableTime={"availableStartTime": "09:00:00", "availableEndTime": "10:00:00"}).json()  # fmt: skip
    slot_id = sorted(slots["entry"], key=lambda e: e["resource"]["start"])[0]["resource"]["id"]
    booked = book(client, appointment("a1", None, None, "Patient/p1", "Practitioner/dr1", slot=f"Slot/{slot_id}"))
    assert booked.status_code == 201, booked.text
    assert booked.json()["start"] == "2026-12-01T09:00:00-05:00"  # taken from the slot
    assert client.get(f"/fhir/Slot/{slot_id}").json()["status"] == "busy"
    assert ids(client, "/fhir/Slot", status="free", schedule="Schedule/s-dr1") != [slot_id]
    # Writing the held slot back as free does not free it: the appointment still holds it.
    held = client.get(f"/fhir/Slot/{slot_id}").json()
    rewritten = client.put(f"/fhir/Slot/{slot_id}", content=json.dumps({**held, "status": "free"}), headers=FHIR_JSON)
    assert rewritten.status_code == 200, rewritten.text
    assert client.get(f"/fhir/Slot/{slot_id}").json()["status"] == "busy"
    again = book(client, appointment("a2", None, None, "Patient/p2", slot=f"Slot/{slot_id}"))
    assert again.status_code == 409
    assert (
        book(
            client, appointment("a1", None, None, "Patient/p1", status="cancelled", slot=f"Slot/{slot_id}")
        ).status_code
        == 200
    )
    assert client.get(f"/fhir/Slot/{slot_id}").json()["status"] == "free"
    missing = book(client, appointment("a3", None, None, "Patient/p1", slot="Slot/none"))
    assert missing.status_code == 422


def test_double_booking_inside_a_transaction_rolls_it_back(client, clinic):
    entries = [{"resource": appointment(f"t{i}", "2026-12-02T09:00:00-05:00", "2026-12-02T09:30:00-05:00", "Practitioner/dr1"),
                "request": {"method": "PUT", "url": f"Appointment/t{i}"}} for i in range(2)]  # fmt: skip
    response = client.post("/fhir", content=json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries}),
                           headers=FHIR_JSON)  # fmt: skip
    assert response.status_code == 409
    assert client.get("/fhir/Appointment", params={"_summary": "count"}).json()["total"] == 0


def test_agenda_search(client, clinic):
    book(
        client,
        appointment("a1", "2026-12-01T09:00:00-05:00", "2026-12-01T09:30:00-05:00", "Patient/p1", "Practitioner/dr1"),
    )
    book(
        client,
        appointment("a2", "2026-12-02T09:00:00-05:00", "2026-12-02T09:30:00-05:00", "Patient/p2", "Practitioner/dr1"),
    )
    assert idset(client, "/fhir/Appointment", date="2026-12-01", practitioner="Practitioner/dr1", status="booked") == {
        "a1"
    }


def test_a_booking_storm_books_each_slot_once(live_server):
    with httpx.Client(timeout=30) as http:
        http.put(
            f"{live_server}/Practitioner/dr9",
            content=json.dumps({"resourceType": "Practitioner", "id": "dr9"}),
            headers=FHIR_JSON,
        )

    def race(n: int) -> int:
        minute = n % 4  # 20 clients over 4 different half hours
        body = appointment(f"storm{n}", f"2026-12-03T{8 + minute:02d}:00:00-05:00", f"2026-12-03T{8 + minute:02d}:30:00-05:00",
                           "Practitioner/dr9")  # fmt: skip
        with httpx.Client(timeout=30) as own:
            return own.put(
                f"{live_server}/Appointment/storm{n}", content=json.dumps(body), headers=FHIR_JSON
            ).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(race, range(20)))
    assert sorted(statuses) == [201] * 4 + [409] * 16, statuses

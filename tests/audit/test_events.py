"""The pure builders: every shape is valid R4 and follows BALP's codes."""

from __future__ import annotations

import base64

import pytest

from fhir_server.audit.codes import outcome_code
from fhir_server.audit.events import Access, Actor, rest_events
from fhir_server.audit.login import Authentication, authentication_event
from fhir_server.audit.provenance import provenance
from fhir_server.model.validation import validate
from tests.audit.helpers import agent, codes, entities, patient_ids, request_ids

SERVER = "http://127.0.0.1:8080/fhir"
DOCTOR = Actor(
    kind="user", user="Practitioner/dr1", account="acc-1", role="doctor", client_id="clinic-web", address="10.0.0.7"
)
WHEN = 1_764_000_000_000_000


def access(interaction: str, **fields: object) -> Access:
    values: dict[str, object] = {"status": 200, "recorded_us": WHEN, "actor": DOCTOR, "server": SERVER}
    values.update(fields)
    return Access(interaction, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("status", "code"), [(200, "0"), (201, "0"), (304, "0"), (404, "4"), (403, "4"), (503, "8")])
def test_outcome_codes(status, code):
    assert outcome_code(status) == code
    assert outcome_code(500) == "12"


def test_patient_read_follows_balp():
    [event] = rest_events(access("read", type_name="Observation", res_id="o1", version=3, patients=("p1",)))
    validate(event)
    assert event["type"]["code"] == "rest"
    assert codes(event["subtype"]) == ["read"]
    assert event["action"] == "R"
    assert event["outcome"] == "0"
    # Reads: the client is the Destination, the server the Source (DICOM's direction of the request).
    client = agent(event, "110152")
    assert client["who"]["identifier"]["value"] == "clinic-web"
    assert client["network"] == {"address": "10.0.0.7", "type": "2"}
    assert client["requestor"] is False
    assert agent(event, "110153")["who"]["identifier"]["value"] == SERVER
    user = agent(event, "IRCP")
    assert user["who"] == {"reference": "Practitioner/dr1"}
    assert user["requestor"] is True
    assert user["role"][0]["coding"][0]["code"] == "doctor"
    assert event["purposeOfEvent"][0]["coding"][0]["code"] == "TREAT"
    assert [e["what"]["reference"] for e in entities(event, "4")] == ["Observation/o1/_history/3"]
    assert patient_ids(event) == ["p1"]
    assert event["source"]["observer"]["identifier"]["value"] == SERVER
    assert event["source"]["site"] == "127.0.0.1"


def test_search_gives_one_event_per_patient_with_the_raw_query():
    raw = "subject=Patient/p1,Patient/p2&code=8310-5&_count=<script>"
    events = rest_events(
        access("search-type", type_name="Observation", patients=("p1", "p2", "p1"), query=raw, request_id="req-9")
    )
    assert [patient_ids(e) for e in events] == [["p1"], ["p2"]]
    for event in events:
        validate(event)
        assert event["action"] == "E"
        assert codes(event["subtype"]) == ["search-type"]
        [query] = entities(event, "24")
        assert base64.b64decode(query["query"]).decode() == raw  # verbatim, malicious input included
        assert query["description"].startswith("Observation?subject=Patient/p1")
        assert request_ids(event) == ["req-9"]
        assert agent(event, "110153")["who"]["identifier"]["value"] == "clinic-web"  # the client is the Source


def test_search_without_patients_still_gives_one_event():
    [event] = rest_events(access("search-system", query="_lastUpdated=gt2020"))
    validate(event)
    assert patient_ids(event) == []


def test_failure_and_operation():
    [event] = rest_events(
        access("operation", status=404, type_name="Patient", res_id="p1", operation="everything", detail="not-found")
    )
    validate(event)
    assert event["outcome"] == "4"
    assert event["outcomeDesc"] == "not-found"
    assert codes(event["subtype"]) == ["operation", "$everything"]


def test_break_glass_is_emergency_treatment_with_its_reason():
    actor = Actor(
        kind="user", user="Practitioner/dr1", role="doctor", client_id="web", break_glass="paciente inconsciente"
    )
    [event] = rest_events(access("read", actor=actor, type_name="Condition", res_id="c1", patients=("p1",)))
    validate(event)
    purpose = event["purposeOfEvent"][0]
    assert purpose["coding"][0]["code"] == "ETREAT"
    assert purpose["text"] == "paciente inconsciente"
    assert agent(event, "IRCP")["purposeOfUse"] == [purpose]


def test_writes_use_the_authoring_agent_and_delete_uses_balp_delete_agents():
    [create] = rest_events(access("create", status=201, type_name="Observation", res_id="o1", version=1))
    validate(create)
    assert create["action"] == "C"
    assert agent(create, "AUT")["who"] == {"reference": "Practitioner/dr1"}
    [delete] = rest_events(access("delete", type_name="Observation", res_id="o1", version=2))
    validate(delete)
    assert delete["action"] == "D"
    assert agent(delete, "110150")["who"]["identifier"]["value"] == "clinic-web"
    assert agent(delete, "custodian")["who"]["identifier"]["value"] == SERVER


def test_anonymous_backend_and_system_callers():
    anonymous = rest_events(access("read", actor=Actor(), type_name="Patient", res_id="p1"))[0]
    validate(anonymous)
    assert [a["requestor"] for a in anonymous["agent"]] == [True, False]  # no user: the client asked
    assert "purposeOfEvent" not in anonymous
    backend = rest_events(access("search-type", actor=Actor(kind="client", client_id="lab"), type_name="Patient"))[0]
    validate(backend)
    assert agent(backend, "110153")["who"]["identifier"]["value"] == "lab"
    system = rest_events(access("create", actor=Actor(kind="system"), type_name="ValueSet", res_id="v"))[0]
    validate(system)
    assert len(system["agent"]) == 1 and system["agent"][0]["requestor"] is True


def test_provenance_of_a_user_write():
    found = provenance(DOCTOR, SERVER, ["Observation/o1/_history/2"], WHEN, "patch")
    validate(found)
    assert found["target"] == [{"reference": "Observation/o1/_history/2"}]
    assert found["activity"]["coding"][0]["code"] == "UPDATE"
    author, app = found["agent"]
    assert author["type"]["coding"][0]["code"] == "author"
    assert author["who"] == {"reference": "Practitioner/dr1"}
    assert app["who"]["identifier"]["value"] == "clinic-web"
    assert found["reason"][0]["coding"][0]["code"] == "TREAT"


@pytest.mark.parametrize(
    ("actor", "who"),
    [
        (Actor(kind="system"), SERVER),
        (Actor(kind="client", client_id="lab"), "lab"),
        (Actor(kind="user", account="acc-9", role="administrador"), "acc-9"),
    ],
)
def test_provenance_authors_without_a_fhir_user(actor, who):
    found = provenance(actor, SERVER, ["Patient/p1/_history/1"], WHEN, "delete")
    validate(found)
    assert found["activity"]["coding"][0]["code"] == "DELETE"
    assert found["agent"][0]["who"]["identifier"]["value"] == who


def test_authentication_events():
    user = Actor(kind="user", user="Patient/p1", account="a1", name="rosa", role="paciente", client_id="app")
    login = authentication_event(Authentication("login", True, WHEN, user, SERVER))
    validate(login)
    assert login["type"]["code"] == "110114"
    assert codes(login["subtype"]) == ["110122"]
    assert login["outcome"] == "0"
    person = agent(login, "humanuser")
    assert person["who"] == {"reference": "Patient/p1"} and person["name"] == "rosa"
    failed = authentication_event(
        Authentication("login", False, WHEN, Actor(kind="user", name="nadie", client_id="app"), SERVER, error="x")
    )
    validate(failed)
    assert failed["outcome"] == "4"
    assert "who" not in agent(failed, "humanuser")
    token = authentication_event(Authentication("token", True, WHEN, user, SERVER, grant_type="refresh_token"))
    validate(token)
    assert codes(token["subtype"]) == ["ITI-71"]
    assert token["entity"][0]["detail"] == [{"type": "grant_type", "valueString": "refresh_token"}]
    logout = authentication_event(Authentication("logout", True, WHEN, Actor(kind="client", client_id="app"), SERVER))
    validate(logout)
    assert codes(logout["subtype"]) == ["110123"]
    assert agent(logout, "110150")["requestor"] is True

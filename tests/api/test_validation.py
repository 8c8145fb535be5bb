"""Every write is validated: 400 with an OperationOutcome pointing at the element, nothing stored."""

from __future__ import annotations

import json

import pytest

from tests.fhir_helpers import FHIR_JSON, expressions, issue_codes, observation, patient

SCRIPT_DIV = '<div xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></div>'
HANDLER_DIV = '<div xmlns="http://www.w3.org/1999/xhtml"><p onclick="x()">hola</p></div>'
JS_LINK_DIV = '<div xmlns="http://www.w3.org/1999/xhtml"><a href="javascript:alert(1)">x</a></div>'

INVALID = [
    pytest.param(b"{not json", "structure", None, id="unparseable"),
    pytest.param(b"[1,2]", "structure", None, id="not-an-object"),
    pytest.param(b"", "required", None, id="empty-body"),
    pytest.param(json.dumps({"name": []}).encode(), "required", None, id="no-resourceType"),
    pytest.param(
        json.dumps(patient(gender="H")).encode(),
        "code-invalid",
        "Patient.gender",
        id="required-binding",
    ),
    pytest.param(
        json.dumps(patient(active="yes")).encode(),
        "structure",
        "Patient.active",
        id="string-for-boolean",
    ),
    pytest.param(
        json.dumps(patient(birthDate="1980-13-01")).encode(),
        "value",
        "Patient.birthDate",
        id="bad-date",
    ),
    pytest.param(json.dumps(patient(foo=1)).encode(), "structure", "Patient.foo", id="unknown-element"),
    pytest.param(json.dumps(patient(birthDate=None)).encode(), "structure", "Patient.birthDate", id="null"),
    pytest.param(json.dumps(patient(telecom=[])).encode(), "structure", "Patient.telecom", id="empty-array"),
    pytest.param(
        json.dumps(patient(name=[{"family": ""}])).encode(),
        "value",
        "Patient.name[0].family",
        id="empty-string",
    ),
    pytest.param(
        json.dumps(patient(managingOrganization={"reference": "not a reference"})).encode(),
        "value",
        "Patient.managingOrganization.reference",
        id="bad-reference-syntax",
    ),
    pytest.param(
        json.dumps(patient(managingOrganization={"reference": "Patient/1"})).encode(),
        "value",
        "Patient.managingOrganization.reference",
        id="reference-wrong-target",
    ),
    pytest.param(
        json.dumps(patient(generalPractitioner=[{"reference": "Practitioner?identifier=1"}])).encode(),
        "value",
        "Patient.generalPractitioner[0].reference",
        id="conditional-reference-outside-transaction",
    ),
    pytest.param(
        json.dumps(patient(text={"status": "generated", "div": SCRIPT_DIV})).encode(),
        "security",
        "Patient.text.div",
        id="narrative-script",
    ),
    pytest.param(
        json.dumps(patient(text={"status": "generated", "div": HANDLER_DIV})).encode(),
        "security",
        "Patient.text.div",
        id="narrative-event-handler",
    ),
    pytest.param(
        json.dumps(patient(text={"status": "generated", "div": JS_LINK_DIV})).encode(),
        "security",
        "Patient.text.div",
        id="narrative-javascript-url",
    ),
    pytest.param(
        json.dumps(observation(status=None) | {"status": "bogus"}).encode(),
        "code-invalid",
        "Observation.status",
        id="observation-status-outside-r4",
    ),
    pytest.param(
        json.dumps({k: v for k, v in observation().items() if k != "code"}).encode(),
        "required",
        "Observation.code",
        id="missing-min-1",
    ),
    pytest.param(
        json.dumps(observation(valueString="x")).encode(),
        "structure",
        None,
        id="two-choice-values",
    ),
]


@pytest.mark.parametrize(("body", "code", "expression"), INVALID)
def test_invalid_writes_are_400_and_store_nothing(client, body, code, expression):
    type_name = "Observation" if b'"Observation"' in body else "Patient"
    response = client.post(f"/fhir/{type_name}", content=body, headers=FHIR_JSON)
    assert response.status_code == 400, response.text
    outcome = response.json()
    assert code in issue_codes(outcome)
    if expression:
        assert expression in expressions(outcome)
    assert "Traceback" not in response.text
    assert client.get(f"/fhir/{type_name}").json().get("entry", []) == []


def test_observation_status_corrected_is_r4_valid(client):
    response = client.post("/fhir/Observation", content=json.dumps(observation(status="corrected")), headers=FHIR_JSON)
    assert response.status_code == 201, response.text


def test_wrong_resource_type_for_the_url(client):
    response = client.post("/fhir/Observation", content=json.dumps(patient()), headers=FHIR_JSON)
    assert response.status_code == 400
    assert "resourceType" in expressions(response.json())


def test_messages_follow_accept_language(client):
    body = json.dumps(patient(gender="H"))
    es = client.post("/fhir/Patient", content=body, headers={**FHIR_JSON, "Accept-Language": "es-EC,es;q=0.9"})
    en = client.post("/fhir/Patient", content=body, headers={**FHIR_JSON, "Accept-Language": "en-US"})
    assert "no es válido" in es.json()["issue"][0]["details"]["text"]
    assert "is not valid" in en.json()["issue"][0]["details"]["text"]
    default = client.post("/fhir/Patient", content=body, headers=FHIR_JSON)
    assert "no es válido" in default.json()["issue"][0]["details"]["text"]


def test_unknown_and_r4_only_types_are_404(client):
    unknown = client.get("/fhir/Bogus")
    assert unknown.status_code == 404
    assert issue_codes(unknown.json()) == ["not-found"]
    r4_only = client.get("/fhir/MedicinalProduct/1")
    assert r4_only.status_code == 404
    assert "MedicinalProduct" in r4_only.json()["issue"][0]["diagnostics"]
    body = json.dumps({"resourceType": "SubstancePolymer"})
    assert client.post("/fhir/SubstancePolymer", content=body, headers=FHIR_JSON).status_code == 404


def test_contained_resources_are_validated(client):
    resource = observation(
        contained=[{"resourceType": "Patient", "id": "p1", "gender": "H"}],
        subject={"reference": "#p1"},
    )
    response = client.post("/fhir/Observation", content=json.dumps(resource), headers=FHIR_JSON)
    assert response.status_code == 400
    assert "Observation.contained[0].gender" in expressions(response.json())


def test_contained_reference_must_resolve(client):
    resource = observation(subject={"reference": "#nobody"})
    response = client.post("/fhir/Observation", content=json.dumps(resource), headers=FHIR_JSON)
    assert response.status_code == 400


def test_primitive_extensions_are_accepted(client):
    resource = patient(
        name=[
            {
                "given": ["Ana", None],
                "_given": [None, {"extension": [{"url": "http://x", "valueString": "y"}]}],
            }
        ],
        _birthDate={"extension": [{"url": "http://x", "valueString": "aprox"}]},
    )
    response = client.post("/fhir/Patient", content=json.dumps(resource), headers=FHIR_JSON)
    assert response.status_code == 201, response.text

"""EHR launch (launch, launch/patient, launch/encounter) and the clinician's patient picker."""

from __future__ import annotations

import re

from fhir_server.auth.accounts import create_account
from fhir_server.auth.clients import create_client
from tests.auth.fixtures import FHIR_BASE, ORIGIN
from tests.auth.smart_app import SmartApp, query_of

REDIRECT = "http://127.0.0.1:9/cb"
FRONTEND = "http://127.0.0.1:9/frontend"
PASSWORD = "una-clave-larga-1"
VITALS = "http://terminology.hl7.org/CodeSystem/observation-category|vital-signs"


def _patient(http, family: str):
    resource = {"resourceType": "Patient", "name": [{"family": family, "given": ["Ana"]}]}
    return http.post("/fhir/Patient", json=resource, headers={"Content-Type": "application/fhir+json"}).json()["id"]


def _setup(http, db):
    create_account(db, "dra", PASSWORD, "doctor", "Practitioner/dra")
    create_account(db, "drb", PASSWORD, "doctor", "Practitioner/drb")
    create_client(
        db, "public", name="Frontend", client_id="frontend", redirect_uris=(FRONTEND,), consent_required=False
    )
    create_client(
        db,
        "public",
        name="Curvas",
        client_id="curvas",
        redirect_uris=(REDIRECT,),
        launch_uri="http://127.0.0.1:9/launch",
    )
    return SmartApp(http, FHIR_BASE, "frontend", FRONTEND), SmartApp(http, FHIR_BASE, "curvas", REDIRECT)


def _staff_token(frontend: SmartApp, username: str):
    code, verifier = frontend.authorize_code("openid fhirUser user/*.cruds", username, PASSWORD)
    return frontend.exchange(code, verifier).json()["access_token"]


def test_ehr_launch_carries_patient_encounter_banner_and_style(auth_http, auth_db):
    frontend, app = _setup(auth_http, auth_db)
    patient = _patient(auth_http, "Pérez")
    token = _staff_token(frontend, "dra")
    launched = auth_http.post(
        "/auth/launch",
        data={"client_id": "curvas", "patient": patient, "encounter": "enc-7"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert launched.status_code == 200, launched.text
    body = launched.json()
    assert body["iss"] == FHIR_BASE
    assert query_of(body["launch_url"]) == {"iss": FHIR_BASE, "launch": body["launch"]}

    scope = "launch openid fhirUser patient/*.rs launch/encounter"
    code, verifier = app.authorize_code(scope, "dra", PASSWORD, launch=body["launch"])
    tokens = app.exchange(code, verifier).json()
    assert tokens["patient"] == patient
    assert tokens["encounter"] == "enc-7"
    assert tokens["need_patient_banner"] is True
    assert auth_http.get(tokens["smart_style_url"].removeprefix(ORIGIN)).status_code == 200
    assert "launch" in tokens["scope"].split() and "launch/encounter" in tokens["scope"].split()
    grant = auth_http.app.state.auth.authenticator.authenticate(tokens["access_token"])
    assert (grant.patient, grant.encounter, grant.role) == (patient, "enc-7", "doctor")

    # a launch is single-use
    again, _ = app.authorize(scope, launch=body["launch"], state="s2")
    assert query_of(again.headers["location"]) == {"error": "invalid_request", "state": "s2"}


def test_a_launch_belongs_to_the_user_who_opened_it(auth_http, auth_db):
    frontend, app = _setup(auth_http, auth_db)
    token = _staff_token(frontend, "dra")
    launch = auth_http.post(
        "/auth/launch",
        data={"client_id": "curvas", "patient": _patient(auth_http, "X")},
        headers={"Authorization": f"Bearer {token}"},
    ).json()["launch"]
    first, _ = app.authorize("launch patient/*.rs", launch=launch, state="s3")
    other_doctor = app.login(first, "drb", PASSWORD)
    assert query_of(other_doctor.headers["location"]) == {"error": "access_denied", "state": "s3"}


def test_launch_creation_needs_a_staff_token_and_a_launchable_client(auth_http, auth_db):
    frontend, _ = _setup(auth_http, auth_db)
    assert auth_http.post("/auth/launch", data={"client_id": "curvas"}).status_code == 401
    token = _staff_token(frontend, "dra")
    refused = auth_http.post(
        "/auth/launch", data={"client_id": "frontend"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 403
    assert refused.json()["resourceType"] == "OperationOutcome"


def test_clinician_standalone_launch_picks_a_patient(auth_http, auth_db):
    _, app = _setup(auth_http, auth_db)
    wanted = _patient(auth_http, "Guamán")
    _patient(auth_http, "Zambrano")
    first, verifier = app.authorize("launch/patient openid fhirUser patient/*.rs", state="s4")
    picker = app.login(first, "dra", PASSWORD)
    assert "Elija el paciente" in picker.text
    found = app.submit(picker, "search", q="guaman")
    assert f"Patient/{wanted}" in found.text and "Zambrano" not in found.text
    unknown = app.submit(found, "pick", patient="no-existe", q="")
    assert unknown.status_code == 200 and "Elija un paciente de la lista" in unknown.text
    consent = app.submit(unknown, "pick", patient=wanted, q="")
    scopes = re.findall(r'name="scope" value="([^"]*)"', consent.text)
    # the doctor's ceiling turns patient/*.rs into the clinical types a doctor may read
    assert "patient/Observation.rs" in scopes and "patient/Condition.rs" in scopes
    assert not any(s.startswith("patient/AuditEvent") for s in scopes)
    done = app.submit(consent, "approve", scope=scopes)
    code = query_of(done.headers["location"])["code"]
    tokens = app.exchange(code, verifier).json()
    assert tokens["patient"] == wanted


def test_role_ceiling_shapes_what_is_offered(auth_http, auth_db):
    _, app = _setup(auth_http, auth_db)
    create_account(auth_db, "enf", PASSWORD, "enfermera", "Practitioner/enf")
    first, verifier = app.authorize("openid user/*.cruds")
    consent = app.login(first, "enf", PASSWORD)
    offered = [s.replace("&amp;", "&") for s in re.findall(r'name="scope" value="([^"]*)"', consent.text)]
    assert f"user/Observation.crus?category={VITALS}" in offered
    assert not any(s.startswith("user/Condition.c") for s in offered)
    assert "Crear, leer, modificar, buscar: Observation a los que usted tiene acceso" in consent.text
    done = app.submit(consent, "approve", scope=offered)
    tokens = app.exchange(query_of(done.headers["location"])["code"], verifier).json()
    assert f"user/Observation.crus?category={VITALS}" in tokens["scope"].split()

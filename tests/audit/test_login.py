"""Logins, token requests and revocations at the authorization server become AuditEvents (never with secrets)."""

from __future__ import annotations

import json

from fhir_server.auth.accounts import create_account
from fhir_server.auth.clients import create_client
from tests.audit.helpers import agent, written
from tests.auth.fixtures import FHIR_BASE
from tests.auth.smart_app import SmartApp

REDIRECT = "http://127.0.0.1:9/app/callback"
PASSWORD = "una-clave-larga-1"
SCOPE = "launch/patient openid fhirUser offline_access patient/*.rs"


def test_login_failure_success_token_refresh_and_revoke_are_audited(auth_http, auth_db, storage):
    patient_id = auth_http.post(
        "/fhir/Patient", json={"resourceType": "Patient"}, headers={"Content-Type": "application/fhir+json"}
    ).json()["id"]
    create_account(auth_db, "rosa", PASSWORD, "paciente", f"Patient/{patient_id}")
    create_client(auth_db, "public", name="Mi salud", client_id="mi-salud", redirect_uris=(REDIRECT,))
    app = SmartApp(auth_http, FHIR_BASE, "mi-salud", REDIRECT)

    first, _ = app.authorize(SCOPE)
    refused = app.login(first, "rosa", "not-the-password")
    assert refused.status_code == 401
    code, verifier = app.authorize_code(SCOPE, "rosa", PASSWORD)
    assert app.exchange(code, "wrong-verifier-" + "x" * 40).status_code == 400
    code, verifier = app.authorize_code(SCOPE, "rosa", PASSWORD)
    tokens = app.exchange(code, verifier).json()
    refreshed = app.refresh(tokens["refresh_token"]).json()
    assert app.revoke(refreshed["refresh_token"]).status_code == 200
    auth_http.app.state.audit.flush()

    events = [e for e in written(storage, "AuditEvent") if e["type"]["code"] == "110114"]
    summary = [(e["subtype"][0]["code"], e["outcome"]) for e in events]
    assert summary == [
        ("110122", "4"),  # wrong password
        ("110122", "0"),  # login
        ("ITI-71", "4"),  # code exchange with a wrong PKCE verifier
        ("110122", "0"),  # login again
        ("ITI-71", "0"),  # authorization_code
        ("ITI-71", "0"),  # refresh_token
        ("110123", "0"),  # revocation
    ]
    failed, login, bad_exchange, _, exchange, refresh, logout = events
    assert agent(failed, "humanuser")["name"] == "rosa"
    assert "who" not in agent(failed, "humanuser")  # a failed login identifies nobody
    assert failed["outcomeDesc"] == "auth-login-failed"
    assert agent(failed, "110150")["who"]["identifier"]["value"] == "mi-salud"
    assert agent(failed, "110150")["network"]["address"]  # the caller's address
    user = agent(login, "humanuser")
    assert user["who"] == {"reference": f"Patient/{patient_id}"}
    assert user["role"][0]["coding"][0]["code"] == "paciente"
    assert bad_exchange["outcomeDesc"] == "invalid_grant"
    assert exchange["entity"][0]["detail"] == [{"type": "grant_type", "valueString": "authorization_code"}]
    assert agent(exchange, "humanuser")["who"] == {"reference": f"Patient/{patient_id}"}
    assert refresh["entity"][0]["detail"][0]["valueString"] == "refresh_token"
    assert agent(logout, "110150")["who"]["identifier"]["value"] == "mi-salud"
    # Never a password, a code or a token in the trail.
    text = json.dumps(events)
    for secret in (PASSWORD, "not-the-password", tokens["access_token"], refreshed["refresh_token"], code):
        assert secret not in text


def test_refused_token_requests_name_the_client_they_claimed(auth_http, storage):
    response = auth_http.post(
        "/auth/token", data={"grant_type": "authorization_code", "code": "c"}, auth=("no-such", "a-secret")
    )
    assert response.status_code == 401
    auth_http.app.state.audit.flush()
    [event] = [e for e in written(storage, "AuditEvent") if e["type"]["code"] == "110114"]
    assert event["outcome"] == "4"
    assert event["outcomeDesc"] == response.json()["error"] == "invalid_client"
    assert agent(event, "110150")["who"]["identifier"]["value"] == "no-such"
    assert agent(event, "110150")["requestor"] is True
    assert "a-secret" not in json.dumps(event)

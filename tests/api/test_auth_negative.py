"""What the authorization server must refuse (security.md 3.5 and 6, API2): redirects, PKCE, codes,
refresh tokens, client authentication, login brute force, CSRF."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from fhir_server.auth.accounts import create_account, deactivate_account
from fhir_server.auth.clients import create_client
from fhir_server.auth.schema import code as code_table
from fhir_server.auth.schema import token as token_table
from tests.auth.fixtures import FHIR_BASE
from tests.auth.smart_app import SmartApp, hidden_fields, pkce_pair, query_of

REDIRECT = "http://127.0.0.1:9/cb"
PASSWORD = "una-clave-larga-1"
SCOPE = "launch/patient openid fhirUser offline_access patient/*.rs"


@dataclass
class World:
    app: SmartApp
    bff: SmartApp
    patient_id: str
    authenticator: object


@pytest.fixture
def world(auth_http, auth_db) -> World:
    patient_id = auth_http.post(
        "/fhir/Patient", json={"resourceType": "Patient"}, headers={"Content-Type": "application/fhir+json"}
    ).json()["id"]
    create_account(auth_db, "rosa", PASSWORD, "paciente", f"Patient/{patient_id}")
    create_client(auth_db, "public", name="App", client_id="app", redirect_uris=(REDIRECT,))
    create_client(auth_db, "public", name="Otra", client_id="otra", redirect_uris=(REDIRECT,))
    _, secret = create_client(auth_db, "confidential", name="BFF", client_id="bff", redirect_uris=(REDIRECT,))
    return World(
        app=SmartApp(auth_http, FHIR_BASE, "app", REDIRECT),
        bff=SmartApp(auth_http, FHIR_BASE, "bff", REDIRECT, secret=secret),
        patient_id=patient_id,
        authenticator=auth_http.app.state.auth.authenticator,
    )


def _tokens(app: SmartApp) -> dict[str, Any]:
    return app.tokens(SCOPE, "rosa", PASSWORD)


# Authorization endpoint


def test_unregistered_redirect_uri_gets_an_error_page_not_a_redirect(world):
    for overrides in ({"redirect_uri": "http://127.0.0.1:9/evil"}, {"client_id": "no-such-app"}):
        response, _ = world.app.authorize(SCOPE, **overrides)
        assert response.status_code == 400
        assert "location" not in response.headers
        assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "https://otro-servidor.example/fhir"},
        {"aud": None},
        {"code_challenge_method": "plain"},
        {"code_challenge_method": None},
        {"code_challenge": None, "code_challenge_method": None},
    ],
    ids=["other-aud", "no-aud", "pkce-plain", "pkce-no-method", "no-pkce"],
)
def test_bad_requests_redirect_with_an_error_and_no_code(world, overrides):
    response, _ = world.app.authorize(SCOPE, state="estado-exacto", **overrides)
    assert response.status_code == 302
    query = query_of(response.headers["location"])
    assert query["error"] == "invalid_request"
    assert query["state"] == "estado-exacto"
    assert "code" not in query


def test_state_is_echoed_byte_for_byte_and_authorize_accepts_post(world):
    state = "a b+c/d%e~ñ"
    world.app.authorize_code(SCOPE, "rosa", PASSWORD, state=state)
    first, _ = world.app.authorize(SCOPE, method="POST", state=state)
    assert first.status_code == 200 and hidden_fields(first)["txn"]
    page = world.app.login(first, "rosa", PASSWORD)
    page = world.app.submit(page, "approve", scope=["patient/*.rs"])
    assert query_of(page.headers["location"])["state"] == state


def test_the_user_can_say_no(world):
    first, _ = world.app.authorize(SCOPE, state="s1")
    page = world.app.login(first, "rosa", PASSWORD)
    denied = world.app.submit(page, "deny")
    assert query_of(denied.headers["location"]) == {"error": "access_denied", "state": "s1"}


def test_consent_can_grant_less(world):
    code, verifier = world.app.authorize_code(SCOPE, "rosa", PASSWORD, keep=["launch/patient", "patient/*.rs"])
    body = world.app.exchange(code, verifier).json()
    assert body["scope"] == "launch/patient patient/*.rs"
    assert "refresh_token" not in body and "id_token" not in body


# Token endpoint: codes and PKCE


@pytest.mark.parametrize("verifier", ["missing", "blank", "wrong", "challenge"])
def test_pkce_failures_at_the_token_endpoint(world, verifier):
    code, _ = world.app.authorize_code(SCOPE, "rosa", PASSWORD)
    sent = {"missing": None, "blank": "", "wrong": pkce_pair()[0], "challenge": pkce_pair()[1]}[verifier]
    response = world.app.exchange(code, sent)
    assert response.status_code == 400
    assert response.json()["error"] in ("invalid_request", "invalid_grant")


def test_code_reuse_fails_and_revokes_what_the_code_gave(world):
    code, verifier = world.app.authorize_code(SCOPE, "rosa", PASSWORD)
    first = world.app.exchange(code, verifier)
    assert first.status_code == 200
    tokens = first.json()
    assert world.authenticator.authenticate(tokens["access_token"]) is not None
    again = world.app.exchange(code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert world.authenticator.authenticate(tokens["access_token"]) is None
    assert world.app.refresh(tokens["refresh_token"]).status_code == 400


def test_codes_are_bound_to_client_and_redirect_uri_and_expire(world, auth_db):
    code, verifier = world.app.authorize_code(SCOPE, "rosa", PASSWORD)
    other = SmartApp(world.app.http, FHIR_BASE, "otra", REDIRECT)
    assert other.exchange(code, verifier).status_code == 400
    unknown = SmartApp(world.app.http, FHIR_BASE, "BAD_CLIENT_ID", REDIRECT)
    assert unknown.exchange(code, verifier).status_code in (400, 401)
    assert world.app.exchange(code, verifier, redirect_uri="http://127.0.0.1:9/other").status_code == 400
    assert world.app.exchange("BAD_CODE", verifier).status_code == 400
    code, verifier = world.app.authorize_code(SCOPE, "rosa", PASSWORD)
    with auth_db.begin() as connection:
        connection.execute(code_table.update().values(expires_us=1))
    expired = world.app.exchange(code, verifier)
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant"


def test_confidential_client_must_authenticate(world):
    code, verifier = world.bff.authorize_code(SCOPE, "rosa", PASSWORD)
    wrong = SmartApp(world.bff.http, FHIR_BASE, "bff", REDIRECT, secret="not-the-secret")
    response = wrong.exchange(code, verifier)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")
    as_public = SmartApp(world.bff.http, FHIR_BASE, "bff", REDIRECT)  # client_id only, no secret
    assert as_public.exchange(code, verifier).status_code in (400, 401)
    assert world.bff.exchange(code, verifier).status_code == 200  # the code survived failed client auth


def test_unknown_grant_type(world):
    response = world.app.token(grant_type="not_a_grant_type")
    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"


# Refresh tokens


def test_refresh_reuse_revokes_the_whole_family(world):
    tokens = _tokens(world.app)
    rotated = world.app.refresh(tokens["refresh_token"]).json()
    assert world.authenticator.authenticate(rotated["access_token"]) is not None
    replay = world.app.refresh(tokens["refresh_token"])  # a stolen copy used after the rotation
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert world.authenticator.authenticate(rotated["access_token"]) is None
    assert world.app.refresh(rotated["refresh_token"]).status_code == 400


def test_refresh_scope_may_shrink_but_not_grow(world):
    tokens = _tokens(world.app)
    grown = world.app.refresh(tokens["refresh_token"], scope=f"{tokens['scope']} user/*.cruds")
    assert grown.status_code == 400 and grown.json()["error"] == "invalid_scope"
    shrunk = world.app.refresh(tokens["refresh_token"], scope="patient/Observation.rs offline_access")
    assert shrunk.status_code == 200
    assert shrunk.json()["scope"] == "patient/Observation.rs offline_access"


def test_refresh_is_bound_to_the_client_and_random_tokens_fail(world):
    tokens = _tokens(world.app)
    other = SmartApp(world.app.http, FHIR_BASE, "otra", REDIRECT)
    assert other.refresh(tokens["refresh_token"]).status_code == 400
    assert world.app.refresh("random-refresh-token").status_code == 400


def test_deactivated_user_token_and_refresh_are_refused(world, auth_db):
    tokens = _tokens(world.app)
    deactivate_account(auth_db, "rosa")
    assert world.authenticator.authenticate(tokens["access_token"]) is None
    assert world.app.refresh(tokens["refresh_token"]).status_code == 400


# Introspection and revocation


def test_introspection_of_invalid_expired_and_revoked_tokens(world, auth_db):
    tokens = _tokens(world.app)
    caller = {"Authorization": f"Bearer {tokens['access_token']}"}
    url = world.app.config["introspection_endpoint"]
    assert world.app.http.post(url, data={"token": "invalid_token_value"}, headers=caller).json() == {"active": False}
    assert world.app.http.post(url, data={"token": tokens["access_token"]}).status_code == 401  # anonymous caller
    basic = world.app.http.post(url, data={"token": tokens["access_token"]}, auth=("bff", world.bff.secret or ""))
    assert basic.json()["active"] is True and basic.json()["patient"] == world.patient_id
    second = _tokens(world.app)
    with auth_db.begin() as connection:
        connection.execute(
            token_table.update()
            .where(token_table.c.kind == "access", token_table.c.scope == second["scope"])
            .values(expires_us=1)
        )
    assert world.authenticator.authenticate(second["access_token"]) is None
    auth = ("bff", world.bff.secret or "")
    assert world.app.http.post(url, data={"token": second["access_token"]}, auth=auth).json() == {"active": False}
    assert world.app.revoke(tokens["access_token"]).status_code == 200
    assert world.app.http.post(url, data={"token": tokens["access_token"]}, auth=auth).json() == {"active": False}
    assert world.app.revoke("unknown-token").status_code == 200  # RFC 7009: fine for unknown tokens


# Login page


def test_unknown_user_and_wrong_password_get_the_same_answer(world):
    first, _ = world.app.authorize(SCOPE)
    unknown = world.app.login(first, "nadie-existe", PASSWORD)
    wrong = world.app.login(first, "rosa", "otra-clave-mala")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.text == wrong.text
    assert "Usuario o contraseña incorrectos" in unknown.text


def test_login_is_throttled(world):
    first, _ = world.app.authorize(SCOPE)
    for _ in range(3):  # the test settings allow 3 failures per account
        assert world.app.login(first, "rosa", "otra-clave-mala").status_code == 401
    throttled = world.app.login(first, "rosa", PASSWORD)
    assert throttled.status_code == 429
    english = world.app.http.post(
        world.app.config["authorization_endpoint"],
        data={**hidden_fields(first), "action": "login", "username": "rosa", "password": PASSWORD},
        headers={"Accept-Language": "en"},
    )
    assert english.status_code == 429 and "Too many failed attempts" in english.text


def test_pages_carry_security_headers(world):
    first, _ = world.app.authorize(SCOPE)
    assert "frame-ancestors 'none'" in first.headers["content-security-policy"]
    assert "form-action 'self' http://127.0.0.1:9" in first.headers["content-security-policy"]
    assert first.headers["x-frame-options"] == "DENY"
    assert first.headers["referrer-policy"] == "no-referrer"
    assert first.headers["cache-control"] == "no-store"
    assert "httponly" in first.headers["set-cookie"].lower()
    assert re.search(r"samesite=lax", first.headers["set-cookie"], re.I)


def test_forms_need_their_csrf_token_browser_and_origin(world):
    first, _ = world.app.authorize(SCOPE)
    fields = hidden_fields(first)
    url = world.app.config["authorization_endpoint"]
    login = {"action": "login", "username": "rosa", "password": PASSWORD}
    bad_csrf = world.app.http.post(url, data={**login, "txn": fields["txn"], "csrf": "forged"})
    assert bad_csrf.status_code == 400 and "location" not in bad_csrf.headers
    other_site = world.app.http.post(url, data={**login, **fields}, headers={"Origin": "https://evil.example"})
    assert other_site.status_code == 403
    cookies = dict(world.app.http.cookies)
    world.app.http.cookies.clear()  # another browser holding a stolen page
    assert world.app.http.post(url, data={**login, **fields}).status_code == 400
    world.app.http.cookies.update(cookies)
    assert world.app.http.post(url, data={**login, **fields}).status_code == 200


def test_the_pages_speak_english_when_asked(world):
    response, _ = world.app.authorize(SCOPE)
    english, _ = world.app.authorize(SCOPE)
    page = world.app.http.get(response.url, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Sign in" in page.text and "Iniciar sesión" in english.text


def test_tokens_are_never_stored_in_clear(world, auth_db):
    tokens = _tokens(world.app)
    with auth_db.connect() as connection:
        stored = " ".join(str(v) for row in connection.execute(sa.select(token_table)).all() for v in row)
    assert tokens["access_token"] not in stored and tokens["refresh_token"] not in stored


def test_a_patient_cannot_browse_the_patient_picker(world):
    first, verifier = world.app.authorize(SCOPE)
    consent = world.app.login(first, "rosa", PASSWORD)
    browsed = world.app.submit(consent, "search", q="")
    assert browsed.status_code == 200
    assert 'name="q"' not in browsed.text and f"Patient/{world.patient_id}" not in browsed.text
    picked = world.app.submit(consent, "pick", patient="someone-else")
    assert 'name="scope"' in picked.text  # back to consent; the patient stays themself
    done = world.app.submit(consent, "approve", scope=["launch/patient", "patient/*.rs"])
    tokens = world.app.exchange(query_of(done.headers["location"])["code"], verifier).json()
    assert tokens["patient"] == world.patient_id

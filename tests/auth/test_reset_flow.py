"""Forgot / reset password over HTTP against a live server (S12 step 2, security.md 5.6-5.7, OWASP API2/API6).

Time is moved with the reset service's injectable clock (``app.state.password_resets.clock``), never
by sleeping.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import sqlalchemy as sa

from fhir_server.api.app import create_app
from fhir_server.auth.accounts import LoginResult, check_login, create_account, deactivate_account
from fhir_server.auth.clients import create_client
from fhir_server.auth.common import digest
from fhir_server.auth.grant import TokenAuthenticator
from fhir_server.auth.mail import undelivered
from fhir_server.auth.schema import account, reset_token
from fhir_server.auth.throttle import LoginLimits
from fhir_server.model.instants import now_us
from tests.auth.smart_app import SmartApp
from tests.conftest import make_settings, serving

REDIRECT = "http://127.0.0.1:9/frontend/callback"
PASSWORD = "una-clave-larga-1"
NEW_PASSWORD = "mi nueva frase de paso 7"
_CSRF = re.compile(r'name="csrf" value="([^"]*)"')


class Clock:
    """Real time plus an offset the test moves."""

    def __init__(self) -> None:
        self.offset_us = 0

    def __call__(self) -> int:
        return now_us() + self.offset_us

    def advance(self, seconds: int) -> None:
        self.offset_us += seconds * 1_000_000


@dataclass
class Site:
    http: httpx.Client
    base: str
    engine: sa.Engine
    clock: Clock

    @property
    def auth(self) -> str:
        return self.base.removesuffix("/fhir") + "/auth"

    def forgot(self, identifier: str, **headers: str) -> httpx.Response:
        page = self.http.get(f"{self.auth}/forgot", headers=headers)
        assert page.status_code == 200, page.text
        csrf = _CSRF.search(page.text)
        assert csrf is not None
        return self.http.post(f"{self.auth}/forgot", data={"identifier": identifier, "csrf": csrf[1]}, headers=headers)

    def reset(self, link: str, password: str, confirmation: str | None = None) -> httpx.Response:
        page = self.http.get(link)
        if page.status_code != 200:
            return page
        form = {
            "token": token_of(link),
            "csrf": _CSRF.findall(page.text)[0],
            "password": password,
            "confirmation": password if confirmation is None else confirmation,
        }
        return self.http.post(f"{self.auth}/reset", data=form)

    def links(self) -> list[str]:
        return [re.findall(r"^(http\S+)$", mail.body, re.MULTILINE)[0] for mail in undelivered(self.engine)]


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


@contextmanager
def reset_site(storage, engine, database_url, **overrides: Any) -> Iterator[Site]:
    clock = Clock()
    settings = {"auth_reset_max_per_ip": 1000, **overrides}

    def make_app(base: str) -> Any:
        app = create_app(make_settings(database_url, base_url=base, **settings), storage=storage)
        app.state.password_resets.clock = clock
        return app

    with serving(make_app) as base, httpx.Client(timeout=30) as http:
        yield Site(http, base, engine, clock)


@pytest.fixture
def site(storage, auth_db, database_url) -> Iterator[Site]:
    create_account(auth_db, "dra.lopez", PASSWORD, "doctor", "Practitioner/dra", email="Lopez@Clinica.ec")
    with reset_site(storage, auth_db, database_url) as running:
        yield running


def _comparable(response: httpx.Response) -> tuple[int, str, dict[str, str]]:
    headers = {k: v for k, v in response.headers.items() if k not in ("date", "x-request-id", "content-length")}
    return response.status_code, response.text, headers


def test_forgot_answers_alike_whether_or_not_the_account_exists(site):
    create_account(site.engine, "sin.correo", PASSWORD, "secretaria", "Practitioner/s")
    create_account(site.engine, "baja", PASSWORD, "enfermera", "Practitioner/b", email="baja@clinica.ec")
    deactivate_account(site.engine, "baja")
    answers = [
        site.forgot(name)
        for name in ("dra.lopez", "nadie", "nadie@clinica.ec", "sin.correo", "baja", "LOPEZ@clinica.ec", "")
    ]
    assert answers[0].status_code == 200
    assert "Si existe una cuenta activa" in answers[0].text
    assert all(_comparable(answer) == _comparable(answers[0]) for answer in answers)
    assert answers[0].headers["cache-control"] == "no-store"
    assert answers[0].headers["referrer-policy"] == "no-referrer"
    mails = undelivered(site.engine)
    assert [m.recipient for m in mails] == ["lopez@clinica.ec", "lopez@clinica.ec"]  # by user name, then by e-mail
    assert mails[0].subject == "Recuperación de contraseña" and "dra.lopez" in mails[0].body


def test_the_token_is_stored_hashed_works_once_and_ends_every_session(site):
    create_client(
        site.engine, "public", name="Frontend", client_id="frontend", redirect_uris=(REDIRECT,), consent_required=False
    )
    app = SmartApp(site.http, site.base, "frontend", REDIRECT)
    code, verifier = app.authorize_code("openid fhirUser offline_access user/*.cruds", "dra.lopez", PASSWORD)
    old = app.exchange(code, verifier).json()
    authenticator = TokenAuthenticator(site.engine, site.base)
    assert authenticator.authenticate(old["access_token"]) is not None

    site.forgot("dra.lopez")
    (link,) = site.links()
    raw = token_of(link)
    assert len(raw) >= 43  # 256 bits, URL-safe base64
    with site.engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(sa.select(reset_token)).all()]
    assert len(rows) == 1 and rows[0][0] == digest(raw)
    assert not any(raw in str(value) for value in rows[0])  # only the hash is stored

    done = site.reset(link, NEW_PASSWORD)
    assert done.status_code == 200, done.text
    assert "Su contraseña cambió" in done.text
    with site.engine.connect() as connection:
        stored = connection.execute(sa.select(account.c.password_hash)).scalar()
    assert str(stored).startswith("$argon2id$")
    # Every old session ends: access token, refresh family.
    assert authenticator.authenticate(old["access_token"]) is None
    assert app.refresh(old["refresh_token"]).status_code == 400
    assert check_login(site.engine, "dra.lopez", PASSWORD, "10.0.0.1", LoginLimits())[0] is LoginResult.FAILED
    assert check_login(site.engine, "dra.lopez", NEW_PASSWORD, "10.0.0.2", LoginLimits())[0] is LoginResult.OK
    # Single use.
    again = site.http.get(link)
    assert again.status_code == 400 and "ya se usó" in again.text
    page = site.http.get(f"{site.auth}/forgot")  # a fresh CSRF token, the spent link
    replay = site.http.post(
        f"{site.auth}/reset",
        data={
            "token": raw,
            "csrf": _CSRF.findall(page.text)[0],
            "password": "otra-frase-9x",
            "confirmation": "otra-frase-9x",
        },
    )
    assert replay.status_code in (400, 403)
    assert check_login(site.engine, "dra.lopez", NEW_PASSWORD, "10.0.0.3", LoginLimits())[0] is LoginResult.OK


def test_the_link_expires_after_an_hour(site):
    site.forgot("dra.lopez")
    (link,) = site.links()
    site.clock.advance(59 * 60)
    assert site.http.get(link).status_code == 200
    site.clock.advance(2 * 60)
    expired = site.http.get(link)
    assert expired.status_code == 400 and "caducó" in expired.text
    assert site.reset(link, NEW_PASSWORD).status_code == 400
    assert check_login(site.engine, "dra.lopez", PASSWORD, "10.0.0.1", LoginLimits())[0] is LoginResult.OK


def test_an_expiry_between_showing_the_form_and_posting_it_is_refused(site):
    site.forgot("dra.lopez")
    (link,) = site.links()
    page = site.http.get(link)
    site.clock.advance(3601)
    form = {
        "token": token_of(link),
        "csrf": _CSRF.findall(page.text)[0],
        "password": NEW_PASSWORD,
        "confirmation": NEW_PASSWORD,
    }
    assert site.http.post(f"{site.auth}/reset", data=form).status_code == 400
    assert check_login(site.engine, "dra.lopez", PASSWORD, "10.0.0.1", LoginLimits())[0] is LoginResult.OK


def test_the_link_uses_the_configured_public_url_not_the_host_header(site):
    response = site.forgot("dra.lopez", Host="attacker.example", **{"X-Forwarded-Host": "attacker.example"})
    assert response.status_code == 200
    (link,) = site.links()
    assert link.startswith(f"{site.auth}/reset?token=")
    assert "attacker" not in undelivered(site.engine)[0].body


def test_a_configured_issuer_is_the_links_base(storage, auth_db, database_url):
    create_account(auth_db, "ana", PASSWORD, "secretaria", "Practitioner/ana", email="ana@clinica.ec")
    public = "https://clinica.example.ec/auth"
    with reset_site(storage, auth_db, database_url, auth_issuer=public) as running:
        url = f"{running.auth}/forgot"
        page = running.http.get(url)
        cookie = page.headers["set-cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/auth" in cookie
        assert page.headers["strict-transport-security"]
        # The cookie is Secure, so this plain-http client would not send it back by itself.
        browser = cookie.split(";")[0]
        form = {"identifier": "ana", "csrf": _CSRF.findall(page.text)[0]}
        sent = running.http.post(url, data=form, headers={"Cookie": browser})
        assert sent.status_code == 200, sent.text
    (mail,) = undelivered(auth_db)
    assert f"{public}/reset?token=" in mail.body


def test_a_newer_link_voids_the_older_one(site):
    site.forgot("dra.lopez")
    site.forgot("lopez@clinica.ec")
    first, second = site.links()
    assert site.http.get(first).status_code == 400
    assert site.reset(second, NEW_PASSWORD).status_code == 200


def test_forgot_requests_are_throttled_per_name_and_per_ip(storage, auth_db, database_url):
    create_account(auth_db, "ana", PASSWORD, "secretaria", "Practitioner/ana", email="ana@clinica.ec")
    with reset_site(storage, auth_db, database_url, auth_reset_max_per_account=2, auth_reset_max_per_ip=5) as running:
        for name in ("ana", "fantasma"):  # an unknown name is throttled exactly like a known one
            assert [running.forgot(name).status_code for _ in range(3)] == [200, 200, 429]
        throttled = running.forgot("ana")
        assert throttled.headers["retry-after"] == "3600"
        assert "Demasiadas solicitudes" in throttled.text
        assert len(undelivered(auth_db)) == 2  # the throttled requests sent nothing
        # Refused requests do not count: four counted so far, one left for this address.
        assert running.forgot("otra").status_code == 200
        assert running.forgot("otra-mas").status_code == 429
        running.clock.advance(3601)  # a new window
        assert running.forgot("ana").status_code == 200
        assert len(undelivered(auth_db)) == 3
        assert running.forgot("otra-mas").status_code == 200


def test_forms_need_their_csrf_token_and_this_origin(site):
    url = f"{site.auth}/forgot"
    assert site.http.post(url, data={"identifier": "dra.lopez"}).status_code == 403
    page = site.http.get(url)
    csrf = _CSRF.findall(page.text)[0]
    cross = site.http.post(
        url, data={"identifier": "dra.lopez", "csrf": csrf}, headers={"Origin": "https://evil.example"}
    )
    assert cross.status_code == 403
    with httpx.Client(timeout=30) as stranger:  # another browser (no cookie) posting a stolen token
        assert stranger.post(url, data={"identifier": "dra.lopez", "csrf": csrf}).status_code == 403
    assert site.http.post(url, data={"identifier": "dra.lopez", "csrf": csrf}).status_code == 200
    assert site.http.post(url, data={"identifier": "dra.lopez", "csrf": csrf}).status_code == 403  # spent
    assert len(undelivered(site.engine)) == 1


def test_the_new_password_must_follow_the_policy_and_a_refusal_keeps_the_link(site):
    site.forgot("dra.lopez")
    (link,) = site.links()
    for password, confirmation, text in [
        ("corta", "corta", "al menos 8 caracteres"),
        ("password123", "password123", "demasiado común"),
        ("dra.lopez-2024", "dra.lopez-2024", "nombre de usuario"),
        (NEW_PASSWORD, "otra cosa distinta", "no coinciden"),
    ]:
        refused = site.reset(link, password, confirmation)
        assert refused.status_code == 400 and text in refused.text, refused.text
        assert 'name="password"' in refused.text  # the form again, with a fresh CSRF token
    assert site.reset(link, NEW_PASSWORD).status_code == 200


def test_pages_and_mail_in_english(site):
    english = {"Accept-Language": "en-US,en;q=0.9"}
    page = site.http.get(f"{site.auth}/forgot", headers=english)
    assert "Reset your password" in page.text and 'lang="en"' in page.text
    assert "If an active account matches" in site.forgot("dra.lopez", **english).text
    (mail,) = undelivered(site.engine)
    assert mail.subject == "Password reset" and "valid for 60 minutes" in mail.body


def test_the_login_page_links_to_forgot(site):
    create_client(site.engine, "public", name="App", client_id="app", redirect_uris=(REDIRECT,))
    first, _ = SmartApp(site.http, site.base, "app", REDIRECT).authorize("openid fhirUser user/*.rs")
    assert '<a href="forgot">' in first.text
    assert site.http.get(f"{site.auth}/forgot").status_code == 200  # where that relative link lands

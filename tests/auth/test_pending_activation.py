"""Accounts pending activation (imported ones): no login, no tokens, until a reset link sets a password
and activates them; an administrator's deactivation still blocks login and reset; send-activation mails
one link per pending account with an e-mail and lists the ones without (CLI and admin API)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from fhir_server.auth.accounts import (
    LoginResult,
    check_login,
    create_account,
    create_pending_account,
    deactivate_account,
    find_account,
)
from fhir_server.auth.clients import create_client
from fhir_server.auth.grant import TokenAuthenticator
from fhir_server.auth.mail import undelivered
from fhir_server.auth.operator_tokens import issue_token
from fhir_server.auth.schema import account
from fhir_server.auth.throttle import LoginLimits
from fhir_server.cli import main
from fhir_server.errors import NotFound
from tests.auth.smart_app import SmartApp
from tests.auth.test_reset_flow import NEW_PASSWORD, PASSWORD, Site, reset_site

REDIRECT = "http://127.0.0.1:9/frontend/callback"
SCOPE = "openid fhirUser offline_access user/*.cruds"
_VOLATILE = re.compile(r'name="(txn|csrf)" value="[^"]*"')


@pytest.fixture
def site(storage, auth_db, database_url) -> Iterator[Site]:
    create_client(
        auth_db, "public", name="Frontend", client_id="frontend", redirect_uris=(REDIRECT,), consent_required=False
    )
    create_pending_account(auth_db, "dr.garcia", "doctor", "Practitioner/garcia", "Garcia@Clinica.ec")
    with reset_site(storage, auth_db, database_url) as running:
        yield running


def _login_page(site: Site, username: str, password: str) -> tuple[int, str]:
    """The page a login attempt answers with, without its per-transaction fields."""
    app = SmartApp(site.http, site.base, "frontend", REDIRECT)
    first, _verifier = app.authorize(SCOPE)
    answer = app.login(first, username, password)
    return answer.status_code, _VOLATILE.sub("", answer.text)


def _tokens(site: Site, username: str, password: str) -> dict[str, Any]:
    return SmartApp(site.http, site.base, "frontend", REDIRECT).tokens(SCOPE, username, password)


def _activation_links(site: Site) -> list[tuple[str, str]]:
    """(recipient, link) of every undelivered message."""
    return [
        (mail.recipient, re.findall(r"^(http\S+)$", mail.body, re.MULTILINE)[0]) for mail in undelivered(site.engine)
    ]


def test_a_pending_account_cannot_log_in_nor_get_tokens(site):
    pending = find_account(site.engine, "dr.garcia")
    assert pending is not None and pending.state == "pending" and not pending.active
    with site.engine.connect() as connection:
        stored = connection.execute(sa.select(account.c.password_hash)).scalar_one()
    assert not str(stored).startswith("$argon2")  # no password at all, hence none that works
    for guess in ("", PASSWORD, str(stored)):
        assert check_login(site.engine, "dr.garcia", guess, "10.0.0.1", LoginLimits())[0] is LoginResult.FAILED
    # The login page answers exactly as for a wrong password: no account enumeration.
    create_account(site.engine, "dra.paz", PASSWORD, "doctor", "Practitioner/paz")
    assert _login_page(site, "dr.garcia", PASSWORD) == _login_page(site, "dra.paz", "otra-clave-larga-9")
    assert _login_page(site, "dr.garcia", PASSWORD) == _login_page(site, "nadie", PASSWORD)
    with pytest.raises(NotFound):
        issue_token(site.engine, "dr.garcia", "user/*.rs", audience=site.base, minutes=5)


def test_forgot_and_reset_activate_a_pending_account(site):
    assert site.forgot("dr.garcia").status_code == 200
    ((recipient, link),) = _activation_links(site)
    assert recipient == "garcia@clinica.ec"
    done = site.reset(link, NEW_PASSWORD)
    assert done.status_code == 200, done.text
    activated = find_account(site.engine, "dr.garcia")
    assert activated is not None and activated.state == "active"
    tokens = _tokens(site, "dr.garcia", NEW_PASSWORD)
    grant = TokenAuthenticator(site.engine, site.base).authenticate(tokens["access_token"])
    assert grant is not None and grant.fhir_user == "Practitioner/garcia"


def test_an_administrator_deactivated_account_cannot_reset(site, capsys, monkeypatch, database_url):
    monkeypatch.setenv("FHIR_DATABASE_URL", database_url)
    monkeypatch.setenv("FHIR_BASE_URL", site.base)
    assert main(["send-activation", "--user", "dr.garcia"]) == 0
    ((_recipient, link),) = _activation_links(site)
    deactivate_account(site.engine, "dr.garcia")  # before the person used the link
    assert find_account(site.engine, "dr.garcia").state == "deactivated"  # type: ignore[union-attr]
    assert site.http.get(link).status_code == 400
    assert site.reset(link, NEW_PASSWORD).status_code == 400
    site.forgot("dr.garcia")  # answers as always, sends nothing
    assert len(undelivered(site.engine)) == 1
    capsys.readouterr()
    assert main(["send-activation", "--all-pending"]) == 0
    assert main(["send-activation", "--user", "dr.garcia"]) == 0
    assert "not pending activation (deactivated), nothing sent: dr.garcia" in capsys.readouterr().out
    assert len(undelivered(site.engine)) == 1
    assert check_login(site.engine, "dr.garcia", NEW_PASSWORD, "10.0.0.1", LoginLimits())[0] is LoginResult.FAILED


def test_send_activation_mails_every_pending_account_and_lists_those_without_e_mail(
    site, capsys, monkeypatch, database_url
):
    monkeypatch.setenv("FHIR_DATABASE_URL", database_url)
    monkeypatch.setenv("FHIR_BASE_URL", site.base)
    create_pending_account(site.engine, "enf.ana", "enfermera", "Practitioner/ana", "ana@clinica.ec")
    create_pending_account(site.engine, "sec.luis", "secretaria", "Practitioner/luis")  # no e-mail
    create_account(site.engine, "activa", PASSWORD, "doctor", "Practitioner/activa", "activa@clinica.ec")
    create_pending_account(site.engine, "baja", "doctor", "Practitioner/baja", "baja@clinica.ec")
    deactivate_account(site.engine, "baja")
    capsys.readouterr()
    assert main(["send-activation", "--all-pending", "--lang", "en"]) == 0
    output = capsys.readouterr()
    assert output.out.splitlines() == [
        "sent: dr.garcia",
        "sent: enf.ana",
        "needs an administrator (no e-mail; use set-email, then send again): sec.luis",
    ]
    assert "2 activation link(s)" in output.err and "1 without e-mail" in output.err
    mails = undelivered(site.engine)
    assert sorted(m.recipient for m in mails) == ["ana@clinica.ec", "garcia@clinica.ec"]
    assert all(m.subject == "Activate your account in the clinic's new system" for m in mails)
    assert all("valid for 72 hours" in m.body for m in mails)
    # The link is still valid after a day (a forgot-password link lasts an hour).
    site.clock.advance(24 * 3600)
    links = dict(_activation_links(site))
    assert site.reset(links["ana@clinica.ec"], NEW_PASSWORD).status_code == 200
    assert find_account(site.engine, "enf.ana").state == "active"  # type: ignore[union-attr]
    # A typo sends nothing at all.
    assert main(["send-activation", "--user", "dr.garcia", "--user", "no.existe"]) == 2
    assert len(undelivered(site.engine)) == 2


def test_the_admin_api_sends_activation_links(site):
    create_pending_account(site.engine, "sec.luis", "secretaria", "Practitioner/luis")
    create_account(site.engine, "admin", PASSWORD, "administrador", None)
    admin = {"Authorization": f"Bearer {_tokens(site, 'admin', PASSWORD)['access_token']}"}
    url = site.base.removesuffix("/fhir") + "/auth/admin"
    listed = site.http.get(f"{url}/users/dr.garcia", headers=admin).json()
    assert listed["active"] is False and listed["pendingActivation"] is True
    sent = site.http.post(f"{url}/send-activation", json={"allPending": True}, headers=admin)
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"sent": ["dr.garcia"], "withoutEmail": ["sec.luis"], "notPending": []}
    again = site.http.post(f"{url}/send-activation", json={"usernames": ["admin"], "lang": "en"}, headers=admin)
    assert again.json()["notPending"] == [{"username": "admin", "state": "active"}]
    for body in ({}, {"allPending": True, "usernames": ["x"]}, {"usernames": "dr.garcia"}, {"lang": "fr"}):
        assert site.http.post(f"{url}/send-activation", json=body, headers=admin).status_code == 400
    assert site.http.post(f"{url}/send-activation", json={"allPending": True}).status_code == 401
    assert len(undelivered(site.engine)) == 1

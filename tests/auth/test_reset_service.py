"""The password policy, the reset service with an injected clock, and the mail sinks."""

from __future__ import annotations

import json
import logging
import threading

import pytest
import sqlalchemy as sa

from fhir_server.auth.accounts import (
    LoginResult,
    check_login,
    create_account,
    deactivate_account,
    set_email,
    set_password,
)
from fhir_server.auth.mail import FileSender, LogSender, OutboxSender, make_sender, mark_sent, undelivered
from fhir_server.auth.passwords import generate_password, password_problem
from fhir_server.auth.resets import PasswordResets, ResetLimits, ResetOutcome
from fhir_server.auth.schema import outbox, reset_token
from fhir_server.auth.throttle import LoginLimits
from fhir_server.errors import Conflict, Invalid

PASSWORD = "clave-segura-123"
PUBLIC = "https://clinica.example.ec/auth"
START = 1_800_000_000 * 1_000_000


class FixedClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> int:
        return self.now


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("corta", "auth-password-too-short"),
        ("x" * 257, "auth-password-too-long"),
        ("12345678", "auth-password-too-common"),
        ("Password123!", "auth-password-too-common"),
        ("Contraseña2024", "auth-password-too-common"),
        ("admin123", "auth-password-too-common"),
        ("aaaaaaaaaa", "auth-password-too-simple"),
        ("abababababab", "auth-password-too-simple"),
        ("soy-dra.lopez", "auth-password-has-username"),
        ("una frase larga cualquiera", None),
        ("correct horse battery staple", None),
        ("ñandú-veloz-9", None),
    ],
)
def test_password_policy(password, problem):
    found = password_problem(password, "dra.lopez")
    assert (found[0] if found else None) == problem


def test_generated_passwords_pass_the_policy():
    assert all(password_problem(generate_password("abc"), "abc") is None for _ in range(200))


def test_accounts_apply_the_policy_and_keep_e_mails_unique(auth_db):
    with pytest.raises(Invalid):
        create_account(auth_db, "ana", "password1", "secretaria", "Practitioner/ana")
    create_account(auth_db, "ana", PASSWORD, "secretaria", "Practitioner/ana", email=" Ana@Clinica.EC ")
    with pytest.raises(Conflict):
        create_account(auth_db, "ana2", PASSWORD, "secretaria", "Practitioner/ana2", email="ana@clinica.ec")
    with pytest.raises(Invalid):
        set_email(auth_db, "ana", "sin-arroba")
    with pytest.raises(Invalid):
        set_password(auth_db, "ana", "ana-ana-ana-1")  # contains the user name
    assert set_email(auth_db, "ana", "").email is None


def _service(engine, clock, **kwargs):
    return PasswordResets(engine, public_url=PUBLIC, sender=OutboxSender(), clock=clock, **kwargs)


def _token(engine) -> str:
    (mail,) = undelivered(engine)
    return mail.body.split("?token=")[1].split()[0]


def test_expiry_is_one_hour_by_the_injected_clock(auth_db):
    clock = FixedClock()
    create_account(auth_db, "ana", PASSWORD, "secretaria", "Practitioner/ana", email="ana@clinica.ec")
    resets = _service(auth_db, clock)
    assert resets.request("ana", "10.0.0.1", "es")
    raw = _token(auth_db)
    with auth_db.connect() as connection:
        row = connection.execute(sa.select(reset_token)).one()
    assert row.expires_us - row.created_us == 3600 * 1_000_000
    clock.now = row.expires_us - 1
    assert resets.account_for(raw) is not None
    clock.now = row.expires_us
    assert resets.account_for(raw) is None
    assert resets.complete(raw, "otra-frase-larga", "otra-frase-larga").outcome is ResetOutcome.BAD_LINK


def test_only_one_of_two_concurrent_resets_wins(auth_db):
    create_account(auth_db, "ana", PASSWORD, "secretaria", "Practitioner/ana", email="ana@clinica.ec")
    resets = _service(auth_db, FixedClock())
    resets.request("ana", "10.0.0.1", "es")
    raw = _token(auth_db)
    outcomes = []

    def attempt(password: str) -> None:
        outcomes.append((resets.complete(raw, password, password).outcome, password))

    threads = [threading.Thread(target=attempt, args=(p,)) for p in ("primera-frase-1", "segunda-frase-2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.value for o, _ in outcomes) == ["bad-link", "done"]
    winner = next(p for o, p in outcomes if o is ResetOutcome.DONE)
    assert check_login(auth_db, "ana", winner, "10.0.0.2", LoginLimits())[0] is LoginResult.OK


def test_a_deactivated_account_cannot_use_a_link_it_got_before(auth_db):
    create_account(auth_db, "ana", PASSWORD, "secretaria", "Practitioner/ana", email="ana@clinica.ec")
    resets = _service(auth_db, FixedClock())
    resets.request("ana", "10.0.0.1", "es")
    raw = _token(auth_db)
    deactivate_account(auth_db, "ana")
    assert resets.complete(raw, "otra-frase-larga", "otra-frase-larga").outcome is ResetOutcome.BAD_LINK


def test_a_reset_lifts_the_login_lock(auth_db):
    limits = LoginLimits(per_account=2, per_ip=100)
    create_account(auth_db, "ana", PASSWORD, "secretaria", "Practitioner/ana", email="ana@clinica.ec")
    for _ in range(2):
        check_login(auth_db, "ana", "mala-clave-000", "10.0.0.1", limits)
    assert check_login(auth_db, "ana", PASSWORD, "10.0.0.1", limits)[0] is LoginResult.THROTTLED
    resets = _service(auth_db, FixedClock())
    resets.request("ana", "10.0.0.1", "es")
    assert resets.complete(_token(auth_db), "otra-frase-larga", "otra-frase-larga").outcome is ResetOutcome.DONE
    assert check_login(auth_db, "ana", "otra-frase-larga", "10.0.0.1", limits)[0] is LoginResult.OK


def test_throttle_windows_follow_the_clock(auth_db):
    clock = FixedClock()
    resets = _service(auth_db, clock, limits=ResetLimits(per_account=1, per_ip=100, window_us=600 * 1_000_000))
    assert resets.request("x", "10.0.0.1", "es")
    assert not resets.request("X ", "10.0.0.2", "es")  # the same typed name, whatever the case and spaces
    clock.now += 600 * 1_000_000
    assert resets.request("x", "10.0.0.1", "es")


def test_mail_sinks(auth_db, tmp_path, caplog):
    create_account(auth_db, "ana", PASSWORD, "secretaria", "Practitioner/ana", email="ana@clinica.ec")
    path = tmp_path / "mail.jsonl"
    assert isinstance(make_sender("file", path), FileSender)
    assert isinstance(make_sender("log"), LogSender)
    assert isinstance(make_sender("outbox"), OutboxSender)
    with pytest.raises(ValueError, match="FHIR_AUTH_MAIL_FILE"):
        make_sender("file")
    with pytest.raises(ValueError, match="unknown"):
        make_sender("smtp")

    PasswordResets(auth_db, public_url=PUBLIC, sender=FileSender(path), clock=FixedClock()).request("ana", "1", "en")
    (line,) = path.read_text().splitlines()
    written = json.loads(line)
    assert written["recipient"] == "ana@clinica.ec" and f"{PUBLIC}/reset?token=" in written["body"]
    with caplog.at_level(logging.WARNING, logger="fhir_server.auth.mail"):
        PasswordResets(auth_db, public_url=PUBLIC, sender=LogSender(), clock=FixedClock()).request("ana", "2", "en")
    assert "mail to ana@clinica.ec" in caplog.text
    assert undelivered(auth_db) == []  # neither sink used the outbox

    _service(auth_db, FixedClock()).request("ana", "3", "es")
    queued = undelivered(auth_db)
    mark_sent(auth_db, [mail.id for mail in queued])
    assert undelivered(auth_db) == []
    with auth_db.connect() as connection:
        bodies = connection.execute(sa.select(outbox.c.body)).scalars().all()
    assert bodies == [""]  # a delivered link is not kept

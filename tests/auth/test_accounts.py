"""Accounts: Argon2id hashes, role and FHIR user rules, login throttling, no account enumeration."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fhir_server.auth.accounts import (
    LoginResult,
    check_login,
    create_account,
    deactivate_account,
    find_account,
    has_active_administrator,
    set_role,
)
from fhir_server.auth.passwords import hash_password, needs_rehash, verify_password
from fhir_server.auth.schema import account
from fhir_server.auth.throttle import LoginLimits
from fhir_server.errors import Conflict, Invalid, NotFound

PASSWORD = "clave-segura-123"
LIMITS = LoginLimits(per_account=3, per_ip=10, window_us=900 * 1_000_000)


def test_passwords_are_argon2id_hashes(auth_db):
    create_account(auth_db, "Doctora.Lopez", PASSWORD, "doctor", "Practitioner/dr-lopez")
    with auth_db.connect() as connection:
        stored = connection.execute(sa.select(account.c.username, account.c.password_hash)).one()
    assert stored.username == "doctora.lopez"  # names compare case-insensitively
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    assert verify_password(stored.password_hash, PASSWORD)
    assert not needs_rehash(stored.password_hash)
    assert needs_rehash("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo")


def test_identity_rules(auth_db):
    with pytest.raises(Invalid):
        create_account(auth_db, "x1", PASSWORD, "cirujano", "Practitioner/1")
    with pytest.raises(Invalid):
        create_account(auth_db, "x2", PASSWORD, "paciente", "Practitioner/1")  # a patient is a Patient
    with pytest.raises(Invalid):
        create_account(auth_db, "x3", PASSWORD, "doctor", None)
    with pytest.raises(Invalid):
        create_account(auth_db, "x4", "corta", "doctor", "Practitioner/1")
    create_account(auth_db, "admin", PASSWORD, "administrador", None)
    with pytest.raises(Conflict):
        create_account(auth_db, "ADMIN", PASSWORD, "administrador", None)
    assert has_active_administrator(auth_db)
    deactivate_account(auth_db, "admin")
    assert not has_active_administrator(auth_db)
    with pytest.raises(NotFound):
        set_role(auth_db, "nadie", "doctor", "Practitioner/1")


def test_role_change_checks_the_fhir_user(auth_db):
    create_account(auth_db, "ana", PASSWORD, "enfermera", "Practitioner/ana")
    assert set_role(auth_db, "ana", "doctor").role == "doctor"
    with pytest.raises(Invalid):
        set_role(auth_db, "ana", "paciente")  # needs a Patient fhirUser
    assert set_role(auth_db, "ana", "paciente", "Patient/ana").fhir_user == "Patient/ana"


def test_unknown_user_inactive_user_and_wrong_password_answer_alike(auth_db):
    create_account(auth_db, "carla", PASSWORD, "secretaria", "Practitioner/carla")
    create_account(auth_db, "dora", PASSWORD, "secretaria", "Practitioner/dora")
    deactivate_account(auth_db, "dora")
    answers = [
        check_login(auth_db, "nadie", PASSWORD, "10.0.0.1", LIMITS),
        check_login(auth_db, "carla", "otra-clave-999", "10.0.0.2", LIMITS),
        check_login(auth_db, "dora", PASSWORD, "10.0.0.3", LIMITS),
    ]
    assert answers == [(LoginResult.FAILED, None)] * 3
    result, found = check_login(auth_db, " CARLA ", PASSWORD, "10.0.0.4", LIMITS)
    assert result is LoginResult.OK
    assert found is not None and found.role == "secretaria"


def test_throttled_per_account_even_with_the_right_password(auth_db):
    create_account(auth_db, "eva", PASSWORD, "doctor", "Practitioner/eva")
    for n in range(LIMITS.per_account):
        assert check_login(auth_db, "eva", "mala-clave-000", f"10.1.0.{n}", LIMITS)[0] is LoginResult.FAILED
    assert check_login(auth_db, "eva", PASSWORD, "10.1.1.1", LIMITS) == (LoginResult.THROTTLED, None)
    # an unknown name is throttled the same way (the throttle does not reveal which names exist)
    for n in range(LIMITS.per_account):
        check_login(auth_db, "fantasma", "x" * 10, f"10.2.0.{n}", LIMITS)
    assert check_login(auth_db, "fantasma", "x" * 10, "10.2.1.1", LIMITS) == (LoginResult.THROTTLED, None)
    with auth_db.connect() as connection:
        failed = connection.execute(sa.select(account.c.failed_logins).where(account.c.username == "eva")).scalar()
    assert failed == LIMITS.per_account


def test_throttled_per_ip(auth_db):
    limits = LoginLimits(per_account=100, per_ip=2, window_us=900 * 1_000_000)
    create_account(auth_db, "fer", PASSWORD, "doctor", "Practitioner/fer")
    check_login(auth_db, "u1", "x" * 10, "10.9.9.9", limits)
    check_login(auth_db, "u2", "x" * 10, "10.9.9.9", limits)
    assert check_login(auth_db, "fer", PASSWORD, "10.9.9.9", limits)[0] is LoginResult.THROTTLED
    assert check_login(auth_db, "fer", PASSWORD, "10.9.9.8", limits)[0] is LoginResult.OK


def test_a_good_login_resets_the_account_counter(auth_db):
    create_account(auth_db, "gabi", PASSWORD, "doctor", "Practitioner/gabi")
    check_login(auth_db, "gabi", "mala-clave-000", "10.3.0.1", LIMITS)
    check_login(auth_db, "gabi", "mala-clave-000", "10.3.0.1", LIMITS)
    assert check_login(auth_db, "gabi", PASSWORD, "10.3.0.1", LIMITS)[0] is LoginResult.OK
    check_login(auth_db, "gabi", "mala-clave-000", "10.3.0.1", LIMITS)
    assert check_login(auth_db, "gabi", PASSWORD, "10.3.0.1", LIMITS)[0] is LoginResult.OK


def test_weak_hashes_are_upgraded_on_login(auth_db):
    from argon2 import PasswordHasher

    create_account(auth_db, "hugo", PASSWORD, "doctor", "Practitioner/hugo")
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with auth_db.begin() as connection:
        connection.execute(account.update().values(password_hash=weak))
    assert check_login(auth_db, "hugo", PASSWORD, "10.4.0.1", LIMITS)[0] is LoginResult.OK
    with auth_db.connect() as connection:
        upgraded = connection.execute(sa.select(account.c.password_hash)).scalar()
    assert upgraded != weak and not needs_rehash(upgraded)
    assert find_account(auth_db, "hugo") is not None
    assert hash_password(PASSWORD) != hash_password(PASSWORD)  # salted

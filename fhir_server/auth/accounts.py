"""User accounts: who may log in, with which role, as which FHIR user (Practitioner or Patient).

Deactivation and role changes take effect on the next request: ``authenticate`` re-reads the
account row for every token (fhir_server/auth/grant.py), and deactivation also revokes the tokens.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from fhir_server.auth.common import new_id, now_us, write
from fhir_server.auth.passwords import (
    MIN_LENGTH,
    burn_verification,
    hash_password,
    needs_rehash,
    verify_password,
)
from fhir_server.auth.policy import ROLES
from fhir_server.auth.schema import account, token
from fhir_server.auth.throttle import LoginLimits, account_key, clear, ip_key, is_throttled, record_failure
from fhir_server.errors import Conflict, Invalid, NotFound

_FHIR_USER = re.compile(r"^(Practitioner|Patient|RelatedPerson|Person)/[A-Za-z0-9\-.]{1,64}$")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@\-]{1,149}$")


@dataclass(frozen=True)
class Account:
    """An account as the authorization server sees it (never the password hash)."""

    id: str
    username: str
    role: str
    fhir_user: str | None
    active: bool

    @property
    def patient_id(self) -> str | None:
        """The Patient id of a patient's account."""
        if self.fhir_user and self.fhir_user.startswith("Patient/"):
            return self.fhir_user.removeprefix("Patient/")
        return None


class LoginResult(enum.Enum):
    OK = "ok"
    FAILED = "failed"
    THROTTLED = "throttled"


def normalise_username(username: str) -> str:
    """User names compare case-insensitively, without surrounding spaces."""
    return username.strip().casefold()


def _check_identity(username: str, role: str, fhir_user: str | None) -> None:
    if not _USERNAME.match(username):
        raise Invalid("auth-bad-username", username=username)
    if role not in ROLES:
        raise Invalid("auth-bad-role", role=role, roles=", ".join(ROLES))
    if fhir_user is not None and not _FHIR_USER.match(fhir_user):
        raise Invalid("auth-bad-fhir-user", fhir_user=fhir_user)
    expected = "Patient" if role == "paciente" else "Practitioner"
    if fhir_user is None and role != "administrador":
        raise Invalid("auth-fhir-user-required", role=role, type=expected)
    if fhir_user is not None and not fhir_user.startswith(f"{expected}/"):
        raise Invalid("auth-fhir-user-type", role=role, type=expected)


def _row_to_account(row: Any) -> Account:
    return Account(
        id=str(row.id),
        username=str(row.username),
        role=str(row.role),
        fhir_user=row.fhir_user and str(row.fhir_user),
        active=bool(row.active),
    )


_COLUMNS = (account.c.id, account.c.username, account.c.role, account.c.fhir_user, account.c.active)


def create_account(engine: sa.Engine, username: str, password: str, role: str, fhir_user: str | None) -> Account:
    """A new active account; the password is stored as an Argon2id hash only."""
    username = normalise_username(username)
    _check_identity(username, role, fhir_user)
    if len(password) < MIN_LENGTH:
        raise Invalid("auth-password-too-short", length=MIN_LENGTH)
    now = now_us()
    new = Account(new_id(), username, role, fhir_user, True)
    with write(engine) as connection:
        if connection.execute(sa.select(account.c.id).where(account.c.username == username)).first():
            raise Conflict("auth-username-taken", username=username)
        connection.execute(
            account.insert().values(
                id=new.id,
                username=username,
                password_hash=hash_password(password),
                active=True,
                role=role,
                fhir_user=fhir_user,
                failed_logins=0,
                created_us=now,
                updated_us=now,
            )
        )
    return new


def get_account(connection: sa.Connection, account_id: str) -> Account | None:
    """The account with this id, active or not."""
    row = connection.execute(sa.select(*_COLUMNS).where(account.c.id == account_id)).first()
    return _row_to_account(row) if row else None


def find_account(engine: sa.Engine, username: str) -> Account | None:
    """The account with this user name, active or not."""
    with engine.connect() as connection:
        row = connection.execute(sa.select(*_COLUMNS).where(account.c.username == normalise_username(username))).first()
    return _row_to_account(row) if row else None


def has_active_administrator(engine: sa.Engine) -> bool:
    """True when some active administrator can log in."""
    query = sa.select(account.c.id).where(account.c.role == "administrador", account.c.active.is_(True)).limit(1)
    with engine.connect() as connection:
        return connection.execute(query).first() is not None


def _update(engine: sa.Engine, username: str, **values: object) -> Account:
    name = normalise_username(username)
    with write(engine) as connection:
        changed = connection.execute(
            account.update().where(account.c.username == name).values(updated_us=now_us(), **values)
        ).rowcount
        if not changed:
            raise NotFound("auth-unknown-account", username=name)
        row = connection.execute(sa.select(*_COLUMNS).where(account.c.username == name)).one()
        if values.get("active") is False:
            # Deactivation ends every session now, not when the tokens expire.
            connection.execute(
                token.update()
                .where(token.c.account_id == row.id, token.c.revoked_us.is_(None))
                .values(revoked_us=now_us())
            )
    return _row_to_account(row)


def deactivate_account(engine: sa.Engine, username: str) -> Account:
    """Deactivate an account and revoke its tokens."""
    return _update(engine, username, active=False)


def activate_account(engine: sa.Engine, username: str) -> Account:
    """Let a deactivated account log in again."""
    return _update(engine, username, active=True)


def set_role(engine: sa.Engine, username: str, role: str, fhir_user: str | None = None) -> Account:
    """Change an account's role (and FHIR user); the next request already sees the new role."""
    current = find_account(engine, username)
    if current is None:
        raise NotFound("auth-unknown-account", username=normalise_username(username))
    new_fhir_user = fhir_user if fhir_user is not None else current.fhir_user
    _check_identity(current.username, role, new_fhir_user)
    return _update(engine, username, role=role, fhir_user=new_fhir_user)


def set_password(engine: sa.Engine, username: str, password: str) -> Account:
    """Replace an account's password."""
    if len(password) < MIN_LENGTH:
        raise Invalid("auth-password-too-short", length=MIN_LENGTH)
    return _update(engine, username, password_hash=hash_password(password), failed_logins=0)


def check_login(
    engine: sa.Engine, username: str, password: str, address: str, limits: LoginLimits
) -> tuple[LoginResult, Account | None]:
    """Verify a login; unknown names, inactive accounts and wrong passwords all answer FAILED.

    Every path costs one Argon2 verification, so timing does not tell them apart either.
    """
    name = normalise_username(username)
    keys = {account_key(name): limits.per_account, ip_key(address): limits.per_ip}
    now = now_us()
    with engine.connect() as connection:
        throttled = is_throttled(connection, keys, now, limits.window_us)
        row = connection.execute(
            sa.select(*_COLUMNS, account.c.password_hash).where(account.c.username == name)
        ).first()
    if throttled:
        burn_verification(password)
        return LoginResult.THROTTLED, None
    if row is None:
        burn_verification(password)
        good = False
    else:
        good = verify_password(str(row.password_hash), password) and bool(row.active)
    with write(engine) as connection:
        if not good:
            for key in keys:
                record_failure(connection, key, now, limits.window_us)
            if row is not None:
                connection.execute(
                    account.update()
                    .where(account.c.id == row.id)
                    .values(failed_logins=account.c.failed_logins + 1, last_failed_us=now)
                )
            return LoginResult.FAILED, None
        assert row is not None
        clear(connection, account_key(name))
        values: dict[str, object] = {"failed_logins": 0, "last_login_us": now}
        if needs_rehash(str(row.password_hash)):
            values["password_hash"] = hash_password(password)
        connection.execute(account.update().where(account.c.id == row.id).values(**values))
    return LoginResult.OK, _row_to_account(row)

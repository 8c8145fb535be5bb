"""User accounts: who may log in, with which role, as which FHIR user (Practitioner or Patient).

Deactivation and role changes take effect on the next request: ``authenticate`` re-reads the
account row for every token (fhir_server/auth/grant.py). Deactivation and a password change also
end every session: tokens revoked, unused codes spent, authorize transactions dropped.

An account is in one of three states: active; pending activation (imported from a legacy system,
with no usable password: it cannot log in until a reset link sets one, which activates it); or
deactivated by an administrator (no login, no reset). Pending accounts are stored inactive, so every
check of ``active`` (login, tokens, refresh, introspection) already refuses them.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from fhir_server.auth.common import new_id, now_us, write
from fhir_server.auth.passwords import (
    burn_verification,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from fhir_server.auth.policy import ROLES
from fhir_server.auth.schema import account, pending, token
from fhir_server.auth.schema import code as code_table
from fhir_server.auth.throttle import LoginLimits, account_key, clear, ip_key, is_throttled, record_failure
from fhir_server.errors import Conflict, Invalid, NotFound

_FHIR_USER = re.compile(r"^(Practitioner|Patient|RelatedPerson|Person)/[A-Za-z0-9\-.]{1,64}$")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@\-]{1,149}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Account:
    """An account as the authorization server sees it (never the password hash)."""

    id: str
    username: str
    role: str
    fhir_user: str | None
    active: bool
    email: str | None = None
    pending: bool = False  # pending activation: inactive until a password reset

    @property
    def state(self) -> str:
        """active | pending | deactivated."""
        return "active" if self.active else "pending" if self.pending else "deactivated"

    @property
    def may_reset(self) -> bool:
        """A reset link may be sent and redeemed (never for an account an administrator deactivated)."""
        return self.active or self.pending

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


def check_password(password: str, username: str | None = None) -> None:
    """Raise Invalid when the password policy refuses the password (fhir_server/auth/passwords.py)."""
    problem = password_problem(password, username)
    if problem is not None:
        message, params = problem
        raise Invalid(message, **params)


def normalise_email(email: str | None) -> str | None:
    """E-mail addresses compare in lower case; an empty one means none."""
    if email is None or not email.strip():
        return None
    cleaned = email.strip().lower()
    if len(cleaned) > 254 or not _EMAIL.match(cleaned):
        raise Invalid("auth-bad-email", email=email.strip()[:254])
    return cleaned


def _email_free(connection: sa.Connection, email: str | None, account_id: str | None = None) -> None:
    if email is None:
        return
    holder = connection.execute(sa.select(account.c.id).where(account.c.email == email)).scalar()
    if holder is not None and holder != account_id:
        raise Conflict("auth-email-taken", email=email)


def _row_to_account(row: Any) -> Account:
    return Account(
        id=str(row.id),
        username=str(row.username),
        role=str(row.role),
        fhir_user=row.fhir_user and str(row.fhir_user),
        active=bool(row.active),
        email=row.email and str(row.email),
        pending=bool(row.pending_activation),
    )


_COLUMNS = (
    account.c.id,
    account.c.username,
    account.c.role,
    account.c.fhir_user,
    account.c.active,
    account.c.email,
    account.c.pending_activation,
)
# Stored instead of a hash for accounts that never had a password: no password verifies against it.
UNUSABLE_PASSWORD = "!pending-activation"


def has_usable_password(stored_hash: str) -> bool:
    """False for accounts created without a password (imported ones)."""
    return stored_hash.startswith("$argon2")


def create_account(
    engine: sa.Engine, username: str, password: str, role: str, fhir_user: str | None, email: str | None = None
) -> Account:
    """A new active account; the password is stored as an Argon2id hash only."""
    username = normalise_username(username)
    _check_identity(username, role, fhir_user)
    check_password(password, username)
    new = Account(new_id(), username, role, fhir_user, True, normalise_email(email))
    return _insert(engine, new, hash_password(password))  # hashed outside the transaction: it takes a while


def create_pending_account(
    engine: sa.Engine, username: str, role: str, fhir_user: str | None, email: str | None = None
) -> Account:
    """A new account pending activation: no usable password, no login until a reset link sets one."""
    username = normalise_username(username)
    _check_identity(username, role, fhir_user)
    new = Account(new_id(), username, role, fhir_user, False, normalise_email(email), pending=True)
    return _insert(engine, new, UNUSABLE_PASSWORD)


def _insert(engine: sa.Engine, new: Account, password_hash: str) -> Account:
    username, email, now = new.username, new.email, now_us()
    with write(engine) as connection:
        if connection.execute(sa.select(account.c.id).where(account.c.username == username)).first():
            raise Conflict("auth-username-taken", username=username)
        _email_free(connection, email)
        connection.execute(
            account.insert().values(
                id=new.id,
                username=username,
                password_hash=password_hash,
                active=new.active,
                pending_activation=new.pending,
                role=new.role,
                fhir_user=new.fhir_user,
                email=email,
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


def find_by_username_or_email(connection: sa.Connection, text: str) -> Account | None:
    """The account a "forgot password" form names: by user name first, then by e-mail."""
    name = normalise_username(text)
    row = connection.execute(sa.select(*_COLUMNS).where(account.c.username == name)).first()
    if row is None and "@" in name:
        row = connection.execute(sa.select(*_COLUMNS).where(account.c.email == text.strip().lower())).first()
    return _row_to_account(row) if row else None


def end_sessions(connection: sa.Connection, account_id: str, now: int) -> None:
    """Revoke every token of the account (all refresh families), spend its unused authorization
    codes and drop its authorize transactions in progress: nothing issued before now works after."""
    connection.execute(
        token.update().where(token.c.account_id == account_id, token.c.revoked_us.is_(None)).values(revoked_us=now)
    )
    connection.execute(
        code_table.update()
        .where(code_table.c.account_id == account_id, code_table.c.used_us.is_(None))
        .values(used_us=now)
    )
    connection.execute(pending.delete().where(pending.c.account_id == account_id))


def has_active_administrator(engine: sa.Engine) -> bool:
    """True when some active administrator can log in."""
    query = sa.select(account.c.id).where(account.c.role == "administrador", account.c.active.is_(True)).limit(1)
    with engine.connect() as connection:
        return connection.execute(query).first() is not None


def _update(engine: sa.Engine, username: str, **values: object) -> Account:
    name = normalise_username(username)
    with write(engine) as connection:
        account_id = connection.execute(sa.select(account.c.id).where(account.c.username == name)).scalar()
        if account_id is None:
            raise NotFound("auth-unknown-account", username=name)
        if values.get("email") is not None:
            _email_free(connection, str(values["email"]), account_id)
        connection.execute(account.update().where(account.c.id == account_id).values(updated_us=now_us(), **values))
        if values.get("active") is False or "password_hash" in values:
            # Deactivation and a new password end every session now, not when the tokens expire.
            end_sessions(connection, account_id, now_us())
        row = connection.execute(sa.select(*_COLUMNS).where(account.c.id == account_id)).one()
    return _row_to_account(row)


def deactivate_account(engine: sa.Engine, username: str) -> Account:
    """Deactivate an account and revoke its tokens; a pending one can no longer activate itself by reset."""
    return _update(engine, username, active=False, pending_activation=False)


def activate_account(engine: sa.Engine, username: str) -> Account:
    """Let a deactivated (or pending) account log in again."""
    return _update(engine, username, active=True, pending_activation=False)


def set_role(engine: sa.Engine, username: str, role: str, fhir_user: str | None = None) -> Account:
    """Change an account's role (and FHIR user); the next request already sees the new role."""
    current = find_account(engine, username)
    if current is None:
        raise NotFound("auth-unknown-account", username=normalise_username(username))
    new_fhir_user = fhir_user if fhir_user is not None else current.fhir_user
    _check_identity(current.username, role, new_fhir_user)
    return _update(engine, username, role=role, fhir_user=new_fhir_user)


def set_password(engine: sa.Engine, username: str, password: str) -> Account:
    """Replace an account's password; its sessions end (tokens revoked)."""
    check_password(password, normalise_username(username))
    return _update(engine, username, password_hash=hash_password(password), failed_logins=0)


def set_email(engine: sa.Engine, username: str, email: str | None) -> Account:
    """Set (or, with None, remove) the address password-reset links are sent to."""
    return _update(engine, username, email=normalise_email(email))


def check_login(
    engine: sa.Engine, username: str, password: str, address: str, limits: LoginLimits
) -> tuple[LoginResult, Account | None]:
    """Verify a login; unknown names, inactive or pending accounts and wrong passwords all answer FAILED.

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
    if row is None or not has_usable_password(str(row.password_hash)):
        burn_verification(password)  # pending accounts cost (and answer) like wrong passwords
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

"""User administration for the admin API (/auth/admin/users), framework-free.

Who may call it: an access token whose account is an active ``administrador`` *now* (the grant is
re-read on every request) and whose granted scopes include writing PractitionerRole. The scope rule
keeps an administrator's token handed to a read-only app from managing accounts (security.md 5.2:
user management only for administrators). No administrator may deactivate their own account or
change their own role: a second administrator must do it, so the clinic never locks itself out.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from fhir_server.auth import accounts, activation
from fhir_server.auth.accounts import Account, normalise_username
from fhir_server.auth.grant import Grant
from fhir_server.auth.passwords import generate_password
from fhir_server.auth.policy import ROLES
from fhir_server.auth.resets import PasswordResets
from fhir_server.auth.schema import account
from fhir_server.errors import Forbidden, Invalid, NotFound, Unauthorized
from fhir_server.model.instants import fhir_instant

log = logging.getLogger("fhir_server.auth.admin")
ADMIN_ROLE = "administrador"
# The permission that stands for "manages the clinic's staff" in a token's scopes.
MANAGE_SCOPE = ("PractitionerRole", "update")

_VIEW = (
    account.c.id,
    account.c.username,
    account.c.role,
    account.c.fhir_user,
    account.c.email,
    account.c.active,
    account.c.pending_activation,
    account.c.created_us,
    account.c.last_login_us,
)


def require_administrator(grant: Grant | None) -> Grant:
    """The caller's grant if it may manage users; 401 without a live token, 403 otherwise."""
    if grant is None:
        raise Unauthorized("auth-token-required", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    if grant.role != ADMIN_ROLE or grant.account_id is None or not grant.scopes.allows(*MANAGE_SCOPE):
        raise Forbidden("auth-admin-only", code="security")
    return grant


def _view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "username": row.username,
        "role": row.role,
        "fhirUser": row.fhir_user,
        "email": row.email,
        "active": bool(row.active),
        "pendingActivation": bool(row.pending_activation),
        "created": fhir_instant(row.created_us),
        "lastLogin": fhir_instant(row.last_login_us) if row.last_login_us else None,
    }


def list_users(engine: sa.Engine, role: str | None = None, active: str | None = None) -> list[dict[str, Any]]:
    """Every account (optionally of one role, or only active/inactive ones), by user name."""
    query = sa.select(*_VIEW).order_by(account.c.username)
    if role is not None:
        if role not in ROLES:
            raise Invalid("auth-bad-role", role=role, roles=", ".join(ROLES))
        query = query.where(account.c.role == role)
    if active is not None:
        if active not in ("true", "false"):
            raise Invalid("auth-admin-bad-field", field="active")
        query = query.where(account.c.active.is_(active == "true"))
    with engine.connect() as connection:
        return [_view(row) for row in connection.execute(query).all()]


def get_user(engine: sa.Engine, username: str) -> dict[str, Any]:
    """One account's public view."""
    name = normalise_username(username)
    with engine.connect() as connection:
        row = connection.execute(sa.select(*_VIEW).where(account.c.username == name)).first()
    if row is None:
        raise NotFound("auth-unknown-account", username=name)
    return _view(row)


def _fields(body: Mapping[str, Any], allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict[str, Any]:
    # Only the named fields, each a string (or null where optional): no mass assignment of
    # "active", "id" or a password hash through a create or update body.
    for name in body:
        if name not in allowed:
            raise Invalid("auth-admin-unknown-field", field=name, allowed=", ".join(allowed))
    for name in required:
        if not isinstance(body.get(name), str) or not body[name].strip():
            raise Invalid("auth-admin-missing-field", field=name)
    for name, value in body.items():
        if value is not None and not isinstance(value, str):
            raise Invalid("auth-admin-bad-field", field=name)
    return dict(body)


def _target(engine: sa.Engine, username: str) -> Account:
    found = accounts.find_account(engine, username)
    if found is None:
        raise NotFound("auth-unknown-account", username=normalise_username(username))
    return found


def _not_self(admin: Grant, target: Account, action: str) -> None:
    if target.id == admin.account_id:
        raise Forbidden(f"auth-admin-not-self-{action}")


def _audit(admin: Grant, action: str, target: str, detail: str = "") -> None:
    log.info("admin %s: %s %s %s", admin.account_id, action, target, detail)


def create_user(engine: sa.Engine, admin: Grant, body: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """Create an account; returns its view and the generated password (None when one was given)."""
    fields = _fields(body, ("username", "role", "fhirUser", "email", "password"), ("username", "role"))
    password = fields.get("password")
    generated = password is None
    if password is None:
        password = generate_password(normalise_username(fields["username"]))
    created = accounts.create_account(
        engine, fields["username"], password, fields["role"], fields.get("fhirUser"), fields.get("email")
    )
    _audit(admin, "create", created.username, created.role)
    return get_user(engine, created.username), password if generated else None


def update_user(engine: sa.Engine, admin: Grant, username: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Change an account's contact data (its e-mail)."""
    if "email" not in body:
        raise Invalid("auth-admin-missing-field", field="email")
    fields = _fields(body, ("email",))
    target = _target(engine, username)
    accounts.set_email(engine, target.username, fields.get("email"))
    _audit(admin, "set-email", target.username)
    return get_user(engine, target.username)


def set_active(engine: sa.Engine, admin: Grant, username: str, active: bool) -> dict[str, Any]:
    """Deactivate (tokens revoked at once) or reactivate an account."""
    target = _target(engine, username)
    if not active:
        _not_self(admin, target, "deactivate")
        accounts.deactivate_account(engine, target.username)
    else:
        accounts.activate_account(engine, target.username)
    _audit(admin, "activate" if active else "deactivate", target.username)
    return get_user(engine, target.username)


def change_role(engine: sa.Engine, admin: Grant, username: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Give an account another role (and FHIR user); its next request already sees it."""
    fields = _fields(body, ("role", "fhirUser"), ("role",))
    target = _target(engine, username)
    _not_self(admin, target, "role")
    accounts.set_role(engine, target.username, fields["role"], fields.get("fhirUser"))
    _audit(admin, "set-role", target.username, fields["role"])
    return get_user(engine, target.username)


def reset_password(
    engine: sa.Engine, admin: Grant, username: str, body: Mapping[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """Set a new password (generated unless given); the account's sessions end."""
    fields = _fields(body, ("password",))
    target = _target(engine, username)
    password = fields.get("password")
    generated = password is None
    if password is None:
        password = generate_password(target.username)
    accounts.set_password(engine, target.username, password)
    _audit(admin, "set-password", target.username)
    return get_user(engine, target.username), password if generated else None


def send_activation(resets: PasswordResets, admin: Grant, body: Mapping[str, Any], language: str) -> dict[str, Any]:
    """Mail activation links: ``{"allPending": true}`` or ``{"usernames": [...]}``, optional ``"lang"``."""
    for name in body:
        if name not in ("allPending", "usernames", "lang"):
            raise Invalid("auth-admin-unknown-field", field=name, allowed="allPending, usernames, lang")
    usernames = body.get("usernames")
    if usernames is not None and not (isinstance(usernames, list) and all(isinstance(n, str) for n in usernames)):
        raise Invalid("auth-admin-bad-field", field="usernames")
    every = body.get("allPending", False)
    if not isinstance(every, bool) or every == bool(usernames):  # exactly one of the two
        raise Invalid("auth-admin-bad-field", field="allPending")
    lang = body.get("lang", language)
    if lang not in ("es", "en"):
        raise Invalid("auth-admin-bad-field", field="lang")
    run = activation.send_activation(resets, None if every else usernames, lang)
    _audit(admin, "send-activation", ",".join(run.sent), f"{len(run.without_email)} without e-mail")
    return run.as_json()

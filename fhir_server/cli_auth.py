"""Account and client administration commands of ``fhir-server`` (the authorization server's CLI).

Nothing secret is printed unless this command generated it: a generated password or client secret
is shown once and never stored in clear; a password given on standard input is not echoed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from fhir_server.errors import FhirError
from fhir_server.settings import Settings

AUTH_COMMANDS = (
    "create-user",
    "create-first-admin",
    "deactivate-user",
    "set-role",
    "set-password",
    "create-client",
    "rotate-keys",
    "list-users",
    "set-email",
    "outbox",
    "issue-token",
    "send-activation",
)
FIRST_ADMIN = "admin"


def _say(text: str = "", *, err: bool = False) -> None:
    (sys.stderr if err else sys.stdout).write(text + "\n")


def add_auth_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the account and client commands."""
    from fhir_server.auth.policy import ROLES

    user = commands.add_parser("create-user", help="create a login account (random password unless --password-stdin)")
    user.add_argument("--username", required=True)
    user.add_argument("--role", required=True, choices=ROLES)
    user.add_argument("--fhir-user", help="Practitioner/<id> for staff, Patient/<id> for patients")
    user.add_argument("--email", help="where password-reset links are sent")
    user.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    commands.add_parser("create-first-admin", help="create an administrator when none exists (used by make run)")
    deactivate = commands.add_parser("deactivate-user", help="deactivate an account and revoke its tokens")
    deactivate.add_argument("--username", required=True)
    role = commands.add_parser("set-role", help="change an account's role (applies to its next request)")
    role.add_argument("--username", required=True)
    role.add_argument("--role", required=True, choices=ROLES)
    role.add_argument("--fhir-user", help="new Practitioner/<id> or Patient/<id> when the role needs another")
    password = commands.add_parser("set-password", help="set an account's password (random unless --password-stdin)")
    password.add_argument("--username", required=True)
    password.add_argument("--password-stdin", action="store_true")
    client = commands.add_parser("create-client", help="register a SMART app or a backend service")
    client.add_argument("--kind", required=True, choices=("public", "confidential", "backend"))
    client.add_argument("--name", required=True)
    client.add_argument("--client-id", help="default: generated")
    client.add_argument("--redirect-uri", action="append", default=[], help="exact redirect URI (repeatable)")
    client.add_argument("--scope", help="scopes the client may ever get (default: all user/patient or system/*.rs)")
    client.add_argument("--launch-uri", help="the app's EHR launch URL (enables EHR launch)")
    client.add_argument("--no-consent", action="store_true", help="first-party app: skip the consent page")
    client.add_argument("--jwks-file", type=Path, help="backend: JSON file with the public JWK set")
    client.add_argument("--jwks-url", help="backend: https URL of the public JWK set")
    commands.add_parser("rotate-keys", help="new id_token signing key; the old one stays published until unused")
    listing = commands.add_parser("list-users", help="list the login accounts")
    listing.add_argument("--role", choices=ROLES)
    email = commands.add_parser("set-email", help="set the e-mail password-reset links go to (empty: none)")
    email.add_argument("--username", required=True)
    email.add_argument("--email", required=True)
    outbox = commands.add_parser("outbox", help="print undelivered messages (password-reset links) for delivery")
    outbox.add_argument("--mark-sent", action="store_true", help="mark them delivered and forget their bodies")
    token = commands.add_parser(
        "issue-token", help="print an access token for an account (operators, scripts, benchmarks)"
    )
    token.add_argument("--username", required=True)
    token.add_argument("--scope", default="user/*.cruds", help="requested scopes (the role's ceiling still applies)")
    token.add_argument("--minutes", type=int, default=60, help="lifetime, 1 to 60 minutes")
    token.add_argument("--patient", help="patient context, for patient/ scopes")
    activation = commands.add_parser(
        "send-activation", help="mail activation links to accounts pending activation (imported ones)"
    )
    chosen = activation.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--all-pending", action="store_true", help="every account pending activation")
    chosen.add_argument("--user", action="append", metavar="NAME", help="this account (repeatable)")
    activation.add_argument("--lang", choices=("es", "en"), default="es", help="language of the message")


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """The password from stdin, or a generated one (True: print it once)."""
    from fhir_server.auth.passwords import generate_password

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    return generate_password(args.username.strip().casefold()), True


def _create_user(engine: sa.Engine, args: argparse.Namespace, settings: Settings) -> int:  # noqa: ARG001
    from fhir_server.auth.accounts import create_account

    password, generated = _password(args)
    account = create_account(engine, args.username, password, args.role, args.fhir_user, args.email)
    _say(f"created {account.role} {account.username} (id {account.id})")
    if generated:
        _say(f"password (shown once): {password}")
    return 0


def _create_first_admin(engine: sa.Engine, args: argparse.Namespace, settings: Settings) -> int:  # noqa: ARG001
    from fhir_server.auth.accounts import create_account, find_account, has_active_administrator
    from fhir_server.auth.passwords import generate_password

    if has_active_administrator(engine):
        return 0
    username = FIRST_ADMIN if find_account(engine, FIRST_ADMIN) is None else f"{FIRST_ADMIN}-{generate_password()[:6]}"
    password = generate_password()
    create_account(engine, username.lower(), password, "administrador", None)
    _say("first administrator created (this password is shown only now):")
    _say(f"  user: {username.lower()}")
    _say(f"  password: {password}")
    _say(f"  log in through a registered SMART app at {settings.issuer}/authorize")
    _say("  change it with: fhir-server set-password --username <user> --password-stdin")
    return 0


def _deactivate(engine: sa.Engine, args: argparse.Namespace, settings: Settings) -> int:  # noqa: ARG001
    from fhir_server.auth.accounts import deactivate_account

    account = deactivate_account(engine, args.username)
    _say(f"deactivated {account.username}; its tokens are revoked")
    return 0


def _set_role(engine: sa.Engine, args: argparse.Namespace, settings: Settings) -> int:  # noqa: ARG001
    from fhir_server.auth.accounts import set_role

    account = set_role(engine, args.username, args.role, args.fhir_user)
    _say(f"{account.username} is now {account.role}")
    return 0


def _set_password(engine: sa.Engine, args: argparse.Namespace, settings: Settings) -> int:  # noqa: ARG001
    from fhir_server.auth.accounts import set_password

    password, generated = _password(args)
    account = set_password(engine, args.username, password)
    _say(f"password of {account.username} changed; its tokens are revoked")
    if generated:
        _say(f"password (shown once): {password}")
    return 0


def _create_client(engine: sa.Engine, args: argparse.Namespace, settings: Settings) -> int:  # noqa: ARG001
    from fhir_server.auth.clients import create_client

    jwks = json.loads(args.jwks_file.read_text()) if args.jwks_file else None
    client, secret = create_client(
        engine,
        args.kind,
        name=args.name,
        client_id=args.client_id,
        redirect_uris=tuple(args.redirect_uri),
        scope=args.scope,
        launch_uri=args.launch_uri,
        consent_required=not args.no_consent,
        jwks=jwks,
        jwks_uri=args.jwks_url,
    )
    _say(f"client_id: {client.client_id}")
    _say(f"allowed scope: {client.allowed_scope}")
    if secret:
        _say(f"client_secret (shown once): {secret}")
    return 0


def _rotate_keys(engine: sa.Engine, args: argparse.Namespace, settings: Settings) -> int:  # noqa: ARG001
    from fhir_server.auth.keys import rotate_keys

    _say(f"new signing key: {rotate_keys(engine)}")
    return 0


def _list_users(engine: sa.Engine, args: argparse.Namespace, settings: Settings) -> int:  # noqa: ARG001
    from fhir_server.auth.admin import list_users

    users = list_users(engine, args.role)
    _say(f"{'username':<24} {'role':<14} {'active':<7} {'fhirUser':<32} email")
    for user in users:
        active = "yes" if user["active"] else "pending" if user["pendingActivation"] else "no"
        fhir_user = user["fhirUser"] or "-"
        _say(f"{user['username']:<24} {user['role']:<14} {active:<7} {fhir_user:<32} {user['email'] or '-'}")
    return 0


def _set_email(engine: sa.Engine, args: argparse.Namespace, settings: Settings) -> int:  # noqa: ARG001
    from fhir_server.auth.accounts import set_email

    account = set_email(engine, args.username, args.email or None)
    _say(f"e-mail of {account.username}: {account.email or '-'}")
    return 0


def _outbox(engine: sa.Engine, args: argparse.Namespace, settings: Settings) -> int:  # noqa: ARG001
    from fhir_server.auth.mail import mark_sent, undelivered

    messages = undelivered(engine)
    for mail in messages:
        _say(f"To: {mail.recipient}\nSubject: {mail.subject}\n\n{mail.body}\n{'-' * 72}")
    if args.mark_sent:
        mark_sent(engine, [mail.id for mail in messages])
    _say(f"{len(messages)} message(s){' marked sent' if args.mark_sent and messages else ''}", err=True)
    return 0


def _issue_token(engine: sa.Engine, args: argparse.Namespace, settings: Settings) -> int:
    from fhir_server.auth.operator_tokens import issue_token

    _say(
        issue_token(
            engine, args.username, args.scope, audience=settings.base_url, minutes=args.minutes, patient=args.patient
        )
    )
    return 0


def _send_activation(engine: sa.Engine, args: argparse.Namespace, settings: Settings) -> int:
    from fhir_server.auth.activation import send_activation
    from fhir_server.auth.resets import PasswordResets

    resets = PasswordResets.from_settings(engine, settings)
    run = send_activation(resets, None if args.all_pending else args.user, args.lang)
    for username in run.sent:
        _say(f"sent: {username}")
    for username in run.without_email:
        _say(f"needs an administrator (no e-mail; use set-email, then send again): {username}")
    for username, state in run.not_pending:
        _say(f"not pending activation ({state}), nothing sent: {username}")
    where = "`fhir-server outbox`" if settings.auth_mail_sink == "outbox" else f"the {settings.auth_mail_sink} sink"
    _say(f"{len(run.sent)} activation link(s) queued in {where}; {len(run.without_email)} without e-mail", err=True)
    return 0


_HANDLERS: dict[str, Callable[[sa.Engine, argparse.Namespace, Settings], int]] = {
    "create-user": _create_user,
    "create-first-admin": _create_first_admin,
    "deactivate-user": _deactivate,
    "set-role": _set_role,
    "set-password": _set_password,
    "create-client": _create_client,
    "rotate-keys": _rotate_keys,
    "list-users": _list_users,
    "set-email": _set_email,
    "outbox": _outbox,
    "issue-token": _issue_token,
    "send-activation": _send_activation,
}


def run_auth_command(settings: Settings, args: argparse.Namespace) -> int:
    """Run one of AUTH_COMMANDS against the configured database."""
    from fhir_server.storage.engine import make_engine
    from fhir_server.storage.migrate import NOT_CURRENT, is_current

    engine = make_engine(settings.database_url)
    try:
        if not is_current(engine):
            _say(NOT_CURRENT, err=True)
            return 1
        return _HANDLERS[args.command](engine, args, settings)
    except FhirError as exc:
        for issue in exc.outcome("en")["issue"]:
            _say(f"{args.command}: {issue['diagnostics']}", err=True)
        return 2
    except (OSError, ValueError) as exc:
        _say(f"{args.command}: {exc}", err=True)
        return 2
    finally:
        engine.dispose()

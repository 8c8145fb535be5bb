"""Activation links for accounts pending activation (imported from a legacy system).

An imported account has no usable password; the administrator sends each one a link (the same
single-use token as a password reset, through the same mail sink) and the person activates the
account by choosing a password on the reset page (fhir_server/auth/resets.py). The link lives longer
than a "forgot password" one (settings.auth_activation_hours): a whole staff gets it at once, not on
request. Accounts without an e-mail cannot get a link: they are listed for an administrator, who
sets an address (set-email) or a password by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from fhir_server.auth.accounts import Account, get_account, normalise_username
from fhir_server.auth.common import write
from fhir_server.auth.mail import Mail
from fhir_server.auth.resets import PasswordResets
from fhir_server.auth.schema import account
from fhir_server.errors import NotFound
from fhir_server.i18n import translate

log = logging.getLogger("fhir_server.auth.activation")


@dataclass
class ActivationRun:
    """What one send-activation did, by user name."""

    sent: list[str] = field(default_factory=list)
    without_email: list[str] = field(default_factory=list)  # an administrator must step in
    not_pending: list[tuple[str, str]] = field(default_factory=list)  # (user name, state): nothing sent

    def as_json(self) -> dict[str, object]:
        return {
            "sent": self.sent,
            "withoutEmail": self.without_email,
            "notPending": [{"username": name, "state": state} for name, state in self.not_pending],
        }


def _targets(connection: sa.Connection, usernames: Sequence[str] | None) -> list[Account]:
    ids: list[str] = []
    if usernames is None:
        query = sa.select(account.c.id).where(account.c.pending_activation.is_(True)).order_by(account.c.username)
        ids = [str(i) for i in connection.execute(query).scalars()]
    else:
        for name in dict.fromkeys(normalise_username(n) for n in usernames):
            found = connection.execute(sa.select(account.c.id).where(account.c.username == name)).scalar()
            if found is None:  # checked before anything is sent: a typo sends nothing
                raise NotFound("auth-unknown-account", username=name)
            ids.append(str(found))
    return [a for a in (get_account(connection, i) for i in ids) if a is not None]


def send_activation(resets: PasswordResets, usernames: Sequence[str] | None, language: str) -> ActivationRun:
    """Mail an activation link to every pending account (``usernames`` None) or to the named ones."""
    run, lifetime_s = ActivationRun(), resets.activation_lifetime_s
    with write(resets.engine) as connection:
        targets = _targets(connection, usernames)
        now = resets.clock()
        for target in targets:
            if not target.pending:
                run.not_pending.append((target.username, target.state))
            elif not target.email:
                run.without_email.append(target.username)
            else:
                raw = resets.issue(connection, target, now, lifetime_s)
                resets.sender.send(_mail(resets, target, target.email, raw, language, lifetime_s), connection)
                run.sent.append(target.username)
    log.info("activation links sent: %d; accounts without e-mail: %d", len(run.sent), len(run.without_email))
    return run


def _mail(resets: PasswordResets, target: Account, email: str, raw: str, language: str, lifetime_s: int) -> Mail:
    params = {"username": target.username, "link": resets.link(raw), "hours": lifetime_s // 3600}
    return Mail(
        recipient=email,
        subject=translate("auth-activation-mail-subject", language, params),
        body=translate("auth-activation-mail-body", language, params),
    )

"""Forgotten passwords: a single-use, hour-long link sent to the account's e-mail (security.md 5.6, 5.7).

- The answer to "forgot" is the same whether the account exists, is inactive, has no e-mail, or is
  unknown; every path runs one write transaction (the throttle counters), so they cost alike.
- The token is 256 random bits; only its SHA-256 is stored; it expires, and claiming it is one
  conditional UPDATE, so it works once even under concurrent posts. A newer link voids older ones.
- The link is built from the configured public URL of the authorization server, never from the
  request's Host header (which an attacker chooses: "password-reset poisoning").
- Requests are counted per typed name or e-mail and per IP, like failed logins (throttle.py).
- A reset ends every session of the account (tokens, codes, authorize transactions) and lifts its
  login lock: the owner has just proved control of the mailbox.
- Accounts pending activation (imported ones) may reset, and the reset activates them; accounts an
  administrator deactivated may not (no link is sent, a live one stops working).

Time comes from an injectable clock so tests can step past the expiry without sleeping.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import sqlalchemy as sa

from fhir_server.auth.accounts import Account, end_sessions, find_by_username_or_email, get_account
from fhir_server.auth.common import digest, new_secret, now_us, write
from fhir_server.auth.mail import Mail, MailSender, make_sender
from fhir_server.auth.passwords import hash_password, password_problem
from fhir_server.auth.schema import account, reset_token
from fhir_server.auth.throttle import account_key, clear, is_throttled, record_failure
from fhir_server.i18n import translate
from fhir_server.settings import Settings

log = logging.getLogger("fhir_server.auth.reset")
US = 1_000_000
MAX_IDENTIFIER = 254


@dataclass(frozen=True)
class ResetLimits:
    """How many reset requests each typed name (or e-mail) and each IP may make per window."""

    per_account: int = 3
    per_ip: int = 10
    window_us: int = 3600 * US


class ResetOutcome(enum.Enum):
    DONE = "done"
    BAD_LINK = "bad-link"  # unknown, used, superseded or expired token, or a deactivated account
    BAD_PASSWORD = "bad-password"


@dataclass(frozen=True)
class ResetResult:
    outcome: ResetOutcome
    message: str | None = None
    params: dict[str, object] | None = None


class PasswordResets:
    """Issues and redeems password-reset links."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        public_url: str,
        sender: MailSender,
        lifetime_s: int = 3600,
        limits: ResetLimits | None = None,
        clock: Callable[[], int] = now_us,
        activation_lifetime_s: int = 72 * 3600,
    ) -> None:
        self.engine = engine
        self.public_url = public_url.rstrip("/")
        self.sender = sender
        self.lifetime_s = lifetime_s
        self.limits = limits or ResetLimits()
        self.clock = clock
        self.activation_lifetime_s = activation_lifetime_s  # links to imported accounts (activation.py)

    @staticmethod
    def from_settings(engine: sa.Engine, settings: Settings) -> PasswordResets:
        """The service as configured: links below the issuer URL, the chosen mail sink."""
        return PasswordResets(
            engine,
            public_url=settings.issuer,
            sender=make_sender(settings.auth_mail_sink, settings.auth_mail_file),
            lifetime_s=settings.auth_reset_minutes * 60,
            limits=ResetLimits(
                per_account=settings.auth_reset_max_per_account,
                per_ip=settings.auth_reset_max_per_ip,
                window_us=settings.auth_reset_window_seconds * US,
            ),
            activation_lifetime_s=settings.auth_activation_hours * 3600,
        )

    def link(self, raw: str) -> str:
        """The reset page URL for a token, below the configured public URL."""
        return f"{self.public_url}/reset?{urlencode({'token': raw})}"

    def request(self, identifier: str, address: str, language: str) -> bool:
        """Handle a "forgot password" form; False when throttled. Says nothing about the account."""
        typed = identifier.strip()[:MAX_IDENTIFIER]
        limits = self.limits
        keys = {f"reset-user:{typed.casefold()}"[:200]: limits.per_account, f"reset-ip:{address}"[:200]: limits.per_ip}
        now = self.clock()
        with write(self.engine) as connection:
            if is_throttled(connection, keys, now, limits.window_us):
                return False
            for key in keys:  # every request counts, found or not: the throttle must not tell them apart
                record_failure(connection, key, now, limits.window_us)
            target = find_by_username_or_email(connection, typed) if typed else None
            if target is None or not target.may_reset or not target.email:
                if target is not None:
                    log.info("password reset for %s not sent (deactivated or no e-mail)", target.username)
                return True
            raw = self.issue(connection, target, now, self.lifetime_s)
            self.sender.send(self._mail(target, target.email, raw, language), connection)
        return True

    def issue(self, connection: sa.Connection, target: Account, now: int, lifetime_s: int) -> str:
        """A new link token for the account (only its hash is stored); older live ones stop working."""
        raw = new_secret()
        # Only the newest link works; rows long past their expiry are dropped.
        connection.execute(
            reset_token.update()
            .where(reset_token.c.account_id == target.id, reset_token.c.used_us.is_(None))
            .values(used_us=now)
        )
        connection.execute(reset_token.delete().where(reset_token.c.expires_us < now - 86_400 * US))
        connection.execute(
            reset_token.insert().values(
                token_hash=digest(raw), account_id=target.id, created_us=now, expires_us=now + lifetime_s * US
            )
        )
        return raw

    def _mail(self, target: Account, email: str, raw: str, language: str) -> Mail:
        params = {"username": target.username, "link": self.link(raw), "minutes": self.lifetime_s // 60}
        return Mail(
            recipient=email,
            subject=translate("auth-reset-mail-subject", language, params),
            body=translate("auth-reset-mail-body", language, params),
        )

    def account_for(self, raw: str) -> Account | None:
        """The active or pending account a live (unused, unexpired) token belongs to."""
        if not raw or len(raw) > 128:
            return None
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(reset_token.c.account_id, reset_token.c.expires_us, reset_token.c.used_us).where(
                    reset_token.c.token_hash == digest(raw)
                )
            ).first()
            if row is None or row.used_us is not None or row.expires_us <= self.clock():
                return None
            found = get_account(connection, row.account_id)
        return found if found is not None and found.may_reset else None

    def complete(self, raw: str, password: str, confirmation: str) -> ResetResult:
        """Set the new password through a live token, spend the token, end every session; a pending
        account becomes active."""
        target = self.account_for(raw)
        if target is None:
            return ResetResult(ResetOutcome.BAD_LINK, "auth-reset-bad-link")
        if password != confirmation:
            return ResetResult(ResetOutcome.BAD_PASSWORD, "auth-reset-mismatch", {})
        problem = password_problem(password, target.username)
        if problem is not None:
            return ResetResult(ResetOutcome.BAD_PASSWORD, problem[0], problem[1])
        password_hash = hash_password(password)  # before the transaction: it takes a while
        now = self.clock()
        with write(self.engine) as connection:
            claimed = connection.execute(
                reset_token.update()
                .where(
                    reset_token.c.token_hash == digest(raw),
                    reset_token.c.used_us.is_(None),
                    reset_token.c.expires_us > now,
                )
                .values(used_us=now)
            ).rowcount
            if not claimed:  # someone used it between the check and now
                return ResetResult(ResetOutcome.BAD_LINK, "auth-reset-bad-link")
            connection.execute(
                reset_token.update()
                .where(reset_token.c.account_id == target.id, reset_token.c.used_us.is_(None))
                .values(used_us=now)
            )
            # Conditional: an administrator who deactivated the account meanwhile keeps it deactivated.
            changed = connection.execute(
                account.update()
                .where(
                    account.c.id == target.id,
                    sa.or_(account.c.active.is_(True), account.c.pending_activation.is_(True)),
                )
                .values(
                    password_hash=password_hash,
                    failed_logins=0,
                    active=True,
                    pending_activation=False,
                    updated_us=now_us(),
                )
            ).rowcount
            if not changed:
                return ResetResult(ResetOutcome.BAD_LINK, "auth-reset-bad-link")
            end_sessions(connection, target.id, now)
            clear(connection, account_key(target.username))
        log.info("password of %s %s through an e-mailed link", target.username, "set" if target.pending else "reset")
        return ResetResult(ResetOutcome.DONE)

"""Outgoing mail of the authorization server (password-reset links), behind a pluggable sender.

There is no SMTP server in the clinic's deployments: the default ``outbox`` sender writes each
message to the ``auth_outbox`` table, from which a relay (or an operator with ``fhir-server
outbox``) delivers it. ``file`` appends JSON lines to a file; ``log`` writes the message to the
server log (development only: the link is a credential for an hour).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa

from fhir_server.auth.common import new_id, now_us, write
from fhir_server.auth.schema import outbox

log = logging.getLogger("fhir_server.auth.mail")
MAIL_SINKS = ("outbox", "file", "log")
# Undelivered messages older than this only hold dead links (reset links live an hour at most).
OUTBOX_KEPT_US = 7 * 86_400 * 1_000_000


@dataclass(frozen=True)
class Mail:
    """One plain-text message."""

    recipient: str
    subject: str
    body: str


class MailSender(Protocol):
    """Something that accepts a message for delivery (it need not deliver it at once).

    ``connection`` is the transaction that produced the message: the outbox commits with it, so a
    reset token and its message exist together or not at all.
    """

    def send(self, mail: Mail, connection: sa.Connection) -> None: ...


class OutboxSender:
    """Queues messages in the database (``auth_outbox``)."""

    def send(self, mail: Mail, connection: sa.Connection) -> None:
        now = now_us()
        connection.execute(outbox.delete().where(outbox.c.created_us < now - OUTBOX_KEPT_US))
        connection.execute(
            outbox.insert().values(
                id=new_id(), recipient=mail.recipient, subject=mail.subject, body=mail.body, created_us=now
            )
        )


class FileSender:
    """Appends each message as one JSON line to a file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def send(self, mail: Mail, connection: sa.Connection) -> None:  # noqa: ARG002
        line = json.dumps({**asdict(mail), "created_us": now_us()}, ensure_ascii=False)
        with self._lock, self.path.open("a", encoding="utf-8") as file:
            file.write(line + "\n")


class LogSender:
    """Writes messages to the server log (development)."""

    def send(self, mail: Mail, connection: sa.Connection) -> None:  # noqa: ARG002
        log.warning("mail to %s: %s\n%s", mail.recipient, mail.subject, mail.body)


def make_sender(sink: str, path: Path | None = None) -> MailSender:
    """The sender a setting names."""
    if sink == "file":
        if path is None:
            raise ValueError("the file mail sink needs FHIR_AUTH_MAIL_FILE")
        return FileSender(path)
    if sink == "log":
        return LogSender()
    if sink == "outbox":
        return OutboxSender()
    raise ValueError(f"unknown mail sink {sink!r}; use one of {', '.join(MAIL_SINKS)}")


@dataclass(frozen=True)
class QueuedMail:
    """A message waiting in the outbox."""

    id: str
    recipient: str
    subject: str
    body: str
    created_us: int


def undelivered(engine: sa.Engine) -> list[QueuedMail]:
    """Outbox messages not yet marked sent, oldest first."""
    query = (
        sa.select(outbox.c.id, outbox.c.recipient, outbox.c.subject, outbox.c.body, outbox.c.created_us)
        .where(outbox.c.sent_us.is_(None))
        .order_by(outbox.c.created_us, outbox.c.id)
    )
    with engine.connect() as connection:
        return [QueuedMail(*row) for row in connection.execute(query).all()]


def mark_sent(engine: sa.Engine, ids: list[str]) -> None:
    """Record delivery, and forget the bodies: they carry reset links."""
    if not ids:
        return
    with write(engine) as connection:
        connection.execute(outbox.update().where(outbox.c.id.in_(ids)).values(sent_us=now_us(), body=""))

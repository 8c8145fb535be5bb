"""Authorize transactions in progress: the request being answered, who logged in, which patient.

A transaction id travels in the pages' forms; it only works together with the browser cookie it
was started with (its hash is stored) and the page's CSRF token, so a page cannot be submitted
from another browser or another site.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from fhir_server.auth.common import digest, new_secret, now_us, same, write
from fhir_server.auth.schema import pending

US = 1_000_000


@dataclass(frozen=True)
class Pending:
    """One authorize transaction."""

    txn: str
    csrf: str
    client_id: str
    params: tuple[tuple[str, str], ...]
    account_id: str | None
    patient: str | None
    encounter: str | None
    auth_time_us: int | None

    def param(self, name: str) -> str | None:
        return next((value for key, value in self.params if key == name), None)


def start(
    engine: sa.Engine,
    browser: str,
    client_id: str,
    params: list[tuple[str, str]],
    *,
    patient: str | None,
    encounter: str | None,
    lifetime_s: int,
) -> Pending:
    """Open a transaction bound to this browser."""
    now = now_us()
    txn, csrf = new_secret(), secrets.token_urlsafe(24)
    with write(engine) as connection:
        connection.execute(pending.delete().where(pending.c.expires_us < now))
        connection.execute(
            pending.insert().values(
                id_hash=digest(txn),
                browser_hash=digest(browser),
                csrf=csrf,
                client_id=client_id,
                params=json.dumps(params),
                patient=patient,
                encounter=encounter,
                expires_us=now + lifetime_s * US,
            )
        )
    return Pending(txn, csrf, client_id, tuple(params), None, patient, encounter, None)


def load(engine: sa.Engine, txn: str, csrf: str, browser: str) -> Pending | None:
    """The live transaction, if this browser and this page's CSRF token match it."""
    if not txn or not csrf or not browser:
        return None
    with engine.connect() as connection:
        row = connection.execute(sa.select(pending).where(pending.c.id_hash == digest(txn))).first()
    if row is None or row.expires_us <= now_us():
        return None
    if not (same(row.browser_hash, digest(browser)) and same(row.csrf, csrf)):
        return None
    return Pending(
        txn=txn,
        csrf=row.csrf,
        client_id=row.client_id,
        params=tuple((str(k), str(v)) for k, v in json.loads(row.params)),
        account_id=row.account_id,
        patient=row.patient,
        encounter=row.encounter,
        auth_time_us=row.auth_time_us,
    )


def update(engine: sa.Engine, current: Pending, *, new_csrf: bool = False, **values: object) -> Pending:
    """Record progress; a new CSRF token after login (the session changes privilege)."""
    csrf = secrets.token_urlsafe(24) if new_csrf else current.csrf
    with write(engine) as connection:
        connection.execute(pending.update().where(pending.c.id_hash == digest(current.txn)).values(csrf=csrf, **values))
    fields = {**current.__dict__, "csrf": csrf, **values}
    return Pending(**fields)


def finish(engine: sa.Engine, current: Pending) -> None:
    """Close a transaction (its code was issued or the user said no)."""
    with write(engine) as connection:
        connection.execute(pending.delete().where(pending.c.id_hash == digest(current.txn)))

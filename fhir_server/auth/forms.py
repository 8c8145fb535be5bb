"""CSRF tokens of the pages outside /authorize (forgot password, reset password).

Synchronizer tokens like the authorize pages' (fhir_server/auth/pending.py): each rendered form
carries a fresh random token, stored hashed and bound to the browser cookie it was issued with and
to the form's purpose; posting it spends it, so a form cannot be posted from another browser, from
another site, or twice.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from fhir_server.auth.common import digest, now_us, write
from fhir_server.auth.schema import form_token

FORM_SECONDS = 3600


def issue_form_token(engine: sa.Engine, browser: str, purpose: str, lifetime_s: int = FORM_SECONDS) -> str:
    """A new CSRF token for one form shown to this browser."""
    raw = secrets.token_urlsafe(24)
    now = now_us()
    with write(engine) as connection:
        connection.execute(form_token.delete().where(form_token.c.expires_us < now))
        connection.execute(
            form_token.insert().values(
                token_hash=digest(raw),
                browser_hash=digest(browser),
                purpose=purpose,
                expires_us=now + lifetime_s * 1_000_000,
            )
        )
    return raw


def spend_form_token(engine: sa.Engine, raw: str, browser: str, purpose: str) -> bool:
    """True (once) when the token was issued to this browser for this form and has not expired."""
    if not raw or not browser:
        return False
    with write(engine) as connection:
        spent = connection.execute(
            form_token.delete().where(
                form_token.c.token_hash == digest(raw),
                form_token.c.browser_hash == digest(browser),
                form_token.c.purpose == purpose,
                form_token.c.expires_us > now_us(),
            )
        ).rowcount
    return bool(spent)

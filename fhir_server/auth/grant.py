"""The resource-server side: turn a bearer token into a ``Grant`` on every FHIR request.

One indexed lookup (token hash, joined to the account by primary key) per call. The account's
active flag and role are read every time, so deactivation and role changes apply to the next
request; revocation and expiry likewise. Scope strings are parsed once and cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from fhir_server.auth.common import digest, now_us
from fhir_server.auth.policy import effective_scopes
from fhir_server.auth.schema import account, token
from fhir_server.auth.scopes import ScopeSet

MAX_TOKEN_LENGTH = 512


@dataclass(frozen=True, slots=True)
class Grant:
    """What a valid access token lets its bearer do, as of this request.

    ``scopes`` is already the effective set: granted scopes cut by the role's current ceiling
    (backend clients: their granted system scopes). ``patient``/``encounter`` are the launch
    context ids (bare ids, relative to the FHIR base).
    """

    token_id: str
    client_id: str
    account_id: str | None
    role: str | None
    fhir_user: str | None
    patient: str | None
    encounter: str | None
    scopes: ScopeSet
    expires_us: int

    @property
    def is_system(self) -> bool:
        """A backend-services token (no user)."""
        return self.account_id is None


_QUERY = (
    sa.select(
        token.c.id,
        token.c.kind,
        token.c.client_id,
        token.c.account_id,
        token.c.scope,
        token.c.patient,
        token.c.encounter,
        token.c.audience,
        token.c.expires_us,
        token.c.revoked_us,
        account.c.active,
        account.c.role,
        account.c.fhir_user,
    )
    .select_from(token.outerjoin(account, account.c.id == token.c.account_id))
    .where(token.c.token_hash == sa.bindparam("token_hash"))
)


class TokenAuthenticator:
    """Validates bearer tokens for one FHIR endpoint (its base URL is the audience)."""

    def __init__(self, engine: sa.Engine, audience: str) -> None:
        self.engine = engine
        self.audience = audience
        # Compiled once and run on a raw pooled connection: SQLAlchemy's per-execution overhead is
        # larger than the indexed lookup itself (same technique as fhir_server/storage/fast.py).
        compiled = _QUERY.compile(dialect=engine.dialect)
        self._sql = str(compiled)
        self._positional = bool(compiled.positiontup)

    def _row(self, token_hash: str) -> tuple[Any, ...] | None:
        arguments: Any = [token_hash] if self._positional else {"token_hash": token_hash}
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(self._sql, arguments)
                row = cursor.fetchone()
            finally:
                cursor.close()
        finally:
            connection.close()
        return tuple(row) if row is not None else None

    def authenticate(self, bearer_token: str | None) -> Grant | None:
        """The grant behind a live access token for this audience, or None (unknown, expired,
        revoked, another audience, or its account is deactivated)."""
        if not bearer_token or len(bearer_token) > MAX_TOKEN_LENGTH:
            return None
        row = self._row(digest(bearer_token))
        if row is None:
            return None
        (token_id, kind, client_id, account_id, scope, patient, encounter, audience, expires_us, revoked_us,
         active, role, fhir_user) = row  # fmt: skip
        if kind != "access" or revoked_us is not None or audience != self.audience or expires_us <= now_us():
            return None
        granted = ScopeSet.parse(scope)
        if account_id is None:
            scopes = granted
        elif not active:
            return None
        else:
            scopes = effective_scopes(granted, role)
        return Grant(
            token_id=token_id,
            client_id=client_id,
            account_id=account_id,
            role=role,
            fhir_user=fhir_user,
            patient=patient,
            encounter=encounter,
            scopes=scopes,
            expires_us=expires_us,
        )


def authenticate(engine: sa.Engine, bearer_token: str | None, *, audience: str) -> Grant | None:
    """Module-level form of ``TokenAuthenticator(engine, audience).authenticate``."""
    return TokenAuthenticator(engine, audience).authenticate(bearer_token)

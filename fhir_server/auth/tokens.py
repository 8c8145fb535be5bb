"""Authorization codes, access and refresh tokens, EHR launch records: stored as SHA-256 hashes only.

Every token issued from one authorization code shares a family id. Refresh tokens rotate on use;
presenting an already-rotated refresh token (a stolen copy, or the victim after the thief) revokes the
whole family, as does presenting a used authorization code again (RFC 6749 4.1.2, SMART best practices).
Single use is claimed with one conditional UPDATE, so two concurrent requests cannot both win.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa

from fhir_server.auth.common import digest, new_id, new_secret, now_us, write
from fhir_server.auth.schema import code as code_table
from fhir_server.auth.schema import launch as launch_table
from fhir_server.auth.schema import token as token_table

US = 1_000_000


@dataclass(frozen=True)
class LaunchContext:
    """Context returned beside the access token (SMART scopes-and-launch-context page)."""

    patient: str | None = None
    encounter: str | None = None
    need_patient_banner: bool | None = None
    smart_style_url: str | None = None

    def response_fields(self) -> dict[str, Any]:
        return {name: value for name, value in asdict(self).items() if value is not None}

    def dumps(self) -> str:
        return json.dumps(self.response_fields(), sort_keys=True)

    @staticmethod
    def loads(text: str | None) -> LaunchContext:
        return LaunchContext(**json.loads(text)) if text else LaunchContext()


@dataclass(frozen=True)
class StoredCode:
    """A claimed authorization code (Authlib's AuthorizationCodeMixin protocol)."""

    client_id: str
    account_id: str
    redirect_uri: str
    scope: str
    code_challenge: str
    nonce: str | None
    context: LaunchContext
    family_id: str
    auth_time: int
    code_challenge_method: str = "S256"

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


@dataclass(frozen=True)
class StoredToken:
    """An access or refresh token row (Authlib's TokenMixin protocol)."""

    id: str
    kind: str
    family_id: str
    client_id: str
    account_id: str | None
    scope: str
    context: LaunchContext
    audience: str
    issued_us: int
    expires_us: int
    rotated_us: int | None
    revoked_us: int | None

    def check_client(self, client: Any) -> bool:
        return bool(client.get_client_id() == self.client_id)

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return (self.expires_us - self.issued_us) // US

    def is_expired(self) -> bool:
        return self.expires_us <= now_us()

    def is_revoked(self) -> bool:
        return self.revoked_us is not None or self.rotated_us is not None


def save_code(
    engine: sa.Engine,
    code: str,
    *,
    client_id: str,
    account_id: str,
    redirect_uri: str,
    scope: str,
    code_challenge: str,
    nonce: str | None,
    context: LaunchContext,
    auth_time_us: int,
    lifetime_s: int,
) -> None:
    """Store a new authorization code (its hash) with everything the exchange needs."""
    now = now_us()
    with write(engine) as connection:
        connection.execute(code_table.delete().where(code_table.c.expires_us < now - 3600 * US))
        connection.execute(
            code_table.insert().values(
                code_hash=digest(code),
                client_id=client_id,
                account_id=account_id,
                redirect_uri=redirect_uri,
                scope=scope,
                code_challenge=code_challenge,
                nonce=nonce,
                context=context.dumps(),
                family_id=new_id(),
                auth_time_us=auth_time_us,
                expires_us=now + lifetime_s * US,
            )
        )


def claim_code(engine: sa.Engine, code: str, client_id: str) -> StoredCode | None:
    """The code, if it exists, belongs to the client, is unexpired and unused: it is now used.

    A second presentation of a used code revokes every token issued from it.
    """
    code_hash = digest(code)
    now = now_us()
    with write(engine) as connection:
        row = connection.execute(sa.select(code_table).where(code_table.c.code_hash == code_hash)).first()
        if row is None or row.client_id != client_id:
            return None
        claimed = connection.execute(
            code_table.update()
            .where(code_table.c.code_hash == code_hash, code_table.c.used_us.is_(None))
            .values(used_us=now)
        ).rowcount
        if not claimed:
            _revoke_family(connection, row.family_id, now)
            return None
    if row.expires_us <= now:
        return None
    return StoredCode(
        client_id=row.client_id,
        account_id=row.account_id,
        redirect_uri=row.redirect_uri,
        scope=row.scope,
        code_challenge=row.code_challenge,
        nonce=row.nonce,
        context=LaunchContext.loads(row.context),
        family_id=row.family_id,
        auth_time=row.auth_time_us // US,
    )


@dataclass(frozen=True)
class Issued:
    """Raw token values, returned once to the client and never stored."""

    access_token: str
    refresh_token: str | None


def store_tokens(
    engine: sa.Engine,
    issued: Issued,
    *,
    family_id: str,
    client_id: str,
    account_id: str | None,
    scope: str,
    context: LaunchContext,
    audience: str,
    access_seconds: int,
    refresh_seconds: int,
) -> None:
    """Store the hashes of freshly issued tokens."""
    now = now_us()
    rows = [("access", issued.access_token, access_seconds)]
    if issued.refresh_token:
        rows.append(("refresh", issued.refresh_token, refresh_seconds))
    with write(engine) as connection:
        for kind, raw, seconds in rows:
            connection.execute(
                token_table.insert().values(
                    id=new_id(),
                    token_hash=digest(raw),
                    kind=kind,
                    family_id=family_id,
                    client_id=client_id,
                    account_id=account_id,
                    scope=scope,
                    patient=context.patient,
                    encounter=context.encounter,
                    context=context.dumps(),
                    audience=audience,
                    issued_us=now,
                    expires_us=now + seconds * US,
                )
            )


def _to_token(row: Any) -> StoredToken:
    return StoredToken(
        id=row.id,
        kind=row.kind,
        family_id=row.family_id,
        client_id=row.client_id,
        account_id=row.account_id,
        scope=row.scope,
        context=LaunchContext.loads(row.context),
        audience=row.audience,
        issued_us=row.issued_us,
        expires_us=row.expires_us,
        rotated_us=row.rotated_us,
        revoked_us=row.revoked_us,
    )


def find_token(engine: sa.Engine, raw: str) -> StoredToken | None:
    """The token row for a raw token value, whatever its state."""
    with engine.connect() as connection:
        row = connection.execute(sa.select(token_table).where(token_table.c.token_hash == digest(raw))).first()
    return _to_token(row) if row else None


def usable_refresh_token(engine: sa.Engine, raw: str) -> StoredToken | None:
    """A live refresh token; a rotated one presented again revokes its family (reuse detection)."""
    found = find_token(engine, raw)
    if found is None or found.kind != "refresh" or found.revoked_us is not None:
        return None
    if found.rotated_us is not None:
        revoke_family(engine, found.family_id)
        return None
    return None if found.is_expired() else found


def rotate(engine: sa.Engine, refresh: StoredToken) -> bool:
    """Mark a refresh token used; False (and the family revoked) if someone used it first."""
    now = now_us()
    with write(engine) as connection:
        claimed = connection.execute(
            token_table.update()
            .where(
                token_table.c.id == refresh.id,
                token_table.c.rotated_us.is_(None),
                token_table.c.revoked_us.is_(None),
            )
            .values(rotated_us=now)
        ).rowcount
        if not claimed:
            _revoke_family(connection, refresh.family_id, now)
    return bool(claimed)


def _revoke_family(connection: sa.Connection, family_id: str, now: int) -> None:
    connection.execute(
        token_table.update()
        .where(token_table.c.family_id == family_id, token_table.c.revoked_us.is_(None))
        .values(revoked_us=now)
    )


def revoke_family(engine: sa.Engine, family_id: str) -> None:
    """Revoke every token issued from one authorization."""
    with write(engine) as connection:
        _revoke_family(connection, family_id, now_us())


def revoke_one(engine: sa.Engine, token_id: str) -> None:
    """Revoke one token."""
    with write(engine) as connection:
        connection.execute(
            token_table.update()
            .where(token_table.c.id == token_id, token_table.c.revoked_us.is_(None))
            .values(revoked_us=now_us())
        )


@dataclass(frozen=True)
class Launch:
    """An EHR launch: the clinic frontend opened an app for this user, patient and encounter."""

    launch_hash: str
    client_id: str
    account_id: str | None
    patient: str | None
    encounter: str | None


def create_launch(
    engine: sa.Engine,
    client_id: str,
    *,
    account_id: str | None,
    patient: str | None,
    encounter: str | None,
    lifetime_s: int = 300,
) -> str:
    """A new launch id (given to the app as ``launch``; stored hashed)."""
    raw = new_secret()
    with write(engine) as connection:
        connection.execute(
            launch_table.insert().values(
                launch_hash=digest(raw),
                client_id=client_id,
                account_id=account_id,
                patient=patient,
                encounter=encounter,
                expires_us=now_us() + lifetime_s * US,
            )
        )
    return raw


def find_launch(engine: sa.Engine, raw: str, client_id: str) -> Launch | None:
    """The unexpired, unused launch issued for this client."""
    with engine.connect() as connection:
        row = connection.execute(sa.select(launch_table).where(launch_table.c.launch_hash == digest(raw))).first()
    if row is None or row.client_id != client_id or row.used_us is not None or row.expires_us <= now_us():
        return None
    return Launch(row.launch_hash, row.client_id, row.account_id, row.patient, row.encounter)


def use_launch(engine: sa.Engine, launch_hash: str) -> bool:
    """Consume a launch; False if it was already used."""
    with write(engine) as connection:
        return bool(
            connection.execute(
                launch_table.update()
                .where(launch_table.c.launch_hash == launch_hash, launch_table.c.used_us.is_(None))
                .values(used_us=now_us())
            ).rowcount
        )


def new_token_values(with_refresh: bool) -> Issued:
    """Fresh random token values (256 bits each)."""
    return Issued(new_secret(), new_secret() if with_refresh else None)

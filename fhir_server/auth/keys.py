"""Signing keys for id_tokens (RS256) and the JWK set published at /auth/jwks.

One active key signs; after ``rotate-keys`` the previous one stays published (retired) until every
id_token it signed has expired, then it is dropped. Tokens are always signed with the active key
and its ``kid`` in the header (signing with a KeySet would pick a random key, security.md 4.2-3).
The kid is the RFC 7638 thumbprint.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import RSAKey

from fhir_server.auth.common import now_us, write
from fhir_server.auth.schema import signing_key

ID_TOKEN_ALG = "RS256"
ID_TOKEN_SECONDS = 3600
# A retired key stays in the JWKS this long: id_tokens live an hour, clients cache JWKS a while.
RETIRED_KEPT_US = 2 * ID_TOKEN_SECONDS * 1_000_000


def _new_key() -> RSAKey:
    key = RSAKey.generate_key(2048, parameters={"alg": ID_TOKEN_ALG, "use": "sig"})
    key.ensure_kid()
    return key


def _insert(connection: sa.Connection, key: RSAKey, now: int) -> None:
    connection.execute(
        signing_key.insert().values(
            kid=key.kid,
            alg=ID_TOKEN_ALG,
            private_jwk=json.dumps(key.as_dict(private=True)),
            status="active",
            created_us=now,
        )
    )


def active_key(engine: sa.Engine) -> RSAKey:
    """The key that signs now (created on first use)."""
    with engine.connect() as connection:
        text = connection.execute(
            sa.select(signing_key.c.private_jwk).where(signing_key.c.status == "active").limit(1)
        ).scalar()
    if text is None:
        with write(engine) as connection:
            text = connection.execute(
                sa.select(signing_key.c.private_jwk).where(signing_key.c.status == "active").limit(1)
            ).scalar()
            if text is None:
                key = _new_key()
                _insert(connection, key, now_us())
                return key
    return RSAKey.import_key(json.loads(text))


def rotate_keys(engine: sa.Engine) -> str:
    """Make a new active key, retire the current one, drop keys retired long ago; returns the new kid."""
    now = now_us()
    key = _new_key()
    with write(engine) as connection:
        connection.execute(
            signing_key.update().where(signing_key.c.status == "active").values(status="retired", retired_us=now)
        )
        connection.execute(
            signing_key.delete().where(
                signing_key.c.status == "retired", signing_key.c.retired_us < now - RETIRED_KEPT_US
            )
        )
        _insert(connection, key, now)
    assert key.kid is not None
    return key.kid


def public_jwks(engine: sa.Engine) -> dict[str, Any]:
    """The published JWK set: the active key and recently retired ones, public parts only."""
    active_key(engine)
    cutoff = now_us() - RETIRED_KEPT_US
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(signing_key.c.private_jwk)
            .where(sa.or_(signing_key.c.status == "active", signing_key.c.retired_us >= cutoff))
            .order_by(signing_key.c.created_us.desc())
        ).scalars()
        keys = [RSAKey.import_key(json.loads(text)).as_dict(private=False) for text in rows]
    return {"keys": keys}


def sign_id_token(engine: sa.Engine, claims: dict[str, Any]) -> str:
    """An RS256 JWT over the claims, signed by the active key with its kid."""
    key = active_key(engine)
    return jwt.encode({"alg": ID_TOKEN_ALG, "kid": key.kid}, claims, key, algorithms=[ID_TOKEN_ALG])

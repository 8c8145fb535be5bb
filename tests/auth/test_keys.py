"""Signing keys: one active RS256 key with a thumbprint kid; rotation keeps the old key published a while."""

from __future__ import annotations

import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from fhir_server.auth.keys import RETIRED_KEPT_US, active_key, public_jwks, rotate_keys, sign_id_token
from fhir_server.auth.schema import signing_key


def test_first_use_creates_one_key(auth_db):
    jwks = public_jwks(auth_db)
    assert len(jwks["keys"]) == 1
    key = jwks["keys"][0]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert "d" not in key and "p" not in key  # public parts only
    assert key["kid"] == RSAKey.import_key(key).thumbprint()
    assert active_key(auth_db).kid == key["kid"]


def test_rotation_signs_with_the_new_key_and_keeps_the_old_published(auth_db):
    old = active_key(auth_db).kid
    token_before = sign_id_token(auth_db, {"sub": "a"})
    new = rotate_keys(auth_db)
    assert new != old
    jwks = public_jwks(auth_db)
    assert [k["kid"] for k in jwks["keys"]] == [new, old]
    token_after = sign_id_token(auth_db, {"sub": "b"})
    keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
    assert jwt.decode(token_before, keys, algorithms=["RS256"]).header["kid"] == old
    assert jwt.decode(token_after, keys, algorithms=["RS256"]).header["kid"] == new
    # once retired long enough, the old key disappears at the next rotation
    with auth_db.begin() as connection:
        connection.execute(
            signing_key.update().where(signing_key.c.kid == old).values(retired_us=1_000_000 - RETIRED_KEPT_US)
        )
    newest = rotate_keys(auth_db)
    assert [k["kid"] for k in public_jwks(auth_db)["keys"]] == [newest, new]
    with auth_db.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(signing_key)).scalar() == 2

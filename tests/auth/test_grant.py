"""authenticate(): one lookup per request that sees revocation, expiry, deactivation and role changes."""

from __future__ import annotations

import base64
import json
import statistics
import time

import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import OctKey

from fhir_server.auth.accounts import create_account, deactivate_account, set_role
from fhir_server.auth.grant import TokenAuthenticator, authenticate
from fhir_server.auth.keys import public_jwks
from fhir_server.auth.schema import token
from fhir_server.auth.tokens import Issued, LaunchContext, revoke_family, store_tokens

AUDIENCE = "http://127.0.0.1:8080/fhir"


def _issue(engine, account_id, scope, raw="token-value-1", family="fam-1", **context):
    store_tokens(
        engine,
        Issued(raw, None),
        family_id=family,
        client_id="app",
        account_id=account_id,
        scope=scope,
        context=LaunchContext(**context),
        audience=AUDIENCE,
        access_seconds=3600,
        refresh_seconds=0,
    )
    return raw


def test_a_live_token_gives_its_grant(auth_db):
    doctor = create_account(auth_db, "dra", "clave-larga-01", "doctor", "Practitioner/dra")
    raw = _issue(auth_db, doctor.id, "openid fhirUser user/*.cruds launch/patient", patient="p1", encounter="e1")
    grant = TokenAuthenticator(auth_db, AUDIENCE).authenticate(raw)
    assert grant is not None
    assert (grant.client_id, grant.account_id, grant.role, grant.fhir_user) == (
        "app",
        doctor.id,
        "doctor",
        "Practitioner/dra",
    )
    assert (grant.patient, grant.encounter) == ("p1", "e1")
    # effective = granted ∩ the doctor's ceiling: no delete, no admin-only types
    assert grant.scopes.allows("Observation", "create")
    assert not grant.scopes.allows("Observation", "delete")
    assert not grant.scopes.allows("AuditEvent", "read")
    assert "openid" in grant.scopes
    assert grant.expires_us > time.time() * 1_000_000


def test_unknown_expired_revoked_and_foreign_tokens_give_nothing(auth_db):
    nurse = create_account(auth_db, "enf", "clave-larga-01", "enfermera", "Practitioner/enf")
    authenticator = TokenAuthenticator(auth_db, AUDIENCE)
    assert authenticator.authenticate(None) is None
    assert authenticator.authenticate("") is None
    assert authenticator.authenticate("no-such-token") is None
    assert authenticator.authenticate("x" * 5000) is None
    expired = _issue(auth_db, nurse.id, "user/*.rs", raw="expired", family="f-exp")
    with auth_db.begin() as connection:
        connection.execute(token.update().where(token.c.family_id == "f-exp").values(expires_us=1))
    assert authenticator.authenticate(expired) is None
    revoked = _issue(auth_db, nurse.id, "user/*.rs", raw="revoked", family="f-rev")
    assert authenticator.authenticate(revoked) is not None
    revoke_family(auth_db, "f-rev")
    assert authenticator.authenticate(revoked) is None
    other = _issue(auth_db, nurse.id, "user/*.rs", raw="for-a", family="f-aud")
    assert TokenAuthenticator(auth_db, "https://otro-servidor.ec/fhir").authenticate(other) is None
    assert authenticate(auth_db, other, audience=AUDIENCE) is not None


def test_forged_jwts_are_not_tokens(auth_db):
    """Access tokens are opaque: a JWT with alg=none, or HS256 keyed with our public key, is just unknown."""
    create_account(auth_db, "ger", "clave-larga-01", "doctor", "Practitioner/ger")
    claims = {"sub": "ger", "scope": "user/*.cruds", "aud": AUDIENCE, "exp": int(time.time()) + 600}

    def b64(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."
    public = json.dumps(public_jwks(auth_db)["keys"][0]).encode()
    hs256 = jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(public), algorithms=["HS256"])
    authenticator = TokenAuthenticator(auth_db, AUDIENCE)
    assert authenticator.authenticate(unsigned) is None
    assert authenticator.authenticate(hs256) is None


def test_deactivation_and_role_change_apply_to_the_next_call(auth_db):
    nurse = create_account(auth_db, "ines", "clave-larga-01", "enfermera", "Practitioner/ines")
    raw = _issue(auth_db, nurse.id, "user/*.cruds", raw="ines-token", family="f-ines")
    authenticator = TokenAuthenticator(auth_db, AUDIENCE)
    before = authenticator.authenticate(raw)
    assert before is not None and before.role == "enfermera"
    assert not before.scopes.allows("Condition", "create")
    set_role(auth_db, "ines", "doctor")
    after = authenticator.authenticate(raw)
    assert after is not None and after.role == "doctor"
    assert after.scopes.allows("Condition", "create")
    set_role(auth_db, "ines", "secretaria")
    demoted = authenticator.authenticate(raw)
    assert demoted is not None and not demoted.scopes.allows("Observation", "read")
    deactivate_account(auth_db, "ines")
    assert authenticator.authenticate(raw) is None
    with auth_db.connect() as connection:
        revoked = connection.execute(sa.select(token.c.revoked_us).where(token.c.family_id == "f-ines")).scalar()
    assert revoked is not None  # and the tokens are revoked, not only refused


def test_backend_tokens_have_no_user(auth_db):
    raw = _issue(auth_db, None, "system/Patient.rs system/Observation.rs", raw="system", family="f-sys")
    grant = TokenAuthenticator(auth_db, AUDIENCE).authenticate(raw)
    assert grant is not None and grant.is_system and grant.role is None
    assert grant.scopes.allows("Patient", "search")


def test_authenticate_cost_is_reported(auth_db):
    """Measured, printed, never gated (bench/auth.py has the full figures)."""
    account = create_account(auth_db, "jose", "clave-larga-01", "doctor", "Practitioner/jose")
    raw = _issue(auth_db, account.id, "user/*.cruds", raw="timing", family="f-t")
    authenticator = TokenAuthenticator(auth_db, AUDIENCE)
    for _ in range(50):
        authenticator.authenticate(raw)
    samples = []
    for _ in range(300):
        started = time.perf_counter()
        assert authenticator.authenticate(raw) is not None
        samples.append(time.perf_counter() - started)
    print(f"authenticate on {auth_db.dialect.name}: p50 {statistics.median(samples) * 1e6:.0f} µs")  # noqa: T201

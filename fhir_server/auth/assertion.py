"""private_key_jwt client authentication for SMART (RS384 and ES384), per client-confidential-asymmetric.

Authlib's JWTBearerClientAssertion accepts only joserfc's "recommended" algorithms (so it rejects
RS384/ES384) and does not cap the assertion lifetime (security.md 4.2-2). This subclass pins the
algorithms, requires ``kid``, applies the ``jku`` rule, picks exactly one key by kid and kty, caps
``exp`` at five minutes, and remembers every ``jti`` until it expires (replays fail).
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import Key, import_key

from fhir_server.auth.common import now_us, write
from fhir_server.auth.jwks_fetch import JwksFetcher
from fhir_server.auth.schema import assertion_jti

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = {"RS384": "RSA", "ES384": "EC"}
MAX_LIFETIME_S = 300
LEEWAY_S = 60


def remember_jti(engine: sa.Engine, client_id: str, jti: str, expires_s: int) -> bool:
    """Record a jti; False when this client already used it (a replay)."""
    now = now_us()
    with write(engine) as connection:
        connection.execute(assertion_jti.delete().where(assertion_jti.c.expires_us < now))
        seen = connection.execute(
            sa.select(assertion_jti.c.jti).where(assertion_jti.c.client_id == client_id, assertion_jti.c.jti == jti)
        ).first()
        if seen:
            return False
        keep_until = (expires_s + LEEWAY_S) * 1_000_000
        connection.execute(assertion_jti.insert().values(client_id=client_id, jti=jti[:255], expires_us=keep_until))
    return True


class SmartClientAssertion(JWTBearerClientAssertion):  # type: ignore[misc]
    """The ``private_key_jwt`` method, registered on the authorization server."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, engine: sa.Engine, token_url: str, fetcher: JwksFetcher) -> None:
        super().__init__(validate_jti=True, leeway=LEEWAY_S)
        self.engine = engine
        self.token_url = token_url
        self.fetcher = fetcher

    def get_audiences(self) -> list[str]:
        return [self.token_url]

    def __call__(self, query_client: Any, request: Any) -> Any:
        data = request.form
        assertion_type = data.get("client_assertion_type")
        assertion = data.get("client_assertion")
        if assertion_type is None and assertion is None:
            return None
        if assertion_type != ASSERTION_TYPE or not assertion:
            raise InvalidClientError(description="Unsupported or missing client assertion.")
        header, claims = self.extract_assertion(assertion)
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise InvalidClientError(description="Client assertions must be signed with RS384 or ES384.")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidClientError(description="Client assertion header has no kid.")
        client_id = claims.get("sub")
        client = query_client(client_id) if isinstance(client_id, str) else None
        if client is None:
            raise InvalidClientError(description="The client does not exist on this server.")
        jku = header.get("jku")
        if jku is not None and jku != client.jwks_uri:
            raise InvalidClientError(description="jku does not match the registered JWKS URL.")
        key = self._select_key(client, kid, ALGORITHMS[alg])
        request.client = client
        self._verify(assertion, key, alg)
        return self.authenticate_client(client)

    def _select_key(self, client: Any, kid: str, kty: str) -> Key:
        # Exactly one key with this kid and a key type matching the algorithm, or fail.
        def matching(jwks: dict[str, Any]) -> list[dict[str, Any]]:
            return [k for k in jwks.get("keys", []) if k.get("kid") == kid and k.get("kty") == kty]

        if client.jwks is not None:
            candidates = matching(client.jwks)
        elif client.jwks_uri:
            try:
                candidates = matching(self.fetcher.get(client.jwks_uri))
                if not candidates:  # a rotated key: look again once, past the cache
                    candidates = matching(self.fetcher.get(client.jwks_uri, refresh=True))
            except ValueError as exc:
                raise InvalidClientError(description="The client's JWKS URL could not be read.") from exc
        else:
            candidates = []
        if len(candidates) != 1:
            raise InvalidClientError(description="No single key matches the assertion's kid and algorithm.")
        try:
            return import_key(candidates[0])
        except (JoseError, ValueError, TypeError) as exc:
            raise InvalidClientError(description="The registered key cannot be used.") from exc

    def _verify(self, assertion: str, key: Key, alg: str) -> None:
        try:
            decoded = jwt.decode(assertion, key, algorithms=[alg])
        except (JoseError, ValueError) as exc:
            raise InvalidClientError(description="Invalid client assertion signature.") from exc
        exp = decoded.claims.get("exp")
        if isinstance(exp, int | float) and exp - time.time() > MAX_LIFETIME_S + LEEWAY_S:
            raise InvalidClientError(description="Client assertion expires more than five minutes ahead.")
        self.verify_claims(decoded.claims)

    def validate_jti(self, claims: dict[str, Any], jti: Any) -> bool:
        if not isinstance(jti, str) or not jti:
            return False
        return remember_jti(self.engine, str(claims["iss"]), jti, int(claims["exp"]))

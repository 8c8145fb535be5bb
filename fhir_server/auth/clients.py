"""Registered client applications: public, confidential (client_secret_basic) and backend (private_key_jwt).

``Client`` implements the methods Authlib's grants call on a client (its ClientMixin protocol).
Secrets are 256-bit random values shown once and stored as SHA-256 hashes; backend clients register
a JWK set (public keys) or a JWKS URL.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from fhir_server.auth.common import digest, new_id, new_secret, now_us, same, write
from fhir_server.auth.schema import client as client_table
from fhir_server.auth.scopes import ScopeSet
from fhir_server.errors import Conflict, Invalid

CLIENT_KINDS = ("public", "confidential", "backend")
AUTH_METHODS = {"public": "none", "confidential": "client_secret_basic", "backend": "private_key_jwt"}
DEFAULT_USER_SCOPE = (
    "openid fhirUser profile launch launch/patient launch/encounter offline_access patient/*.cruds user/*.cruds"
)
DEFAULT_BACKEND_SCOPE = "system/*.rs"
_CLIENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{2,99}$")
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")


@dataclass(frozen=True)
class Client:
    """A registered client application."""

    client_id: str
    name: str
    kind: str
    secret_hash: str | None
    redirect_uris: tuple[str, ...]
    allowed_scope: str
    launch_allowed: bool
    launch_uri: str | None
    consent_required: bool
    jwks: dict[str, Any] | None
    jwks_uri: str | None

    @cached_property
    def allowed(self) -> ScopeSet:
        return ScopeSet.parse(self.allowed_scope)

    @property
    def auth_method(self) -> str:
        return AUTH_METHODS[self.kind]

    @property
    def origins(self) -> frozenset[str]:
        """Browser origins of the redirect URIs (allowed by CORS on token and FHIR endpoints)."""
        return frozenset(origin for uri in self.redirect_uris if (origin := origin_of(uri)))

    # Authlib's ClientMixin protocol.
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # Only unambiguous when exactly one is registered (RFC 6749 3.1.2.3).
        return self.redirect_uris[0] if len(self.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        return ScopeSet.parse(scope).intersect(self.allowed).render()

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris  # exact match only

    def check_client_secret(self, client_secret: str) -> bool:
        return self.secret_hash is not None and same(digest(client_secret), self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if method == "bearer_token":  # any SMART token may call introspection
            return endpoint == "introspection"
        return method == self.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and bool(self.redirect_uris)

    def check_grant_type(self, grant_type: str) -> bool:
        if grant_type == "client_credentials":
            return self.kind == "backend"
        if grant_type in ("authorization_code", "refresh_token"):
            return bool(self.redirect_uris)
        return False


def origin_of(uri: str) -> str | None:
    """scheme://host[:port] of an http(s) URL."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _check_redirect_uri(uri: str) -> None:
    parts = urlsplit(uri)
    secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)
    # Private-use schemes (com.example.app:/cb) serve native apps; fragments are never allowed.
    native = parts.scheme not in ("http", "https", "javascript", "data", "file", "") and "." in parts.scheme
    if parts.fragment or not (secure or native) or (secure and not parts.netloc):
        raise Invalid("auth-bad-redirect-uri", uri=uri)


def _check_jwks(jwks: dict[str, Any]) -> None:
    keys = jwks.get("keys")
    if not isinstance(keys, list) or not keys:
        raise Invalid("auth-bad-jwks", reason="keys")
    for key in keys:
        if not isinstance(key, dict) or not key.get("kid") or key.get("kty") not in ("RSA", "EC"):
            raise Invalid("auth-bad-jwks", reason="kid/kty")
        if "d" in key:  # a private key must never be registered
            raise Invalid("auth-bad-jwks", reason="private key")


def create_client(
    engine: sa.Engine,
    kind: str,
    *,
    name: str,
    client_id: str | None = None,
    redirect_uris: tuple[str, ...] = (),
    scope: str | None = None,
    launch_uri: str | None = None,
    consent_required: bool = True,
    jwks: dict[str, Any] | None = None,
    jwks_uri: str | None = None,
) -> tuple[Client, str | None]:
    """Register a client; returns it with its secret (confidential clients only, never stored in clear)."""
    if kind not in CLIENT_KINDS:
        raise Invalid("auth-bad-client-kind", kind=kind, kinds=", ".join(CLIENT_KINDS))
    client_id = client_id or new_id()
    if not _CLIENT_ID.match(client_id):
        raise Invalid("auth-bad-client-id", client_id=client_id)
    for uri in redirect_uris:
        _check_redirect_uri(uri)
    if kind != "backend" and not redirect_uris:
        raise Invalid("auth-redirect-required", kind=kind)
    if kind == "backend":
        if (jwks is None) == (jwks_uri is None):
            raise Invalid("auth-backend-keys")
        if jwks is not None:
            _check_jwks(jwks)
        if jwks_uri is not None and urlsplit(jwks_uri).scheme not in ("https", "http"):
            raise Invalid("auth-bad-jwks", reason="jwks_uri")
    allowed = ScopeSet.parse(scope or (DEFAULT_BACKEND_SCOPE if kind == "backend" else DEFAULT_USER_SCOPE))
    secret = new_secret() if kind == "confidential" else None
    row = Client(
        client_id=client_id,
        name=name,
        kind=kind,
        secret_hash=digest(secret) if secret else None,
        redirect_uris=tuple(redirect_uris),
        allowed_scope=allowed.render(),
        launch_allowed=launch_uri is not None,
        launch_uri=launch_uri,
        consent_required=consent_required,
        jwks=jwks,
        jwks_uri=jwks_uri,
    )
    with write(engine) as connection:
        if connection.execute(sa.select(client_table.c.client_id).where(client_table.c.client_id == client_id)).first():
            raise Conflict("auth-client-exists", client_id=client_id)
        connection.execute(
            client_table.insert().values(
                client_id=row.client_id,
                name=row.name,
                kind=row.kind,
                secret_hash=row.secret_hash,
                redirect_uris=json.dumps(list(row.redirect_uris)),
                allowed_scope=row.allowed_scope,
                launch_allowed=row.launch_allowed,
                launch_uri=row.launch_uri,
                consent_required=row.consent_required,
                jwks=json.dumps(jwks) if jwks is not None else None,
                jwks_uri=jwks_uri,
                active=True,
                created_us=now_us(),
            )
        )
    return row, secret


def _from_row(row: Any) -> Client:
    return Client(
        client_id=row.client_id,
        name=row.name,
        kind=row.kind,
        secret_hash=row.secret_hash,
        redirect_uris=tuple(json.loads(row.redirect_uris)),
        allowed_scope=row.allowed_scope,
        launch_allowed=bool(row.launch_allowed),
        launch_uri=row.launch_uri,
        consent_required=bool(row.consent_required),
        jwks=json.loads(row.jwks) if row.jwks else None,
        jwks_uri=row.jwks_uri,
    )


def get_client(engine: sa.Engine, client_id: str) -> Client | None:
    """The active client with this id."""
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(client_table).where(client_table.c.client_id == client_id, client_table.c.active.is_(True))
        ).first()
    return _from_row(row) if row else None


def registered_origins(engine: sa.Engine) -> frozenset[str]:
    """Every origin of an active client's redirect URIs."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(client_table.c.redirect_uris).where(client_table.c.active.is_(True))
        ).scalars()
        uris = [uri for text in rows for uri in json.loads(text)]
    return frozenset(origin for uri in uris if (origin := origin_of(uri)))

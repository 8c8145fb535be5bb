"""Small helpers shared by the auth modules: hashing, random values, transactions."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from fhir_server.commit_guard import claim_commit
from fhir_server.model.instants import now_us

__all__ = ["digest", "new_id", "new_secret", "now_us", "same", "write"]

# The storage engine's SQLite "begin" hook issues BEGIN IMMEDIATE for connections carrying this
# option (fhir_server/storage/engine.py); without it SQLite runs each statement on its own.
_WRITE_OPTION = {"fhir_write": True}


def digest(value: str) -> str:
    """Hex SHA-256 of a high-entropy secret (token, code, client secret): what the database keeps."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_secret() -> str:
    """A fresh 256-bit random value, URL-safe."""
    return secrets.token_urlsafe(32)


def new_id() -> str:
    """A random identifier for rows (not a secret)."""
    return secrets.token_hex(16)


def same(left: str, right: str) -> bool:
    """Constant-time string comparison."""
    return hmac.compare_digest(left.encode(), right.encode())


@contextmanager
def write(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A write transaction (immediate on SQLite, so read-then-write never fails to upgrade)."""
    with engine.connect().execution_options(**_WRITE_OPTION) as connection, connection.begin():
        yield connection
        claim_commit()

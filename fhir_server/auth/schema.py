"""Tables of the authorization server: accounts, clients, codes, tokens, keys, launches, password resets.

Kept apart from the FHIR storage schema (its own MetaData) because auth must not import storage;
migrations 0006, 0007 and 0010 create them. Secrets never appear in clear: passwords are Argon2id hashes, client
secrets, codes, tokens, launch ids, authorize transactions, password-reset tokens and form CSRF tokens
are SHA-256 hashes of random values (the reset link itself exists only in the outgoing message).
Instants are integer microseconds (UTC), as in the storage schema.
"""

from __future__ import annotations

import sqlalchemy as sa

auth_metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Micros = sa.BigInteger()
HASH = 64  # hex SHA-256

account = sa.Table(
    "auth_account",
    auth_metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(150), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    # Imported and never used: no login until a reset link sets a password (then active). An
    # administrator's deactivation clears it, so a deactivated account cannot reset its way back in.
    sa.Column("pending_activation", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("fhir_user", sa.String(140), nullable=True),
    sa.Column("email", sa.String(254), nullable=True),  # lower case; where password-reset links go
    sa.Column("failed_logins", sa.Integer(), nullable=False),
    sa.Column("last_failed_us", Micros, nullable=True),
    sa.Column("last_login_us", Micros, nullable=True),
    sa.Column("created_us", Micros, nullable=False),
    sa.Column("updated_us", Micros, nullable=False),
    sa.Index("ix_auth_account_username", "username", unique=True),
    sa.Index("ix_auth_account_email", "email", unique=True),
)

client = sa.Table(
    "auth_client",
    auth_metadata,
    sa.Column("client_id", sa.String(100), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),  # public | confidential | backend
    sa.Column("secret_hash", sa.String(HASH), nullable=True),
    sa.Column("redirect_uris", sa.Text(), nullable=False),  # JSON list
    sa.Column("allowed_scope", sa.Text(), nullable=False),
    sa.Column("launch_allowed", sa.Boolean(), nullable=False),
    sa.Column("launch_uri", sa.String(500), nullable=True),
    sa.Column("consent_required", sa.Boolean(), nullable=False),
    sa.Column("jwks", sa.Text(), nullable=True),  # JSON JWK set (public keys)
    sa.Column("jwks_uri", sa.String(500), nullable=True),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("created_us", Micros, nullable=False),
)

code = sa.Table(
    "auth_code",
    auth_metadata,
    sa.Column("code_hash", sa.String(HASH), primary_key=True),
    sa.Column("client_id", sa.String(100), nullable=False),
    sa.Column("account_id", sa.String(64), nullable=False),
    sa.Column("redirect_uri", sa.Text(), nullable=False),
    sa.Column("scope", sa.Text(), nullable=False),
    sa.Column("code_challenge", sa.String(128), nullable=False),
    sa.Column("nonce", sa.String(255), nullable=True),
    sa.Column("context", sa.Text(), nullable=False),  # JSON launch context
    sa.Column("family_id", sa.String(64), nullable=False),
    sa.Column("auth_time_us", Micros, nullable=False),
    sa.Column("expires_us", Micros, nullable=False),
    sa.Column("used_us", Micros, nullable=True),
)

token = sa.Table(
    "auth_token",
    auth_metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("token_hash", sa.String(HASH), nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),  # access | refresh
    sa.Column("family_id", sa.String(64), nullable=False),
    sa.Column("client_id", sa.String(100), nullable=False),
    sa.Column("account_id", sa.String(64), nullable=True),
    sa.Column("scope", sa.Text(), nullable=False),
    sa.Column("patient", sa.String(64), nullable=True),
    sa.Column("encounter", sa.String(64), nullable=True),
    sa.Column("context", sa.Text(), nullable=False),  # JSON: the token response's other context fields
    sa.Column("audience", sa.String(500), nullable=False),
    sa.Column("issued_us", Micros, nullable=False),
    sa.Column("expires_us", Micros, nullable=False),
    sa.Column("rotated_us", Micros, nullable=True),
    sa.Column("revoked_us", Micros, nullable=True),
    sa.Index("ix_auth_token_token_hash", "token_hash", unique=True),
    sa.Index("ix_auth_token_family_id", "family_id"),
    sa.Index("ix_auth_token_expires_us", "expires_us"),
)

signing_key = sa.Table(
    "auth_signing_key",
    auth_metadata,
    sa.Column("kid", sa.String(100), primary_key=True),
    sa.Column("alg", sa.String(10), nullable=False),
    sa.Column("private_jwk", sa.Text(), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),  # active | retired
    sa.Column("created_us", Micros, nullable=False),
    sa.Column("retired_us", Micros, nullable=True),
)

launch = sa.Table(
    "auth_launch",
    auth_metadata,
    sa.Column("launch_hash", sa.String(HASH), primary_key=True),
    sa.Column("client_id", sa.String(100), nullable=False),
    sa.Column("account_id", sa.String(64), nullable=True),
    sa.Column("patient", sa.String(64), nullable=True),
    sa.Column("encounter", sa.String(64), nullable=True),
    sa.Column("expires_us", Micros, nullable=False),
    sa.Column("used_us", Micros, nullable=True),
)

pending = sa.Table(
    "auth_pending",
    auth_metadata,
    sa.Column("id_hash", sa.String(HASH), primary_key=True),
    sa.Column("browser_hash", sa.String(HASH), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("client_id", sa.String(100), nullable=False),
    sa.Column("params", sa.Text(), nullable=False),  # JSON [[name, value], ...] of the authorize request
    sa.Column("account_id", sa.String(64), nullable=True),
    sa.Column("patient", sa.String(64), nullable=True),
    sa.Column("encounter", sa.String(64), nullable=True),
    sa.Column("auth_time_us", Micros, nullable=True),
    sa.Column("expires_us", Micros, nullable=False),
)

assertion_jti = sa.Table(
    "auth_assertion_jti",
    auth_metadata,
    sa.Column("client_id", sa.String(100), primary_key=True),
    sa.Column("jti", sa.String(255), primary_key=True),
    sa.Column("expires_us", Micros, nullable=False),
    sa.Index("ix_auth_assertion_jti_expires_us", "expires_us"),
)

login_failure = sa.Table(
    "auth_login_failure",
    auth_metadata,
    sa.Column("key", sa.String(200), primary_key=True),  # "user:<name>" or "ip:<address>"
    sa.Column("failures", sa.Integer(), nullable=False),
    sa.Column("window_start_us", Micros, nullable=False),
)

reset_token = sa.Table(
    "auth_reset_token",
    auth_metadata,
    sa.Column("token_hash", sa.String(HASH), primary_key=True),
    sa.Column("account_id", sa.String(64), nullable=False),
    sa.Column("created_us", Micros, nullable=False),
    sa.Column("expires_us", Micros, nullable=False),
    sa.Column("used_us", Micros, nullable=True),
    sa.Index("ix_auth_reset_token_account_id", "account_id"),
)

outbox = sa.Table(
    "auth_outbox",
    auth_metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("recipient", sa.String(254), nullable=False),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("created_us", Micros, nullable=False),
    sa.Column("sent_us", Micros, nullable=True),
    sa.Index("ix_auth_outbox_created_us", "created_us"),
)

form_token = sa.Table(
    "auth_form_token",
    auth_metadata,
    sa.Column("token_hash", sa.String(HASH), primary_key=True),  # CSRF token of a page outside /authorize
    sa.Column("browser_hash", sa.String(HASH), nullable=False),
    sa.Column("purpose", sa.String(20), nullable=False),
    sa.Column("expires_us", Micros, nullable=False),
)

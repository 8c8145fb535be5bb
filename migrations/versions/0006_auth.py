"""Authorization server: accounts, clients, codes, tokens (hashes only), signing keys, launches, throttling.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Micros = sa.BigInteger()


def upgrade() -> None:
    op.create_table(
        "auth_account",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("username", sa.String(150), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("fhir_user", sa.String(140), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("last_failed_us", Micros, nullable=True),
        sa.Column("last_login_us", Micros, nullable=True),
        sa.Column("created_us", Micros, nullable=False),
        sa.Column("updated_us", Micros, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_auth_account"),
    )
    op.create_index("ix_auth_account_username", "auth_account", ["username"], unique=True)
    op.create_table(
        "auth_client",
        sa.Column("client_id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=True),
        sa.Column("redirect_uris", sa.Text(), nullable=False),
        sa.Column("allowed_scope", sa.Text(), nullable=False),
        sa.Column("launch_allowed", sa.Boolean(), nullable=False),
        sa.Column("launch_uri", sa.String(500), nullable=True),
        sa.Column("consent_required", sa.Boolean(), nullable=False),
        sa.Column("jwks", sa.Text(), nullable=True),
        sa.Column("jwks_uri", sa.String(500), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_us", Micros, nullable=False),
        sa.PrimaryKeyConstraint("client_id", name="pk_auth_client"),
    )
    op.create_table(
        "auth_code",
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(100), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("code_challenge", sa.String(128), nullable=False),
        sa.Column("nonce", sa.String(255), nullable=True),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("family_id", sa.String(64), nullable=False),
        sa.Column("auth_time_us", Micros, nullable=False),
        sa.Column("expires_us", Micros, nullable=False),
        sa.Column("used_us", Micros, nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name="pk_auth_code"),
    )
    op.create_table(
        "auth_token",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("family_id", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(100), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=True),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("patient", sa.String(64), nullable=True),
        sa.Column("encounter", sa.String(64), nullable=True),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("audience", sa.String(500), nullable=False),
        sa.Column("issued_us", Micros, nullable=False),
        sa.Column("expires_us", Micros, nullable=False),
        sa.Column("rotated_us", Micros, nullable=True),
        sa.Column("revoked_us", Micros, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_auth_token"),
    )
    op.create_index("ix_auth_token_token_hash", "auth_token", ["token_hash"], unique=True)
    op.create_index("ix_auth_token_family_id", "auth_token", ["family_id"])
    op.create_index("ix_auth_token_expires_us", "auth_token", ["expires_us"])
    op.create_table(
        "auth_signing_key",
        sa.Column("kid", sa.String(100), nullable=False),
        sa.Column("alg", sa.String(10), nullable=False),
        sa.Column("private_jwk", sa.Text(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_us", Micros, nullable=False),
        sa.Column("retired_us", Micros, nullable=True),
        sa.PrimaryKeyConstraint("kid", name="pk_auth_signing_key"),
    )
    op.create_table(
        "auth_launch",
        sa.Column("launch_hash", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(100), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=True),
        sa.Column("patient", sa.String(64), nullable=True),
        sa.Column("encounter", sa.String(64), nullable=True),
        sa.Column("expires_us", Micros, nullable=False),
        sa.Column("used_us", Micros, nullable=True),
        sa.PrimaryKeyConstraint("launch_hash", name="pk_auth_launch"),
    )
    op.create_table(
        "auth_pending",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("browser_hash", sa.String(64), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(100), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=True),
        sa.Column("patient", sa.String(64), nullable=True),
        sa.Column("encounter", sa.String(64), nullable=True),
        sa.Column("auth_time_us", Micros, nullable=True),
        sa.Column("expires_us", Micros, nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name="pk_auth_pending"),
    )
    op.create_table(
        "auth_assertion_jti",
        sa.Column("client_id", sa.String(100), nullable=False),
        sa.Column("jti", sa.String(255), nullable=False),
        sa.Column("expires_us", Micros, nullable=False),
        sa.PrimaryKeyConstraint("client_id", "jti", name="pk_auth_assertion_jti"),
    )
    op.create_index("ix_auth_assertion_jti_expires_us", "auth_assertion_jti", ["expires_us"])
    op.create_table(
        "auth_login_failure",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start_us", Micros, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_auth_login_failure"),
    )


def downgrade() -> None:
    for table in (
        "auth_login_failure",
        "auth_assertion_jti",
        "auth_pending",
        "auth_launch",
        "auth_signing_key",
        "auth_token",
        "auth_code",
        "auth_client",
        "auth_account",
    ):
        op.drop_table(table)

"""Password reset: account e-mail, reset tokens (hashes only), the outgoing-mail outbox, form CSRF tokens.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Micros = sa.BigInteger()


def upgrade() -> None:
    op.add_column("auth_account", sa.Column("email", sa.String(254), nullable=True))
    op.create_index("ix_auth_account_email", "auth_account", ["email"], unique=True)
    op.create_table(
        "auth_reset_token",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("created_us", Micros, nullable=False),
        sa.Column("expires_us", Micros, nullable=False),
        sa.Column("used_us", Micros, nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_auth_reset_token"),
    )
    op.create_index("ix_auth_reset_token_account_id", "auth_reset_token", ["account_id"])
    op.create_table(
        "auth_outbox",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_us", Micros, nullable=False),
        sa.Column("sent_us", Micros, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_auth_outbox"),
    )
    op.create_index("ix_auth_outbox_created_us", "auth_outbox", ["created_us"])
    op.create_table(
        "auth_form_token",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("browser_hash", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("expires_us", Micros, nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_auth_form_token"),
    )


def downgrade() -> None:
    for table in ("auth_form_token", "auth_outbox", "auth_reset_token"):
        op.drop_table(table)
    op.drop_index("ix_auth_account_email", table_name="auth_account")
    with op.batch_alter_table("auth_account") as batch:  # SQLite drops columns by copying the table
        batch.drop_column("email")

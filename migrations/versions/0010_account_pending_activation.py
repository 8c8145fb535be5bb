"""Imported accounts pending activation: a flag on the account, false for every existing row.

A constant default makes ADD COLUMN a catalog-only change on PostgreSQL 11+ (no table rewrite) and a
plain ALTER TABLE on SQLite, so it is safe on a live database.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "auth_account", sa.Column("pending_activation", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    with op.batch_alter_table("auth_account") as batch:  # SQLite drops columns by copying the table
        batch.drop_column("pending_activation")

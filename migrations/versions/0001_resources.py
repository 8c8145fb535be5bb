"""Resources: current versions and the append-only version history.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

PrimaryKey = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "resource",
        sa.Column("pk", PrimaryKey, primary_key=True, autoincrement=True),
        sa.Column("res_type", sa.String(64), nullable=False),
        sa.Column("res_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("last_updated", sa.BigInteger(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("pk", name="pk_resource"),
        sa.UniqueConstraint("res_type", "res_id", name="uq_resource_res_type_res_id"),
    )
    op.create_index("ix_resource_res_type_last_updated", "resource", ["res_type", "last_updated"])
    op.create_index("ix_resource_last_updated", "resource", ["last_updated"])
    op.create_table(
        "resource_version",
        sa.Column("seq", PrimaryKey, primary_key=True, autoincrement=True),
        sa.Column("resource_pk", PrimaryKey, nullable=False),
        sa.Column("res_type", sa.String(64), nullable=False),
        sa.Column("res_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("last_updated", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_resource_version"),
        sa.ForeignKeyConstraint(
            ["resource_pk"], ["resource.pk"], name="fk_resource_version_resource_pk_resource"
        ),
        sa.UniqueConstraint(
            "resource_pk", "version", name="uq_resource_version_resource_pk_version"
        ),
    )
    op.create_index(
        "ix_resource_version_res_type_last_updated", "resource_version", ["res_type", "last_updated"]
    )
    op.create_index("ix_resource_version_last_updated", "resource_version", ["last_updated"])
    op.create_index(
        "ix_resource_version_res_type_res_id", "resource_version", ["res_type", "res_id"]
    )


def downgrade() -> None:
    op.drop_table("resource_version")
    op.drop_table("resource")

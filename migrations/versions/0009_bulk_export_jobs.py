"""Bulk Data $export jobs: one row per job, one row per output type with its resume point.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

Micros = sa.BigInteger()


def upgrade() -> None:
    op.create_table(
        "bulk_export_job",
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("group_id", sa.String(length=64), nullable=True),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("request_url", sa.Text(), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=True),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("principal", sa.Text(), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.String(length=100), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("transaction_time", Micros, nullable=False),
        sa.Column("created_us", Micros, nullable=False),
        sa.Column("updated_us", Micros, nullable=False),
        sa.Column("lease_until_us", Micros, nullable=True),
        sa.Column("worker", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_bulk_export_job")),
    )
    op.create_index(op.f("ix_bulk_export_job_status_lease_until_us"), "bulk_export_job", ["status", "lease_until_us"])
    op.create_index(op.f("ix_bulk_export_job_updated_us"), "bulk_export_job", ["updated_us"])
    op.create_table(
        "bulk_export_part",
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column("res_type", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("cursor", sa.String(length=64), nullable=True),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", "res_type", name=op.f("pk_bulk_export_part")),
    )


def downgrade() -> None:
    op.drop_table("bulk_export_part")
    op.drop_index(op.f("ix_bulk_export_job_updated_us"), table_name="bulk_export_job")
    op.drop_index(op.f("ix_bulk_export_job_status_lease_until_us"), table_name="bulk_export_job")
    op.drop_table("bulk_export_job")

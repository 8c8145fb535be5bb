"""Bulk Data $import jobs: one row per job, one per input file with its resume point, and the failed lines.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

Micros = sa.BigInteger()


def upgrade() -> None:
    op.create_table(
        "bulk_import_job",
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("request_url", sa.Text(), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=True),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("principal", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.String(length=100), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("transaction_time", Micros, nullable=False),
        sa.Column("created_us", Micros, nullable=False),
        sa.Column("updated_us", Micros, nullable=False),
        sa.Column("lease_until_us", Micros, nullable=True),
        sa.Column("worker", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_bulk_import_job")),
    )
    op.create_index(op.f("ix_bulk_import_job_status_lease_until_us"), "bulk_import_job", ["status", "lease_until_us"])
    op.create_index(op.f("ix_bulk_import_job_updated_us"), "bulk_import_job", ["updated_us"])
    op.create_table(
        "bulk_import_input",
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("res_type", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("line", sa.BigInteger(), nullable=False),
        sa.Column("written", sa.BigInteger(), nullable=False),
        sa.Column("unchanged", sa.BigInteger(), nullable=False),
        sa.Column("failed", sa.BigInteger(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", "position", name=op.f("pk_bulk_import_input")),
    )
    op.create_table(
        "bulk_import_error",
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("line", sa.BigInteger(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", "position", "line", name=op.f("pk_bulk_import_error")),
    )


def downgrade() -> None:
    op.drop_table("bulk_import_error")
    op.drop_table("bulk_import_input")
    op.drop_index(op.f("ix_bulk_import_job_updated_us"), table_name="bulk_import_job")
    op.drop_index(op.f("ix_bulk_import_job_status_lease_until_us"), table_name="bulk_import_job")
    op.drop_table("bulk_import_job")

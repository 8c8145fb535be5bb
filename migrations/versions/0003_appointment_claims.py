"""Appointment claims: no two active appointments overlap for one actor, enforced by the database.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PrimaryKey = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

SQLITE_TRIGGER = """
CREATE TRIGGER appointment_claim_no_overlap BEFORE INSERT ON appointment_claim
BEGIN
    SELECT RAISE(ABORT, 'appointment_claim_no_overlap')
    WHERE EXISTS (
        SELECT 1 FROM appointment_claim
        WHERE actor = NEW.actor AND start_us < NEW.end_us AND NEW.start_us < end_us
    );
END
"""


def upgrade() -> None:
    op.create_table(
        "appointment_claim",
        sa.Column("resource_pk", PrimaryKey, nullable=False),
        sa.Column("actor", sa.String(140), nullable=False),
        sa.Column("start_us", sa.BigInteger(), nullable=False),
        sa.Column("end_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_pk"], ["resource.pk"], name="fk_appointment_claim_resource_pk_resource", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_appointment_claim_actor_start_us", "appointment_claim", ["actor", "start_us"])
    op.create_index("ix_appointment_claim_resource_pk", "appointment_claim", ["resource_pk"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE appointment_claim ADD CONSTRAINT appointment_claim_no_overlap "
            "EXCLUDE USING gist (actor WITH =, int8range(start_us, end_us) WITH &&)"
        )
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TRIGGER IF EXISTS appointment_claim_no_overlap")
    op.drop_table("appointment_claim")

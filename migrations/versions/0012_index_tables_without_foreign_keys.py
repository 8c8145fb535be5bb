"""Index tables without foreign keys to resource on PostgreSQL: the writer keeps them in step (ADR 0015).

Dropping a constraint is a catalog change on PostgreSQL (no table scan), so it is safe on a live
database. It locks both the index table and ``resource``; writers lock ``resource`` first, so the
migration does too, or a write holding ``resource`` and waiting for an index table would deadlock
with it. SQLite keeps the keys: dropping one there copies the table, blocking a live database.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 22:45:00
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

INDEX_TABLES = (
    "idx_string",
    "idx_token",
    "idx_date",
    "idx_number",
    "idx_quantity",
    "idx_reference",
    "idx_uri",
    "idx_composite",
)


def _name(table: str) -> str:
    return f"fk_{table}_resource_pk_resource"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("LOCK TABLE resource IN ACCESS EXCLUSIVE MODE")
    for table in INDEX_TABLES:
        op.drop_constraint(_name(table), table, type_="foreignkey")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in INDEX_TABLES:
        op.create_foreign_key(_name(table), table, "resource", ["resource_pk"], ["pk"], ondelete="CASCADE")

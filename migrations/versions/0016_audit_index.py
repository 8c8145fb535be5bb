"""AuditEvents stored by the audit trail keep their index rows in one row each (ADR 0019).

A new, empty table: nothing already stored moves (AuditEvents indexed before keep their rows in the
index tables, and searches read both), so the revision takes no lock a live database would notice.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

TABLE = "audit_index"
# (param, slots, columns): the same layout as storage.schema.AUDIT_SLOTS, written out as of this revision.
_TOKEN = (("system", sa.Text()), ("code", sa.Text()), ("text", "folded"))
_REFERENCE = (
    ("target_type", sa.String(64)),
    ("target_id", sa.String(64)),
    ("target_version", sa.String(64)),
    ("url", sa.Text()),
    ("identifier_system", sa.Text()),
    ("identifier_value", sa.Text()),
)
_DATE = (("low", sa.BigInteger()), ("high", sa.BigInteger()))
_SLOTS = (
    ("action", 1, _TOKEN),
    ("outcome", 1, _TOKEN),
    ("type", 1, _TOKEN),
    ("subtype", 2, _TOKEN),
    ("agent", 3, _REFERENCE),
    ("entity", 3, _REFERENCE),
    ("date", 1, _DATE),
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    folded = sa.String(collation="C") if postgres else sa.String()
    columns = [
        sa.Column(f"{param}_{n}_{name}", folded if kind == "folded" else kind, nullable=True)
        for param, slots, layout in _SLOTS
        for n in range(1, slots + 1)
        for name, kind in layout
    ]
    key = sa.BigInteger() if postgres else sa.Integer()
    fk = sa.ForeignKeyConstraint(["resource_pk"], ["resource.pk"], name=f"fk_{TABLE}_resource_pk_resource", ondelete="CASCADE")
    extra = [] if postgres else [fk]
    op.create_table(
        TABLE,
        sa.Column("resource_pk", key, nullable=False, autoincrement=False),
        *columns,
        sa.PrimaryKeyConstraint("resource_pk", name="pk_audit_index"),
        *extra,
        if_not_exists=True,
    )
    for param in ("agent", "entity"):
        for n in (1, 2, 3):
            target_id, target_type = f"{param}_{n}_target_id", f"{param}_{n}_target_type"
            present = sa.text(f"{target_id} IS NOT NULL")
            op.create_index(
                f"ix_{TABLE}_{param}_{n}_target",
                TABLE,
                [target_id, target_type, "resource_pk"],
                if_not_exists=True,
                postgresql_where=present,
                sqlite_where=present,
            )
    for name, first, second in (("low", "date_1_low", "date_1_high"), ("high", "date_1_high", "date_1_low")):
        op.create_index(f"ix_{TABLE}_date_{name}", TABLE, [first, second, "resource_pk"], if_not_exists=True)


def downgrade() -> None:
    op.drop_table(TABLE)

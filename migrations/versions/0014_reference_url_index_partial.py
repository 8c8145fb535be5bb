"""The reference index by URL holds only rows that have one.

Relative references (``Patient/1``) leave ``url`` empty, and they are most rows of ``idx_reference``:
indexing their NULLs cost each reference row a B-tree insertion that no search uses (every URL search
compares ``url`` to a value, which implies it is not NULL, so the partial index serves them all).
On PostgreSQL both index changes run CONCURRENTLY, outside a transaction, so writers are not held up
on a live database; ``IF NOT EXISTS`` / ``IF EXISTS`` and a failed build's invalid index
being built again, let a run stopped halfway be repeated.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TABLE = "idx_reference"
WHOLE = "ix_idx_reference_url"
PARTIAL = "ix_idx_reference_url_present"
PRESENT = sa.text("url IS NOT NULL")
_INVALID = sa.text("SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(:name)")


def _replace(new: str, old: str, where: sa.TextClause | None) -> None:
    options = {"postgresql_where": where, "sqlite_where": where} if where is not None else {}
    if op.get_bind().dialect.name != "postgresql":
        op.create_index(new, TABLE, ["url"], if_not_exists=True, **options)
        op.drop_index(old, table_name=TABLE, if_exists=True)
        return
    with op.get_context().autocommit_block():
        if op.get_bind().execute(_INVALID, {"name": new}).scalar():
            # A concurrent build that failed leaves an invalid index behind: build it again.
            op.drop_index(new, table_name=TABLE, postgresql_concurrently=True)
        op.create_index(new, TABLE, ["url"], if_not_exists=True, postgresql_concurrently=True, **options)
        op.drop_index(old, table_name=TABLE, if_exists=True, postgresql_concurrently=True)


def upgrade() -> None:
    _replace(PARTIAL, WHOLE, PRESENT)


def downgrade() -> None:
    _replace(WHOLE, PARTIAL, None)

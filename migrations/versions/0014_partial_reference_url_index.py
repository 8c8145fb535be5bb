"""The reference index's ``url`` index keeps only canonical references (partial, ``url IS NOT NULL``).

Literal references (``Patient/1``) leave ``url`` NULL, and they are nearly every reference row; the
full index still took an entry for each, one B-tree insertion in four of every reference row written.
A search on ``url`` (``url = ...`` or ``LIKE``) implies ``url IS NOT NULL``, so both engines' planners
use the partial index for it. The new index is built inside the migration's one transaction, like
0004 and 0005's: on a live database writers to the reference index wait for one scan of it (the
index itself is tiny), readers are not blocked.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 06:35:00
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_NEW = "ix_idx_reference_url_present"
_OLD = "ix_idx_reference_url"


def _swap(create: str, drop: str) -> None:
    where = " WHERE url IS NOT NULL" if create == _NEW else ""
    op.execute(f"CREATE INDEX {create} ON idx_reference (url){where}")
    op.execute(f"DROP INDEX {drop}")


def upgrade() -> None:
    _swap(_NEW, _OLD)


def downgrade() -> None:
    _swap(_OLD, _NEW)

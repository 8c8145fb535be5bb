"""The current version of a resource is not copied into resource_version (ADR 0016).

Adds ``resource.seq`` (the current version's place in history, NULL where resource_version holds a copy
of it, as for every row written before) and ``resource.method``, and an index on ``seq`` for history
pages. The columns are nullable with no default, so adding them rewrites nothing; the index is built
CONCURRENTLY on PostgreSQL (an invalid one left by a failed build is built again), so a live database
keeps serving. SQLite keeps copying every version and gets no index.

Workers of the previous release keep serving while this revision runs and until they are replaced;
they update rows without knowing ``seq``. A trigger keeps history whole for them: when an update
leaves a row's ``seq`` as it was (only an earlier release's writer does: this one always sets a new
one), the version it replaces is moved to resource_version and the row goes back to the earlier
layout (no ``seq``; that writer stores its own copy of the new version). This release's writes never
fire it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

INDEX = "ix_resource_seq_present"
_KEEP_REPLACED_FUNCTION = """
CREATE OR REPLACE FUNCTION resource_keep_replaced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO resource_version (seq, resource_pk, res_type, res_id, version, last_updated, method, deleted, content)
    VALUES (OLD.seq, OLD.pk, OLD.res_type, OLD.res_id, OLD.version, OLD.last_updated, OLD.method, OLD.deleted,
            OLD.content);
    NEW.seq := NULL;
    NEW.method := NULL;
    RETURN NEW;
END
$$
"""
_KEEP_REPLACED_TRIGGER = (
    "CREATE OR REPLACE TRIGGER resource_updated_by_earlier_release BEFORE UPDATE ON resource FOR EACH ROW"
    " WHEN (OLD.seq IS NOT NULL AND NEW.seq IS NOT DISTINCT FROM OLD.seq) EXECUTE FUNCTION resource_keep_replaced()"
)
_INVALID = sa.text("SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(:name)")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("ALTER TABLE resource ADD COLUMN IF NOT EXISTS seq BIGINT")
        op.execute("ALTER TABLE resource ADD COLUMN IF NOT EXISTS method VARCHAR(8)")
        op.execute(_KEEP_REPLACED_FUNCTION)
        op.execute(_KEEP_REPLACED_TRIGGER)
    else:
        op.add_column("resource", sa.Column("seq", sa.BigInteger(), nullable=True))
        op.add_column("resource", sa.Column("method", sa.String(8), nullable=True))
        return
    with op.get_context().autocommit_block():
        if op.get_bind().execute(_INVALID, {"name": INDEX}).scalar():
            op.drop_index(INDEX, table_name="resource", postgresql_concurrently=True)
        op.create_index(
            INDEX,
            "resource",
            ["seq"],
            if_not_exists=True,
            postgresql_concurrently=True,
            postgresql_where=sa.text("seq IS NOT NULL"),
        )


def downgrade() -> None:
    # Copy the current versions that have no copy back, so the earlier layout is whole again.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "INSERT INTO resource_version (seq, resource_pk, res_type, res_id, version, last_updated, method,"
            " deleted, content) SELECT seq, pk, res_type, res_id, version, last_updated, method, deleted, content"
            " FROM resource WHERE seq IS NOT NULL"
        )
        op.drop_index(INDEX, table_name="resource", if_exists=True)
        op.execute("DROP TRIGGER IF EXISTS resource_updated_by_earlier_release ON resource")
        op.execute("DROP FUNCTION IF EXISTS resource_keep_replaced()")
    op.drop_column("resource", "method")
    op.drop_column("resource", "seq")

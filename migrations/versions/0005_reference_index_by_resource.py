"""References by resource: (resource_pk, param, target_type, target_id), index-only for _has.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 13:01:18.878731
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('idx_reference', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_reference_resource_pk'))
        batch_op.create_index(batch_op.f('ix_idx_reference_resource_pk_param_target_type_target_id'), ['resource_pk', 'param', 'target_type', 'target_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('idx_reference', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_reference_resource_pk_param_target_type_target_id'))
        batch_op.create_index(batch_op.f('ix_idx_reference_resource_pk'), ['resource_pk'], unique=False)


"""Covering search indexes: each ends with resource_pk, so search subqueries scan only the index.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 12:39:21.465875
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('idx_composite', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_composite_param_res_type_code1'))
        batch_op.create_index(batch_op.f('ix_idx_composite_param_res_type_code1_resource_pk'), ['param', 'res_type', 'code1', 'resource_pk'], unique=False)

    with op.batch_alter_table('idx_date', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_date_param_res_type_high'))
        batch_op.drop_index(batch_op.f('ix_idx_date_param_res_type_low'))
        batch_op.create_index(batch_op.f('ix_idx_date_param_res_type_high_low_resource_pk'), ['param', 'res_type', 'high', 'low', 'resource_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_date_param_res_type_low_high_resource_pk'), ['param', 'res_type', 'low', 'high', 'resource_pk'], unique=False)

    with op.batch_alter_table('idx_number', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_number_param_res_type_value'))
        batch_op.create_index(batch_op.f('ix_idx_number_param_res_type_value_resource_pk'), ['param', 'res_type', 'value', 'resource_pk'], unique=False)

    with op.batch_alter_table('idx_quantity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_quantity_param_res_type_canonical_code_canonical_low'))
        batch_op.drop_index(batch_op.f('ix_idx_quantity_param_res_type_code_value'))
        batch_op.create_index(batch_op.f('ix_idx_quantity_param_res_type_canonical_code_canonical_low_resource_pk'), ['param', 'res_type', 'canonical_code', 'canonical_low', 'resource_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_quantity_param_res_type_code_value_resource_pk'), ['param', 'res_type', 'code', 'value', 'resource_pk'], unique=False)

    with op.batch_alter_table('idx_reference', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_reference_param_res_type_target_id_target_type'))
        batch_op.drop_index(batch_op.f('ix_idx_reference_target_id_target_type'))
        batch_op.create_index(batch_op.f('ix_idx_reference_param_res_type_target_id_target_type_resource_pk'), ['param', 'res_type', 'target_id', 'target_type', 'resource_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_reference_target_id_target_type_param_resource_pk'), ['target_id', 'target_type', 'param', 'resource_pk'], unique=False)

    with op.batch_alter_table('idx_string', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_string_param_res_type_value'))
        batch_op.create_index(batch_op.f('ix_idx_string_param_res_type_value_resource_pk'), ['param', 'res_type', 'value', 'resource_pk'], unique=False)

    with op.batch_alter_table('idx_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_token_param_res_type_code_system'))
        batch_op.create_index(batch_op.f('ix_idx_token_param_res_type_code_system_resource_pk'), ['param', 'res_type', 'code', 'system', 'resource_pk'], unique=False)

    with op.batch_alter_table('idx_uri', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_uri_param_res_type_value'))
        batch_op.create_index(batch_op.f('ix_idx_uri_param_res_type_value_resource_pk'), ['param', 'res_type', 'value', 'resource_pk'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('idx_uri', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_uri_param_res_type_value_resource_pk'))
        batch_op.create_index(batch_op.f('ix_idx_uri_param_res_type_value'), ['param', 'res_type', 'value'], unique=False)

    with op.batch_alter_table('idx_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_token_param_res_type_code_system_resource_pk'))
        batch_op.create_index(batch_op.f('ix_idx_token_param_res_type_code_system'), ['param', 'res_type', 'code', 'system'], unique=False)

    with op.batch_alter_table('idx_string', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_string_param_res_type_value_resource_pk'))
        batch_op.create_index(batch_op.f('ix_idx_string_param_res_type_value'), ['param', 'res_type', 'value'], unique=False)

    with op.batch_alter_table('idx_reference', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_reference_target_id_target_type_param_resource_pk'))
        batch_op.drop_index(batch_op.f('ix_idx_reference_param_res_type_target_id_target_type_resource_pk'))
        batch_op.create_index(batch_op.f('ix_idx_reference_target_id_target_type'), ['target_id', 'target_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_reference_param_res_type_target_id_target_type'), ['param', 'res_type', 'target_id', 'target_type'], unique=False)

    with op.batch_alter_table('idx_quantity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_quantity_param_res_type_code_value_resource_pk'))
        batch_op.drop_index(batch_op.f('ix_idx_quantity_param_res_type_canonical_code_canonical_low_resource_pk'))
        batch_op.create_index(batch_op.f('ix_idx_quantity_param_res_type_code_value'), ['param', 'res_type', 'code', 'value'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_quantity_param_res_type_canonical_code_canonical_low'), ['param', 'res_type', 'canonical_code', 'canonical_low'], unique=False)

    with op.batch_alter_table('idx_number', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_number_param_res_type_value_resource_pk'))
        batch_op.create_index(batch_op.f('ix_idx_number_param_res_type_value'), ['param', 'res_type', 'value'], unique=False)

    with op.batch_alter_table('idx_date', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_date_param_res_type_low_high_resource_pk'))
        batch_op.drop_index(batch_op.f('ix_idx_date_param_res_type_high_low_resource_pk'))
        batch_op.create_index(batch_op.f('ix_idx_date_param_res_type_low'), ['param', 'res_type', 'low'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_date_param_res_type_high'), ['param', 'res_type', 'high'], unique=False)

    with op.batch_alter_table('idx_composite', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_composite_param_res_type_code1_resource_pk'))
        batch_op.create_index(batch_op.f('ix_idx_composite_param_res_type_code1'), ['param', 'res_type', 'code1'], unique=False)


"""Search index tables: one per search-parameter type, plus reindex progress.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 12:07:55.650710
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reindex_progress',
    sa.Column('res_type', sa.String(length=64), nullable=False),
    sa.Column('last_pk', sa.BigInteger(), nullable=False),
    sa.Column('registry_version', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('res_type', name=op.f('pk_reindex_progress'))
    )
    op.create_table('idx_composite',
    sa.Column('resource_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('res_type', sa.String(length=64), nullable=False),
    sa.Column('param', sa.String(length=100), nullable=False),
    sa.Column('system1', sa.Text(), nullable=True),
    sa.Column('code1', sa.Text(), nullable=True),
    sa.Column('system2', sa.Text(), nullable=True),
    sa.Column('code2', sa.Text(), nullable=True),
    sa.Column('low2', sa.Numeric(), nullable=True),
    sa.Column('high2', sa.Numeric(), nullable=True),
    sa.Column('date_low2', sa.BigInteger(), nullable=True),
    sa.Column('date_high2', sa.BigInteger(), nullable=True),
    sa.Column('text2', sa.String(collation='C').with_variant(sa.String(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['resource_pk'], ['resource.pk'], name=op.f('fk_idx_composite_resource_pk_resource'), ondelete='CASCADE')
    )
    with op.batch_alter_table('idx_composite', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_composite_param_res_type_code1'), ['param', 'res_type', 'code1'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_composite_resource_pk'), ['resource_pk'], unique=False)

    op.create_table('idx_date',
    sa.Column('resource_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('res_type', sa.String(length=64), nullable=False),
    sa.Column('param', sa.String(length=100), nullable=False),
    sa.Column('low', sa.BigInteger(), nullable=False),
    sa.Column('high', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['resource_pk'], ['resource.pk'], name=op.f('fk_idx_date_resource_pk_resource'), ondelete='CASCADE')
    )
    with op.batch_alter_table('idx_date', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_date_param_res_type_high'), ['param', 'res_type', 'high'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_date_param_res_type_low'), ['param', 'res_type', 'low'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_date_resource_pk'), ['resource_pk'], unique=False)

    op.create_table('idx_number',
    sa.Column('resource_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('res_type', sa.String(length=64), nullable=False),
    sa.Column('param', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Numeric(), nullable=False),
    sa.Column('low', sa.Numeric(), nullable=False),
    sa.Column('high', sa.Numeric(), nullable=False),
    sa.ForeignKeyConstraint(['resource_pk'], ['resource.pk'], name=op.f('fk_idx_number_resource_pk_resource'), ondelete='CASCADE')
    )
    with op.batch_alter_table('idx_number', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_number_param_res_type_value'), ['param', 'res_type', 'value'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_number_resource_pk'), ['resource_pk'], unique=False)

    op.create_table('idx_quantity',
    sa.Column('resource_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('res_type', sa.String(length=64), nullable=False),
    sa.Column('param', sa.String(length=100), nullable=False),
    sa.Column('system', sa.Text(), nullable=True),
    sa.Column('code', sa.Text(), nullable=True),
    sa.Column('value', sa.Numeric(), nullable=False),
    sa.Column('low', sa.Numeric(), nullable=False),
    sa.Column('high', sa.Numeric(), nullable=False),
    sa.Column('canonical_code', sa.Text(), nullable=True),
    sa.Column('canonical_low', sa.Numeric(), nullable=True),
    sa.Column('canonical_high', sa.Numeric(), nullable=True),
    sa.ForeignKeyConstraint(['resource_pk'], ['resource.pk'], name=op.f('fk_idx_quantity_resource_pk_resource'), ondelete='CASCADE')
    )
    with op.batch_alter_table('idx_quantity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_quantity_param_res_type_canonical_code_canonical_low'), ['param', 'res_type', 'canonical_code', 'canonical_low'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_quantity_param_res_type_code_value'), ['param', 'res_type', 'code', 'value'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_quantity_resource_pk'), ['resource_pk'], unique=False)

    op.create_table('idx_reference',
    sa.Column('resource_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('res_type', sa.String(length=64), nullable=False),
    sa.Column('param', sa.String(length=100), nullable=False),
    sa.Column('target_type', sa.String(length=64), nullable=True),
    sa.Column('target_id', sa.String(length=64), nullable=True),
    sa.Column('target_version', sa.String(length=64), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('identifier_system', sa.Text(), nullable=True),
    sa.Column('identifier_value', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['resource_pk'], ['resource.pk'], name=op.f('fk_idx_reference_resource_pk_resource'), ondelete='CASCADE')
    )
    with op.batch_alter_table('idx_reference', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_reference_param_res_type_target_id_target_type'), ['param', 'res_type', 'target_id', 'target_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_reference_resource_pk'), ['resource_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_reference_target_id_target_type'), ['target_id', 'target_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_reference_url'), ['url'], unique=False)

    op.create_table('idx_string',
    sa.Column('resource_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('res_type', sa.String(length=64), nullable=False),
    sa.Column('param', sa.String(length=100), nullable=False),
    sa.Column('value', sa.String(collation='C').with_variant(sa.String(), 'sqlite'), nullable=False),
    sa.Column('exact', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['resource_pk'], ['resource.pk'], name=op.f('fk_idx_string_resource_pk_resource'), ondelete='CASCADE')
    )
    with op.batch_alter_table('idx_string', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_string_param_res_type_value'), ['param', 'res_type', 'value'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_string_resource_pk'), ['resource_pk'], unique=False)

    op.create_table('idx_token',
    sa.Column('resource_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('res_type', sa.String(length=64), nullable=False),
    sa.Column('param', sa.String(length=100), nullable=False),
    sa.Column('system', sa.Text(), nullable=True),
    sa.Column('code', sa.Text(), nullable=True),
    sa.Column('text', sa.String(collation='C').with_variant(sa.String(), 'sqlite'), nullable=True),
    sa.Column('type_system', sa.Text(), nullable=True),
    sa.Column('type_code', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['resource_pk'], ['resource.pk'], name=op.f('fk_idx_token_resource_pk_resource'), ondelete='CASCADE')
    )
    with op.batch_alter_table('idx_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_token_param_res_type_code_system'), ['param', 'res_type', 'code', 'system'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_token_resource_pk'), ['resource_pk'], unique=False)

    op.create_table('idx_uri',
    sa.Column('resource_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('res_type', sa.String(length=64), nullable=False),
    sa.Column('param', sa.String(length=100), nullable=False),
    sa.Column('value', sa.String(collation='C').with_variant(sa.String(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['resource_pk'], ['resource.pk'], name=op.f('fk_idx_uri_resource_pk_resource'), ondelete='CASCADE')
    )
    with op.batch_alter_table('idx_uri', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_uri_param_res_type_value'), ['param', 'res_type', 'value'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_uri_resource_pk'), ['resource_pk'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('idx_uri', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_uri_resource_pk'))
        batch_op.drop_index(batch_op.f('ix_idx_uri_param_res_type_value'))

    op.drop_table('idx_uri')
    with op.batch_alter_table('idx_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_token_resource_pk'))
        batch_op.drop_index(batch_op.f('ix_idx_token_param_res_type_code_system'))

    op.drop_table('idx_token')
    with op.batch_alter_table('idx_string', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_string_resource_pk'))
        batch_op.drop_index(batch_op.f('ix_idx_string_param_res_type_value'))

    op.drop_table('idx_string')
    with op.batch_alter_table('idx_reference', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_reference_url'))
        batch_op.drop_index(batch_op.f('ix_idx_reference_target_id_target_type'))
        batch_op.drop_index(batch_op.f('ix_idx_reference_resource_pk'))
        batch_op.drop_index(batch_op.f('ix_idx_reference_param_res_type_target_id_target_type'))

    op.drop_table('idx_reference')
    with op.batch_alter_table('idx_quantity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_quantity_resource_pk'))
        batch_op.drop_index(batch_op.f('ix_idx_quantity_param_res_type_code_value'))
        batch_op.drop_index(batch_op.f('ix_idx_quantity_param_res_type_canonical_code_canonical_low'))

    op.drop_table('idx_quantity')
    with op.batch_alter_table('idx_number', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_number_resource_pk'))
        batch_op.drop_index(batch_op.f('ix_idx_number_param_res_type_value'))

    op.drop_table('idx_number')
    with op.batch_alter_table('idx_date', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_date_resource_pk'))
        batch_op.drop_index(batch_op.f('ix_idx_date_param_res_type_low'))
        batch_op.drop_index(batch_op.f('ix_idx_date_param_res_type_high'))

    op.drop_table('idx_date')
    with op.batch_alter_table('idx_composite', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_composite_resource_pk'))
        batch_op.drop_index(batch_op.f('ix_idx_composite_param_res_type_code1'))

    op.drop_table('idx_composite')
    op.drop_table('reindex_progress')

"""daily visitor rollup: scans, views and unique visitors per item, whole UTC day and value

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 01:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('daily_visitor_rollup',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('dimension', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=32), nullable=False),
    sa.Column('scans', sa.Integer(), nullable=False),
    sa.Column('views', sa.Integer(), nullable=False),
    sa.Column('visitors', sa.Integer(), nullable=False),
    sa.Column('scan_visitors', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'],
                            name=op.f('fk_daily_visitor_rollup_item_id_item'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_daily_visitor_rollup')))
    op.create_index('ix_daily_visitor_rollup_dimension_day', 'daily_visitor_rollup',
                    ['dimension', 'day'])
    op.create_index('ix_daily_visitor_rollup_item_id_day', 'daily_visitor_rollup',
                    ['item_id', 'day'])


def downgrade() -> None:
    op.drop_index('ix_daily_visitor_rollup_item_id_day', table_name='daily_visitor_rollup')
    op.drop_index('ix_daily_visitor_rollup_dimension_day', table_name='daily_visitor_rollup')
    op.drop_table('daily_visitor_rollup')

"""code hour rollup: human scans per code and hour of whole UTC days; code indexes by time

The code indexes of scan and visit_rollup gain the time, so that reading some codes over a
few hours does not walk all their rows.

Built by the rollup job with the other rollups of whole days: without a "days" watermark it
builds them all again, from the first hourly row, a week per run.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24 03:55:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('code_hour_rollup',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('hour', sa.Integer(), nullable=False),
    sa.Column('code_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('scans', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['code_id'], ['code.id'],
                            name=op.f('fk_code_hour_rollup_code_id_code'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'],
                            name=op.f('fk_code_hour_rollup_item_id_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_code_hour_rollup')))
    op.create_index('ix_code_hour_rollup_code_id_hour', 'code_hour_rollup', ['code_id', 'hour'])
    op.create_index('ix_code_hour_rollup_item_id_hour', 'code_hour_rollup', ['item_id', 'hour'])
    op.execute("DELETE FROM rollup_watermark WHERE name = 'days'")
    op.drop_index('ix_visit_rollup_code_id', table_name='visit_rollup')
    op.create_index('ix_visit_rollup_code_id_hour', 'visit_rollup', ['code_id', 'hour'])
    op.drop_index('ix_scan_code_id', table_name='scan')
    op.create_index('ix_scan_code_id_scanned_at', 'scan', ['code_id', 'scanned_at'])


def downgrade() -> None:
    op.drop_index('ix_scan_code_id_scanned_at', table_name='scan')
    op.create_index('ix_scan_code_id', 'scan', ['code_id'])
    op.drop_index('ix_visit_rollup_code_id_hour', table_name='visit_rollup')
    op.create_index('ix_visit_rollup_code_id', 'visit_rollup', ['code_id'])
    op.drop_index('ix_code_hour_rollup_item_id_hour', table_name='code_hour_rollup')
    op.drop_index('ix_code_hour_rollup_code_id_hour', table_name='code_hour_rollup')
    op.drop_table('code_hour_rollup')

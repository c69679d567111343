"""long-range rollups: item hours and daily engagement, of whole UTC days

item_hour_rollup: human scans and scan visitors per item and hour. daily_engagement_rollup:
page sessions per day, item and watch time. The daily visitor rows gain the language and
code_id values, and bot and orphan scans. The rollup job builds all of them for every day of hourly rows: it finds no
"days" watermark and starts from the first hourly row, a week per run, so the data of past
days is rolled up as well.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24 03:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('item_hour_rollup',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('hour', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('scans', sa.Integer(), nullable=False),
    sa.Column('visitors', sa.Integer(), nullable=False),
    sa.Column('first_visitors', sa.Integer(), nullable=False),
    sa.Column('last_visitors', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'],
                            name=op.f('fk_item_hour_rollup_item_id_item'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_hour_rollup')))
    op.create_index('ix_item_hour_rollup_hour', 'item_hour_rollup', ['hour'])
    op.create_index('ix_item_hour_rollup_item_id_hour', 'item_hour_rollup',
                    ['item_id', 'hour'])
    op.create_table('daily_engagement_rollup',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('page_session', sa.String(length=32), nullable=True),
    sa.Column('watch_s', sa.Float(), nullable=True),
    sa.Column('sessions', sa.Integer(), nullable=False),
    sa.Column('plays', sa.Integer(), nullable=False),
    sa.Column('halfway', sa.Integer(), nullable=False),
    sa.Column('completions', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'],
                            name=op.f('fk_daily_engagement_rollup_item_id_item'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_daily_engagement_rollup')))
    op.create_index('ix_daily_engagement_rollup_session_day', 'daily_engagement_rollup',
                    ['day'], postgresql_where=sa.text('page_session IS NOT NULL'),
                    sqlite_where=sa.text('page_session IS NOT NULL'))
    op.create_index('ix_daily_engagement_rollup_item_id_day', 'daily_engagement_rollup',
                    ['item_id', 'day'])
    op.create_index('ix_engagement_rollup_page_session', 'engagement_rollup',
                    ['page_session'])
    with op.batch_alter_table('daily_visitor_rollup') as batch:
        for name in ('bot_scans', 'orphan_scans'):
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('daily_visitor_rollup') as batch:
        for name in ('bot_scans', 'orphan_scans'):
            batch.alter_column(name, server_default=None)
    # Daily rows written before this revision lack values and days: build them all again.
    op.execute("DELETE FROM rollup_watermark WHERE name = 'days'")


def downgrade() -> None:
    with op.batch_alter_table('daily_visitor_rollup') as batch:
        batch.drop_column('orphan_scans')
        batch.drop_column('bot_scans')
    op.drop_index('ix_engagement_rollup_page_session', table_name='engagement_rollup')
    op.drop_index('ix_daily_engagement_rollup_item_id_day', table_name='daily_engagement_rollup')
    op.drop_index('ix_daily_engagement_rollup_session_day',
                  table_name='daily_engagement_rollup')
    op.drop_table('daily_engagement_rollup')
    op.drop_index('ix_item_hour_rollup_item_id_hour', table_name='item_hour_rollup')
    op.drop_index('ix_item_hour_rollup_hour', table_name='item_hour_rollup')
    op.drop_table('item_hour_rollup')

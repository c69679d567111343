"""analytics rollups

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 21:40:00
"""
from alembic import op
import sqlalchemy as sa
import motpub.orm


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _dimensions(table: str) -> list:
    return [
        sa.Column('hour', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=True),
        sa.Column('code_id', sa.Integer(), nullable=True),
        sa.Column('exhibition_id', sa.Integer(), nullable=True),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('device_class', sa.String(length=16), nullable=False),
        sa.Column('os', sa.String(length=32), nullable=False),
        sa.Column('browser', sa.String(length=32), nullable=False),
        sa.Column('in_app', sa.String(length=32), nullable=False),
        sa.Column('country', sa.String(length=2), nullable=False),
        sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f(f'fk_{table}_item_id_item'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['code_id'], ['code.id'], name=op.f(f'fk_{table}_code_id_code'),
                                ondelete='CASCADE'),
    ]


def upgrade() -> None:
    for table in ('scan', 'view'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('exhibition_id', sa.Integer(), nullable=True))
    op.create_index('ix_view_viewed_at', 'view', ['viewed_at'])
    op.create_index('ix_engagement_created_at', 'engagement', ['created_at'])

    op.create_table('visit_rollup',
    sa.Column('id', ID, nullable=False),
    *_dimensions('visit_rollup'),
    sa.Column('is_bot', sa.Boolean(), nullable=False),
    sa.Column('scans', sa.Integer(), nullable=False),
    sa.Column('views', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_rollup')))
    op.create_table('visitor_rollup',
    sa.Column('id', ID, nullable=False),
    *_dimensions('visitor_rollup'),
    sa.Column('is_scan', sa.Boolean(), nullable=False),
    sa.Column('visitor_hash', sa.String(length=32), nullable=False),
    sa.Column('visits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visitor_rollup')))
    for table in ('visit_rollup', 'visitor_rollup'):
        op.create_index(f'ix_{table}_hour', table, ['hour'])
        op.create_index(f'ix_{table}_item_id_hour', table, ['item_id', 'hour'])
    op.create_index('ix_visit_rollup_code_id', 'visit_rollup', ['code_id'])
    op.create_index('ix_visit_rollup_is_bot_hour', 'visit_rollup', ['is_bot', 'hour'])
    op.create_index('ix_visitor_rollup_code_id_hour', 'visitor_rollup', ['code_id', 'hour'])

    op.create_table('engagement_rollup',
    sa.Column('id', ID, nullable=False),
    sa.Column('hour', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('page_session', sa.String(length=32), nullable=False),
    sa.Column('is_play', sa.Boolean(), nullable=False),
    sa.Column('is_halfway', sa.Boolean(), nullable=False),
    sa.Column('is_complete', sa.Boolean(), nullable=False),
    sa.Column('watch_s', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'],
                            name=op.f('fk_engagement_rollup_item_id_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_engagement_rollup')))
    op.create_index('ix_engagement_rollup_hour', 'engagement_rollup', ['hour'])
    op.create_index('ix_engagement_rollup_item_id_hour', 'engagement_rollup',
                    ['item_id', 'hour'])

    op.create_table('rollup_watermark',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('hour', sa.Integer(), nullable=False),
    sa.Column('updated_at', motpub.orm.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_rollup_watermark')))


def downgrade() -> None:
    op.drop_table('rollup_watermark')
    op.drop_table('engagement_rollup')
    op.drop_table('visitor_rollup')
    op.drop_table('visit_rollup')
    op.drop_index('ix_engagement_created_at', table_name='engagement')
    op.drop_index('ix_view_viewed_at', table_name='view')
    for table in ('view', 'scan'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('exhibition_id')

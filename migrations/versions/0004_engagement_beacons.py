"""engagement beacons

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 20:01:24.141800
"""
from alembic import op
import sqlalchemy as sa
import motpub.orm


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('engagement',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('video_id', sa.Integer(), nullable=True),
    sa.Column('page_session', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.Enum('video_start', 'video_progress', 'watch_time', 'video_error', 'language_switch', 'read_depth', name='engagement_kind', native_enum=False, length=20), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('created_at', motpub.orm.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_engagement_item_id_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['video_id'], ['video.id'], name=op.f('fk_engagement_video_id_video'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_engagement'))
    )
    with op.batch_alter_table('engagement', schema=None) as batch_op:
        batch_op.create_index('ix_engagement_item_id_created_at', ['item_id', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('engagement', schema=None) as batch_op:
        batch_op.drop_index('ix_engagement_item_id_created_at')

    op.drop_table('engagement')

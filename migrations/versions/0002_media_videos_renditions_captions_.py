"""media: videos, renditions, captions, transcode jobs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 19:17:04.416257
"""
from alembic import op
import sqlalchemy as sa
import motpub.orm


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('video',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('video', 'audio', name='media_kind', native_enum=False, length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('status', sa.Enum('uploading', 'queued', 'processing', 'ready', 'failed', name='video_status', native_enum=False, length=16), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('source_key', sa.String(length=500), nullable=False),
    sa.Column('upload_id', sa.String(length=500), nullable=True),
    sa.Column('part_size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('progress', sa.Float(), nullable=False),
    sa.Column('error_en', sa.Text(), nullable=True),
    sa.Column('error_zh', sa.Text(), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('version', sa.String(length=64), nullable=True),
    sa.Column('master_key', sa.String(length=500), nullable=True),
    sa.Column('preview_key', sa.String(length=500), nullable=True),
    sa.Column('poster_key', sa.String(length=500), nullable=True),
    sa.Column('created_at', motpub.orm.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', motpub.orm.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("language IS NULL OR language IN ('zh', 'en')", name=op.f('ck_video_language')),
    sa.CheckConstraint('progress >= 0 AND progress <= 1', name=op.f('ck_video_progress')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_video_item_id_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_video'))
    )
    with op.batch_alter_table('video', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_video_item_id'), ['item_id'], unique=False)

    op.create_table('caption',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('video_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('vtt_key', sa.String(length=500), nullable=False),
    sa.Column('playlist_key', sa.String(length=500), nullable=False),
    sa.Column('created_at', motpub.orm.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['video_id'], ['video.id'], name=op.f('fk_caption_video_id_video'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_caption')),
    sa.UniqueConstraint('video_id', 'language', name='uq_caption_video_id_language')
    )
    op.create_table('rendition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('video_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=16), nullable=False),
    sa.Column('playlist_key', sa.String(length=500), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('bandwidth', sa.Integer(), nullable=False),
    sa.Column('average_bandwidth', sa.Integer(), nullable=False),
    sa.Column('codecs', sa.String(length=100), nullable=False),
    sa.Column('frame_rate', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['video_id'], ['video.id'], name=op.f('fk_rendition_video_id_video'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rendition'))
    )
    with op.batch_alter_table('rendition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rendition_video_id'), ['video_id'], unique=False)

    op.create_table('transcode_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('video_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'succeeded', 'failed', name='job_status', native_enum=False, length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.String(length=100), nullable=True),
    sa.Column('lease_expires_at', motpub.orm.UTCDateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', motpub.orm.UTCDateTime(timezone=True), nullable=True),
    sa.Column('progress', sa.Float(), nullable=False),
    sa.Column('stage', sa.String(length=32), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', motpub.orm.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', motpub.orm.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', motpub.orm.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['video_id'], ['video.id'], name=op.f('fk_transcode_job_video_id_video'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transcode_job'))
    )
    with op.batch_alter_table('transcode_job', schema=None) as batch_op:
        batch_op.create_index('ix_transcode_job_status_lease_expires_at', ['status', 'lease_expires_at'], unique=False)
        batch_op.create_index('uq_transcode_job_active_video_id', ['video_id'], unique=True, sqlite_where=sa.text("status IN ('queued', 'running')"), postgresql_where=sa.text("status IN ('queued', 'running')"))



def downgrade() -> None:
    with op.batch_alter_table('transcode_job', schema=None) as batch_op:
        batch_op.drop_index('uq_transcode_job_active_video_id', sqlite_where=sa.text("status IN ('queued', 'running')"), postgresql_where=sa.text("status IN ('queued', 'running')"))
        batch_op.drop_index('ix_transcode_job_status_lease_expires_at')

    op.drop_table('transcode_job')
    with op.batch_alter_table('rendition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rendition_video_id'))

    op.drop_table('rendition')
    op.drop_table('caption')
    with op.batch_alter_table('video', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_video_item_id'))

    op.drop_table('video')

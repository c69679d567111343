"""dubbed audio tracks: a video's sound in other languages, encoded by transcode jobs

`audio_track` holds one dub per video and language. A transcode job that names a dub
(`transcode_job.audio_track_id`) encodes that dub alone, so the one-unfinished-job-per-video
index now leaves such jobs out, and a second partial index keeps one unfinished job per dub.
Partial indexes' WHERE is not compared by autogenerate: written by hand, for both databases.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 17:27:39
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

ACTIVE_JOB = "status IN ('queued', 'running')"
ACTIVE_VIDEO_JOB = ACTIVE_JOB + " AND audio_track_id IS NULL"


def _active_index(batch_op, name: str, column: str, where: str) -> None:
    batch_op.create_index(name, [column], unique=True, sqlite_where=sa.text(where),
                          postgresql_where=sa.text(where))


def upgrade() -> None:
    op.create_table(
        'audio_track',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('video_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('status', sa.Enum('uploading', 'queued', 'processing', 'ready', 'failed',
                                    name='videostatus', native_enum=False, length=16),
                  nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('size_bytes', sa.BigInteger(), nullable=False),
        sa.Column('source_key', sa.String(length=500), nullable=False),
        sa.Column('duration_s', sa.Float(), nullable=True),
        sa.Column('playlist_key', sa.String(length=500), nullable=True),
        sa.Column('master_key', sa.String(length=500), nullable=True),
        sa.Column('error_code', sa.String(length=64), nullable=True),
        sa.Column('error_args', sa.JSON(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['video_id'], ['video.id'],
                                name=op.f('fk_audio_track_video_id_video'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audio_track')),
        sa.UniqueConstraint('video_id', 'language',
                            name=op.f('uq_audio_track_video_id_language')),
    )
    with op.batch_alter_table('transcode_job') as batch_op:
        batch_op.add_column(sa.Column('audio_track_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_transcode_job_audio_track_id_audio_track'),
                                    'audio_track', ['audio_track_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.drop_index('uq_transcode_job_active_video_id')
        _active_index(batch_op, 'uq_transcode_job_active_video_id', 'video_id',
                      ACTIVE_VIDEO_JOB)
        _active_index(batch_op, 'uq_transcode_job_active_audio_track_id', 'audio_track_id',
                      ACTIVE_JOB)


def downgrade() -> None:
    # The dubs' jobs go with their column: the old index could not hold them.
    op.execute("DELETE FROM transcode_job WHERE audio_track_id IS NOT NULL")
    with op.batch_alter_table('transcode_job') as batch_op:
        batch_op.drop_index('uq_transcode_job_active_audio_track_id')
        batch_op.drop_index('uq_transcode_job_active_video_id')
        _active_index(batch_op, 'uq_transcode_job_active_video_id', 'video_id', ACTIVE_JOB)
        batch_op.drop_constraint(op.f('fk_transcode_job_audio_track_id_audio_track'),
                                 type_='foreignkey')
        batch_op.drop_column('audio_track_id')
    op.drop_table('audio_track')

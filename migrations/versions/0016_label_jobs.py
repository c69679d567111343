"""label jobs: large label sheets are built by a worker

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 11:40:00
"""
from alembic import op
import sqlalchemy as sa
import motpub.orm


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('label_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exhibition_id', sa.Integer(), nullable=False),
    sa.Column('template', sa.String(length=16), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'succeeded', 'failed', name='job_status', native_enum=False, length=16), nullable=False),
    sa.Column('label_count', sa.Integer(), nullable=False),
    sa.Column('progress', sa.Float(), nullable=False),
    sa.Column('storage_key', sa.String(length=300), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.String(length=100), nullable=True),
    sa.Column('lease_expires_at', motpub.orm.UTCDateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', motpub.orm.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', motpub.orm.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', motpub.orm.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['exhibition_id'], ['exhibition.id'], name=op.f('fk_label_job_exhibition_id_exhibition'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_label_job'))
    )
    with op.batch_alter_table('label_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_label_job_exhibition_id'), ['exhibition_id'], unique=False)
        batch_op.create_index('ix_label_job_status_lease_expires_at', ['status', 'lease_expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('label_job', schema=None) as batch_op:
        batch_op.drop_index('ix_label_job_status_lease_expires_at')
        batch_op.drop_index(batch_op.f('ix_label_job_exhibition_id'))
    op.drop_table('label_job')

"""placements: code history, orphan scans, entrance scans

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 22:10:00
"""
from alembic import op
import sqlalchemy as sa
import motpub.orm


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('code_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_id', sa.Integer(), nullable=False),
    sa.Column('changed_at', motpub.orm.UTCDateTime(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('exhibition_id', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('is_enabled', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['code_id'], ['code.id'], name=op.f('fk_code_change_code_id_code'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_code_change')))
    op.create_index(op.f('ix_code_change_code_id'), 'code_change', ['code_id'], unique=False)
    with op.batch_alter_table('scan') as batch:
        batch.alter_column('item_id', existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column('is_orphan', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table('scan') as batch:
        batch.alter_column('is_orphan', server_default=None)
    with op.batch_alter_table('visit_rollup') as batch:
        batch.add_column(sa.Column('is_orphan', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table('visit_rollup') as batch:
        batch.alter_column('is_orphan', server_default=None)
    op.create_index('ix_visit_rollup_is_orphan_hour', 'visit_rollup', ['is_orphan', 'hour'])


def downgrade() -> None:
    op.drop_index('ix_visit_rollup_is_orphan_hour', table_name='visit_rollup')
    with op.batch_alter_table('visit_rollup') as batch:
        batch.drop_column('is_orphan')
    with op.batch_alter_table('scan') as batch:
        batch.drop_column('is_orphan')
        batch.alter_column('item_id', existing_type=sa.Integer(), nullable=False)
    op.drop_index(op.f('ix_code_change_code_id'), table_name='code_change')
    op.drop_table('code_change')

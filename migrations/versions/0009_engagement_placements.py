"""engagement placements: the code and exhibition a page was opened through

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 00:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

TABLES = ('engagement', 'engagement_rollup')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('code_id', sa.Integer(), nullable=True))
            batch.add_column(sa.Column('exhibition_id', sa.Integer(), nullable=True))
            batch.create_foreign_key(op.f(f'fk_{table}_code_id_code'), 'code', ['code_id'],
                                     ['id'], ondelete='SET NULL')


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f'fk_{table}_code_id_code'), type_='foreignkey')
            batch.drop_column('exhibition_id')
            batch.drop_column('code_id')

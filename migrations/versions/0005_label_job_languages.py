"""Label jobs remember the languages of their sheet's titles

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 17:42:09.479060
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL on jobs queued before: they print the default languages, as they were asked to.
    with op.batch_alter_table('label_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('languages', sa.String(length=400), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('label_job', schema=None) as batch_op:
        batch_op.drop_column('languages')

"""video replacing: the file in use while a replacement is uploaded

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 00:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('video') as batch:
        batch.add_column(sa.Column('replacing', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('video') as batch:
        batch.drop_column('replacing')

"""gs1 digital link

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 21:40:00
"""
from alembic import op
import sqlalchemy as sa
import motpub.orm


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gtin', sa.String(length=14), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_item_gtin'), ['gtin'])


def downgrade() -> None:
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_item_gtin'), type_='unique')
        batch_op.drop_column('gtin')

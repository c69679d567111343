"""user session versions and API token prefixes

A user's session_version is carried by each studio session cookie, which counts only while
it matches: changing the password, deactivating the user or logging out moves it on. An API
token keeps its first characters (its prefix) so lists can tell tokens apart and a token
can be revoked by them; tokens made before have none.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 11:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1',
                                      nullable=False))
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prefix', sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f('ix_api_token_prefix'), ['prefix'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_prefix'))
        batch_op.drop_column('prefix')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_version')

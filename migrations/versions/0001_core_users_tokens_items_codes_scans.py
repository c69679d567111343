"""core: users, tokens, items, codes, scans

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 18:53:18.355610
"""
from alembic import op
import sqlalchemy as sa
import motpub.orm


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', name='item_status', native_enum=False, length=16), nullable=False),
    sa.Column('default_language', sa.String(length=8), nullable=False),
    sa.Column('title', motpub.orm.Localized(), nullable=False),
    sa.Column('summary', motpub.orm.Localized(), nullable=False),
    sa.Column('body', motpub.orm.Localized(), nullable=False),
    sa.Column('links', sa.JSON(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_at', motpub.orm.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', motpub.orm.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', motpub.orm.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("default_language IN ('zh', 'en')", name=op.f('ck_item_default_language')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item')),
    sa.UniqueConstraint('slug', name=op.f('uq_item_slug'))
    )
    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('admin', 'editor', 'analyst', name='role', native_enum=False, length=16), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', motpub.orm.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('email', name=op.f('uq_user_email'))
    )
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', motpub.orm.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', motpub.orm.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', motpub.orm.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_api_token_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('is_enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', motpub.orm.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_code_item_id_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_code')),
    sa.UniqueConstraint('code', name=op.f('uq_code_code'))
    )
    with op.batch_alter_table('code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_code_item_id'), ['item_id'], unique=False)

    op.create_table('scan',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('scanned_at', motpub.orm.UTCDateTime(timezone=True), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('language_source', sa.Enum('param', 'cookie', 'header', 'default', name='language_source', native_enum=False, length=16), nullable=False),
    sa.ForeignKeyConstraint(['code_id'], ['code.id'], name=op.f('fk_scan_code_id_code'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_scan_item_id_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scan'))
    )
    with op.batch_alter_table('scan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scan_code_id'), ['code_id'], unique=False)
        batch_op.create_index('ix_scan_item_id_scanned_at', ['item_id', 'scanned_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('scan', schema=None) as batch_op:
        batch_op.drop_index('ix_scan_item_id_scanned_at')
        batch_op.drop_index(batch_op.f('ix_scan_code_id'))

    op.drop_table('scan')
    with op.batch_alter_table('code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_code_item_id'))

    op.drop_table('code')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    op.drop_table('user')
    op.drop_table('item')

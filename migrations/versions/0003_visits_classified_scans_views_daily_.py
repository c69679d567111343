"""visits: classified scans, views, daily visitor salts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 19:53:16.630230
"""
from alembic import op
import sqlalchemy as sa
import motpub.orm


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('visitor_salt',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.Column('created_at', motpub.orm.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_visitor_salt'))
    )
    op.create_table('view',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('viewed_at', motpub.orm.UTCDateTime(timezone=True), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('device_class', sa.Enum('mobile', 'tablet', 'desktop', 'bot', 'other', name='device_class', native_enum=False, length=16), nullable=False),
    sa.Column('os', sa.String(length=32), nullable=False),
    sa.Column('browser', sa.String(length=32), nullable=False),
    sa.Column('in_app', sa.String(length=32), nullable=False),
    sa.Column('referrer_host', sa.String(length=255), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('is_bot', sa.Boolean(), nullable=False),
    sa.Column('visitor_hash', sa.String(length=32), nullable=False),
    sa.Column('language_source', sa.Enum('param', 'cookie', 'header', 'default', name='language_source', native_enum=False, length=16), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_view_item_id_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_view'))
    )
    with op.batch_alter_table('view', schema=None) as batch_op:
        batch_op.create_index('ix_view_item_id_viewed_at', ['item_id', 'viewed_at'], unique=False)

    # Scans recorded before classification existed get neutral values.
    with op.batch_alter_table('scan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device_class', sa.Enum('mobile', 'tablet', 'desktop', 'bot', 'other', name='device_class', native_enum=False, length=16), nullable=False, server_default=sa.text("'other'")))
        batch_op.add_column(sa.Column('os', sa.String(length=32), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('browser', sa.String(length=32), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('in_app', sa.String(length=32), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('referrer_host', sa.String(length=255), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('country', sa.String(length=2), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('is_bot', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('visitor_hash', sa.String(length=32), nullable=False, server_default=sa.text("''")))
        batch_op.create_index('ix_scan_scanned_at', ['scanned_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('scan', schema=None) as batch_op:
        batch_op.drop_index('ix_scan_scanned_at')
        batch_op.drop_column('visitor_hash')
        batch_op.drop_column('is_bot')
        batch_op.drop_column('country')
        batch_op.drop_column('referrer_host')
        batch_op.drop_column('in_app')
        batch_op.drop_column('browser')
        batch_op.drop_column('os')
        batch_op.drop_column('device_class')

    with op.batch_alter_table('view', schema=None) as batch_op:
        batch_op.drop_index('ix_view_item_id_viewed_at')

    op.drop_table('view')
    op.drop_table('visitor_salt')

"""exhibitions placements

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 21:40:00
"""
from alembic import op
import sqlalchemy as sa
import motpub.orm


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('exhibition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('title', motpub.orm.Localized(), nullable=False),
    sa.Column('intro', motpub.orm.Localized(), nullable=False),
    sa.Column('venue', sa.String(length=200), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('created_at', motpub.orm.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', motpub.orm.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('starts_on IS NULL OR ends_on IS NULL OR starts_on <= ends_on', name=op.f('ck_exhibition_dates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exhibition')),
    sa.UniqueConstraint('slug', name=op.f('uq_exhibition_slug'))
    )
    op.create_table('exhibition_item',
    sa.Column('exhibition_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.CheckConstraint('position >= 0', name=op.f('ck_exhibition_item_position')),
    sa.ForeignKeyConstraint(['exhibition_id'], ['exhibition.id'], name=op.f('fk_exhibition_item_exhibition_id_exhibition'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_exhibition_item_item_id_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('exhibition_id', 'item_id', name=op.f('pk_exhibition_item')),
    sa.UniqueConstraint('exhibition_id', 'position', name='uq_exhibition_item_position')
    )
    with op.batch_alter_table('exhibition_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exhibition_item_item_id'), ['item_id'], unique=False)

    # A code opens an item or, as an exhibition's entrance code, the exhibition.
    with op.batch_alter_table('code', schema=None) as batch_op:
        batch_op.add_column(sa.Column('exhibition_id', sa.Integer(), nullable=True))
        batch_op.alter_column('item_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f('ix_code_exhibition_id'), ['exhibition_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_code_exhibition_id_exhibition'), 'exhibition', ['exhibition_id'], ['id'], ondelete='CASCADE')
        batch_op.create_check_constraint(op.f('ck_code_one_target'), '(item_id IS NULL) <> (exhibition_id IS NULL)')


def downgrade() -> None:
    op.execute('DELETE FROM code WHERE item_id IS NULL')
    with op.batch_alter_table('code', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_code_one_target'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_code_exhibition_id_exhibition'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_code_exhibition_id'))
        batch_op.alter_column('item_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('exhibition_id')

    with op.batch_alter_table('exhibition_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exhibition_item_item_id'))

    op.drop_table('exhibition_item')
    op.drop_table('exhibition')

"""Translation bases: what each translated text was made from, for translation status.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 17:32:14.388170
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('translation_basis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.Enum('item', 'exhibition', name='subject', native_enum=False, length=16), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('source_language', sa.String(length=8), nullable=False),
    sa.Column('source_hash', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_translation_basis')),
    sa.UniqueConstraint('subject', 'subject_id', 'field', 'language', name='uq_translation_basis_subject_field_language')
    )


def downgrade() -> None:
    op.drop_table('translation_basis')

"""languages as data: a video's reason is a message id and its values; the schema no longer
lists the content languages

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 15:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

_video = sa.table('video', sa.column('id', sa.Integer()), sa.column('error_en', sa.Text()),
                  sa.column('error_zh', sa.Text()), sa.column('error_code', sa.String(64)),
                  sa.column('error_args', sa.JSON()))


def upgrade() -> None:
    with op.batch_alter_table('video', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_code', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('error_args', sa.JSON(), nullable=True))
    # Reasons written before: kept word for word, by language (media_messages.STORED_TEXT).
    connection = op.get_bind()
    rows = connection.execute(sa.select(_video.c.id, _video.c.error_en, _video.c.error_zh)
                              .where(_video.c.error_en.is_not(None))).all()
    for video_id, error_en, error_zh in rows:
        connection.execute(_video.update().where(_video.c.id == video_id).values(
            error_code='stored_text', error_args={'en': error_en, 'zh': error_zh or ''}))
    with op.batch_alter_table('video', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_video_language'), type_='check')
        batch_op.drop_column('error_en')
        batch_op.drop_column('error_zh')
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_item_default_language'), type_='check')


def downgrade() -> None:
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.create_check_constraint('default_language',
                                         "default_language IN ('zh', 'en')")
    with op.batch_alter_table('video', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_en', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('error_zh', sa.Text(), nullable=True))
        batch_op.create_check_constraint('language',
                                         "language IS NULL OR language IN ('zh', 'en')")
        batch_op.drop_column('error_args')
        batch_op.drop_column('error_code')

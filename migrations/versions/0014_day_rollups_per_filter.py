"""rollups of whole days per language and exhibition filter

The rollups of whole days gain the dashboard's language and exhibition filters: each day is
rolled up for all rows (language "", exhibition_id NULL, as the rows already there) and per
language, exhibition, and language and exhibition, so filtered long ranges are read from
them too. The "days" watermark is deleted: the job builds every past day again, a week per
run; until then, reads use the hourly rows.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24 05:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

TABLES = ('daily_visitor_rollup', 'item_hour_rollup', 'code_hour_rollup',
          'daily_engagement_rollup')
# (table, old index, its columns, new index, its columns)
INDEXES = (
    ('daily_visitor_rollup', 'ix_daily_visitor_rollup_dimension_day', ['dimension', 'day'],
     'ix_daily_visitor_rollup_dimension_language_exhibition_id_day',
     ['dimension', 'language', 'exhibition_id', 'day']),
    ('item_hour_rollup', 'ix_item_hour_rollup_hour', ['hour'],
     'ix_item_hour_rollup_language_exhibition_id_hour', ['language', 'exhibition_id', 'hour']),
    ('daily_engagement_rollup', 'ix_daily_engagement_rollup_item_id_day', ['item_id', 'day'],
     'ix_daily_engagement_rollup_item_id_language_exhibition_id_day',
     ['item_id', 'language', 'exhibition_id', 'day']),
)


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('language', sa.String(length=8), nullable=False,
                                       server_default=''))
            batch.add_column(sa.Column('exhibition_id', sa.Integer(), nullable=True))
    for table, old, _columns, new, columns in INDEXES:
        op.drop_index(old, table_name=table)
        op.create_index(new, table, columns)
    op.execute("DELETE FROM rollup_watermark WHERE name = 'days'")


def downgrade() -> None:
    for table, old, columns, new, _columns in INDEXES:
        op.drop_index(new, table_name=table)
        op.create_index(old, table, columns)
    for table in TABLES:
        op.execute(f"DELETE FROM {table} WHERE language <> '' OR exhibition_id IS NOT NULL")
        with op.batch_alter_table(table) as batch:
            batch.drop_column('exhibition_id')
            batch.drop_column('language')

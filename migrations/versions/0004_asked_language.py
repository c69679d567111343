"""asked language: the language each scan and view asked for, next to the one served

`scan.asked_language` and `view.asked_language` hold the BCP 47 tag the visitor asked for
(?lang=, the language cookie, else the first tag of Accept-Language), configured or not, cut
to 8 characters; `visit_rollup.asked_language` rolls it up, so ops see where visitors were
served a fallback. Rows from before this revision asked for nothing known: NULL, as for a
visitor who stated no language.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 17:29:16
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('scan', 'view', 'visit_rollup'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('asked_language', sa.String(length=8),
                                          nullable=True))


def downgrade() -> None:
    for table in ('visit_rollup', 'view', 'scan'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('asked_language')

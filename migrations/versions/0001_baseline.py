"""baseline: every table of the models, on SQLite and PostgreSQL

The schema the models in motpub.models describe, written out once: generated with
`alembic revision --autogenerate` against an empty PostgreSQL database, then grouped by
table and checked on both databases (tests/test_migrations.py). Later revisions start
from here.

How it is written:
- Constraint names are the naming convention's (motpub.orm.NAMING_CONVENTION),
  spelled out and wrapped in op.f() so the convention is not applied a second time.
- Enums are stored by value in a VARCHAR (native_enum=False, no CHECK): adding a value
  changes the models only, never a database type.
- Timestamps are timezone-aware (TIMESTAMP WITH TIME ZONE; SQLite keeps naive UTC and the
  models' UTCDateTime puts the zone back on read). Text in several languages is JSON.
- No rows are inserted: the rollup job finds no watermark on an empty database and starts
  from the first raw row.

Revision ID: 0001
Revises:
Create Date: 2026-12-03 14:29:14
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

# Tables of events and rollups may outgrow 32 bits on PostgreSQL; on SQLite the key must be
# INTEGER to be the rowid.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
LANGUAGE_CODE = sa.String(length=8)


def utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def enum(name: str, *values: str, length: int = 16) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=length)


def fk(table: str, column: str, referred: str, *, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f'{referred}.id'],
                                   name=op.f(f'fk_{table}_{column}_{referred}'),
                                   ondelete=ondelete)


# Tables in creation order; downgrade drops them in reverse (their indexes go with them).
TABLES = (
    'user', 'api_token',
    'item', 'exhibition', 'exhibition_item',
    'code', 'code_change',
    'video', 'rendition', 'caption', 'transcode_job',
    'label_job',
    'visitor_salt', 'scan', 'view', 'engagement',
    'visit_rollup', 'visitor_rollup', 'engagement_rollup', 'daily_visitor_rollup',
    'item_hour_rollup', 'code_hour_rollup', 'daily_engagement_rollup', 'rollup_watermark',
)


def upgrade() -> None:
    _accounts()
    _items_and_exhibitions()
    _codes()
    _media()
    _label_jobs()
    _visits()
    _rollups()


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)


def _accounts() -> None:
    op.create_table(
        'user',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('role', enum('role', 'admin', 'editor', 'analyst'), nullable=False),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        # Carried by every studio session cookie; moved on to end them all.
        sa.Column('session_version', sa.Integer(), server_default='1', nullable=False),
        sa.Column('created_at', utc(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
        sa.UniqueConstraint('email', name=op.f('uq_user_email')),
    )
    op.create_table(
        'api_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=True),
        sa.Column('created_at', utc(), nullable=False),
        sa.Column('last_used_at', utc(), nullable=True),
        sa.Column('revoked_at', utc(), nullable=True),
        fk('api_token', 'user_id', 'user', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash')),
    )
    op.create_index('ix_api_token_prefix', 'api_token', ['prefix'])
    op.create_index('ix_api_token_user_id', 'api_token', ['user_id'])


def _items_and_exhibitions() -> None:
    op.create_table(
        'item',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=80), nullable=False),
        sa.Column('status', enum('item_status', 'draft', 'published'), nullable=False),
        sa.Column('default_language', LANGUAGE_CODE, nullable=False),
        sa.Column('gtin', sa.String(length=14), nullable=True),
        sa.Column('title', sa.JSON(), nullable=False),
        sa.Column('summary', sa.JSON(), nullable=False),
        sa.Column('body', sa.JSON(), nullable=False),
        sa.Column('links', sa.JSON(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('created_at', utc(), nullable=False),
        sa.Column('updated_at', utc(), nullable=False),
        sa.Column('published_at', utc(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_item')),
        sa.UniqueConstraint('gtin', name=op.f('uq_item_gtin')),
        sa.UniqueConstraint('slug', name=op.f('uq_item_slug')),
    )
    op.create_table(
        'exhibition',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=80), nullable=False),
        sa.Column('title', sa.JSON(), nullable=False),
        sa.Column('intro', sa.JSON(), nullable=False),
        sa.Column('venue', sa.String(length=200), nullable=False),
        sa.Column('timezone', sa.String(length=64), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=True),
        sa.Column('ends_on', sa.Date(), nullable=True),
        sa.Column('created_at', utc(), nullable=False),
        sa.Column('updated_at', utc(), nullable=False),
        sa.CheckConstraint('starts_on IS NULL OR ends_on IS NULL OR starts_on <= ends_on',
                           name=op.f('ck_exhibition_dates')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_exhibition')),
        sa.UniqueConstraint('slug', name=op.f('uq_exhibition_slug')),
    )
    op.create_table(
        'exhibition_item',
        sa.Column('exhibition_id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.CheckConstraint('position >= 0', name=op.f('ck_exhibition_item_position')),
        fk('exhibition_item', 'exhibition_id', 'exhibition', ondelete='CASCADE'),
        fk('exhibition_item', 'item_id', 'item', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('exhibition_id', 'item_id', name=op.f('pk_exhibition_item')),
        sa.UniqueConstraint('exhibition_id', 'position',
                            name=op.f('uq_exhibition_item_position')),
    )
    op.create_index('ix_exhibition_item_item_id', 'exhibition_item', ['item_id'])


def _codes() -> None:
    op.create_table(
        'code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=True),
        sa.Column('exhibition_id', sa.Integer(), nullable=True),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('is_enabled', sa.Boolean(), nullable=False),
        sa.Column('created_at', utc(), nullable=False),
        # A code opens an item or, as an exhibition's entrance code, the exhibition.
        sa.CheckConstraint('(item_id IS NULL) <> (exhibition_id IS NULL)',
                           name=op.f('ck_code_one_target')),
        fk('code', 'exhibition_id', 'exhibition', ondelete='CASCADE'),
        fk('code', 'item_id', 'item', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_code')),
        sa.UniqueConstraint('code', name=op.f('uq_code_code')),
    )
    op.create_index('ix_code_exhibition_id', 'code', ['exhibition_id'])
    op.create_index('ix_code_item_id', 'code', ['item_id'])
    op.create_table(
        'code_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code_id', sa.Integer(), nullable=False),
        sa.Column('changed_at', utc(), nullable=False),
        # No foreign keys: the history outlives the items it once led to.
        sa.Column('item_id', sa.Integer(), nullable=True),
        sa.Column('exhibition_id', sa.Integer(), nullable=True),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('is_enabled', sa.Boolean(), nullable=False),
        fk('code_change', 'code_id', 'code', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_code_change')),
    )
    op.create_index('ix_code_change_code_id', 'code_change', ['code_id'])


def _media() -> None:
    op.create_table(
        'video',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('kind', enum('media_kind', 'video', 'audio'), nullable=False),
        sa.Column('language', LANGUAGE_CODE, nullable=True),
        sa.Column('status', enum('video_status', 'uploading', 'queued', 'processing', 'ready',
                                 'failed'), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('size_bytes', sa.BigInteger(), nullable=False),
        sa.Column('source_key', sa.String(length=500), nullable=False),
        sa.Column('upload_id', sa.String(length=500), nullable=True),
        sa.Column('replacing', sa.JSON(), nullable=True),
        sa.Column('part_size_bytes', sa.BigInteger(), nullable=False),
        sa.Column('progress', sa.Float(), nullable=False),
        # Why it failed: a message id and its values, worded in the reader's language.
        sa.Column('error_code', sa.String(length=64), nullable=True),
        sa.Column('error_args', sa.JSON(), nullable=True),
        sa.Column('duration_s', sa.Float(), nullable=True),
        sa.Column('width', sa.Integer(), nullable=True),
        sa.Column('height', sa.Integer(), nullable=True),
        sa.Column('version', sa.String(length=64), nullable=True),
        sa.Column('master_key', sa.String(length=500), nullable=True),
        sa.Column('preview_key', sa.String(length=500), nullable=True),
        sa.Column('poster_key', sa.String(length=500), nullable=True),
        sa.Column('created_at', utc(), nullable=False),
        sa.Column('updated_at', utc(), nullable=False),
        # The content languages (motpub.orm.LANGUAGES), or none for a video without
        # speech.
        sa.CheckConstraint('progress >= 0 AND progress <= 1', name=op.f('ck_video_progress')),
        fk('video', 'item_id', 'item', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_video')),
    )
    op.create_index('ix_video_item_id', 'video', ['item_id'])
    op.create_table(
        'rendition',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('video_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=16), nullable=False),
        sa.Column('playlist_key', sa.String(length=500), nullable=False),
        sa.Column('width', sa.Integer(), nullable=True),
        sa.Column('height', sa.Integer(), nullable=True),
        sa.Column('bandwidth', sa.Integer(), nullable=False),
        sa.Column('average_bandwidth', sa.Integer(), nullable=False),
        sa.Column('codecs', sa.String(length=100), nullable=False),
        sa.Column('frame_rate', sa.Float(), nullable=True),
        fk('rendition', 'video_id', 'video', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rendition')),
    )
    op.create_index('ix_rendition_video_id', 'rendition', ['video_id'])
    op.create_table(
        'caption',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('video_id', sa.Integer(), nullable=False),
        sa.Column('language', LANGUAGE_CODE, nullable=False),
        sa.Column('vtt_key', sa.String(length=500), nullable=False),
        sa.Column('playlist_key', sa.String(length=500), nullable=False),
        sa.Column('created_at', utc(), nullable=False),
        fk('caption', 'video_id', 'video', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_caption')),
        sa.UniqueConstraint('video_id', 'language', name=op.f('uq_caption_video_id_language')),
    )
    op.create_table(
        'transcode_job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('video_id', sa.Integer(), nullable=False),
        sa.Column('status', enum('job_status', 'queued', 'running', 'succeeded', 'failed'),
                  nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('max_attempts', sa.Integer(), nullable=False),
        sa.Column('worker_id', sa.String(length=100), nullable=True),
        sa.Column('lease_expires_at', utc(), nullable=True),
        sa.Column('heartbeat_at', utc(), nullable=True),
        sa.Column('progress', sa.Float(), nullable=False),
        sa.Column('stage', sa.String(length=32), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', utc(), nullable=False),
        sa.Column('started_at', utc(), nullable=True),
        sa.Column('finished_at', utc(), nullable=True),
        fk('transcode_job', 'video_id', 'video', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_transcode_job')),
    )
    # The sweeper's query: jobs of a status whose lease ran out.
    op.create_index('ix_transcode_job_status_lease_expires_at', 'transcode_job',
                    ['status', 'lease_expires_at'])
    # At most one unfinished job per video: a partial unique index, on both databases.
    op.create_index('uq_transcode_job_active_video_id', 'transcode_job', ['video_id'],
                    unique=True,
                    sqlite_where=sa.text("status IN ('queued', 'running')"),
                    postgresql_where=sa.text("status IN ('queued', 'running')"))


def _label_jobs() -> None:
    op.create_table(
        'label_job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('exhibition_id', sa.Integer(), nullable=False),
        sa.Column('template', sa.String(length=16), nullable=False),
        sa.Column('status', enum('job_status', 'queued', 'running', 'succeeded', 'failed'),
                  nullable=False),
        sa.Column('label_count', sa.Integer(), nullable=False),
        sa.Column('progress', sa.Float(), nullable=False),
        sa.Column('storage_key', sa.String(length=300), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('max_attempts', sa.Integer(), nullable=False),
        sa.Column('worker_id', sa.String(length=100), nullable=True),
        sa.Column('lease_expires_at', utc(), nullable=True),
        sa.Column('heartbeat_at', utc(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', utc(), nullable=False),
        sa.Column('finished_at', utc(), nullable=True),
        fk('label_job', 'exhibition_id', 'exhibition', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_label_job')),
    )
    op.create_index('ix_label_job_exhibition_id', 'label_job', ['exhibition_id'])
    op.create_index('ix_label_job_status_lease_expires_at', 'label_job',
                    ['status', 'lease_expires_at'])


def _visit_columns() -> list[sa.Column]:
    """Who was served a page, as classes (motpub.analytics.models.scan.Visit): scan and view."""
    return [
        sa.Column('language', LANGUAGE_CODE, nullable=False),
        sa.Column('device_class', enum('device_class', 'mobile', 'tablet', 'desktop', 'bot',
                                       'other'), nullable=False),
        sa.Column('os', sa.String(length=32), nullable=False),
        sa.Column('browser', sa.String(length=32), nullable=False),
        sa.Column('in_app', sa.String(length=32), nullable=False),
        sa.Column('referrer_host', sa.String(length=255), nullable=False),
        sa.Column('country', sa.String(length=2), nullable=False),
        sa.Column('is_bot', sa.Boolean(), nullable=False),
        sa.Column('visitor_hash', sa.String(length=32), nullable=False),
        # No foreign key: analytics outlive the exhibitions they were recorded in.
        sa.Column('exhibition_id', sa.Integer(), nullable=True),
        sa.Column('language_source', enum('language_source', 'param', 'cookie', 'header',
                                          'default'), nullable=False),
    ]


def _visits() -> None:
    op.create_table(
        'visitor_salt',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('salt', sa.String(length=64), nullable=False),
        sa.Column('created_at', utc(), nullable=False),
        sa.PrimaryKeyConstraint('day', name=op.f('pk_visitor_salt')),
    )
    op.create_table(
        'scan',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('code_id', sa.Integer(), nullable=False),
        # None for an exhibition's entrance code.
        sa.Column('item_id', sa.Integer(), nullable=True),
        sa.Column('scanned_at', utc(), nullable=False),
        sa.Column('is_orphan', sa.Boolean(), nullable=False),
        *_visit_columns(),
        fk('scan', 'code_id', 'code', ondelete='CASCADE'),
        fk('scan', 'item_id', 'item', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_scan')),
    )
    op.create_index('ix_scan_code_id_scanned_at', 'scan', ['code_id', 'scanned_at'])
    op.create_index('ix_scan_item_id_scanned_at', 'scan', ['item_id', 'scanned_at'])
    op.create_index('ix_scan_scanned_at', 'scan', ['scanned_at'])
    op.create_table(
        'view',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('viewed_at', utc(), nullable=False),
        *_visit_columns(),
        fk('view', 'item_id', 'item', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_view')),
    )
    op.create_index('ix_view_item_id_viewed_at', 'view', ['item_id', 'viewed_at'])
    op.create_index('ix_view_viewed_at', 'view', ['viewed_at'])
    op.create_table(
        'engagement',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('video_id', sa.Integer(), nullable=True),
        sa.Column('code_id', sa.Integer(), nullable=True),
        sa.Column('exhibition_id', sa.Integer(), nullable=True),
        sa.Column('page_session', sa.String(length=32), nullable=False),
        sa.Column('kind', enum('engagement_kind', 'video_start', 'video_progress', 'watch_time',
                               'video_error', 'language_switch', 'read_depth', length=20),
                  nullable=False),
        sa.Column('value', sa.Float(), nullable=True),
        sa.Column('language', LANGUAGE_CODE, nullable=False),
        sa.Column('created_at', utc(), nullable=False),
        fk('engagement', 'code_id', 'code', ondelete='SET NULL'),
        fk('engagement', 'item_id', 'item', ondelete='CASCADE'),
        fk('engagement', 'video_id', 'video', ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_engagement')),
    )
    op.create_index('ix_engagement_created_at', 'engagement', ['created_at'])
    op.create_index('ix_engagement_item_id_created_at', 'engagement', ['item_id', 'created_at'])


def _dimension_columns(table: str) -> list:
    """What a visit is broken down by (motpub.analytics.models.rollup._Dimensions)."""
    return [
        sa.Column('hour', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=True),
        sa.Column('code_id', sa.Integer(), nullable=True),
        sa.Column('exhibition_id', sa.Integer(), nullable=True),
        sa.Column('language', LANGUAGE_CODE, nullable=False),
        sa.Column('device_class', sa.String(length=16), nullable=False),
        sa.Column('os', sa.String(length=32), nullable=False),
        sa.Column('browser', sa.String(length=32), nullable=False),
        sa.Column('in_app', sa.String(length=32), nullable=False),
        sa.Column('country', sa.String(length=2), nullable=False),
        fk(table, 'code_id', 'code', ondelete='CASCADE'),
        fk(table, 'item_id', 'item', ondelete='CASCADE'),
    ]


def _day_filter_columns() -> list[sa.Column]:
    """The dashboard's filters on the rollups of whole days (motpub.analytics.models.rollup._DayFilter):
    language "" and exhibition_id NULL are the rows of all languages and exhibitions."""
    return [
        sa.Column('language', LANGUAGE_CODE, server_default='', nullable=False),
        sa.Column('exhibition_id', sa.Integer(), nullable=True),
    ]


def _rollups() -> None:
    # Hourly rollups of the raw rows; `hour` counts UTC hours since 1970.
    op.create_table(
        'visit_rollup',
        sa.Column('id', BIG_ID, nullable=False),
        *_dimension_columns('visit_rollup'),
        sa.Column('is_bot', sa.Boolean(), nullable=False),
        sa.Column('is_orphan', sa.Boolean(), nullable=False),
        sa.Column('scans', sa.Integer(), nullable=False),
        sa.Column('views', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_rollup')),
    )
    op.create_index('ix_visit_rollup_code_id_hour', 'visit_rollup', ['code_id', 'hour'])
    op.create_index('ix_visit_rollup_hour', 'visit_rollup', ['hour'])
    op.create_index('ix_visit_rollup_is_bot_hour', 'visit_rollup', ['is_bot', 'hour'])
    op.create_index('ix_visit_rollup_is_orphan_hour', 'visit_rollup', ['is_orphan', 'hour'])
    op.create_index('ix_visit_rollup_item_id_hour', 'visit_rollup', ['item_id', 'hour'])
    op.create_table(
        'visitor_rollup',
        sa.Column('id', BIG_ID, nullable=False),
        *_dimension_columns('visitor_rollup'),
        sa.Column('is_scan', sa.Boolean(), nullable=False),
        sa.Column('visitor_hash', sa.String(length=32), nullable=False),
        sa.Column('visits', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_visitor_rollup')),
    )
    op.create_index('ix_visitor_rollup_code_id_hour', 'visitor_rollup', ['code_id', 'hour'])
    op.create_index('ix_visitor_rollup_hour', 'visitor_rollup', ['hour'])
    op.create_index('ix_visitor_rollup_item_id_hour', 'visitor_rollup', ['item_id', 'hour'])
    op.create_table(
        'engagement_rollup',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('hour', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('code_id', sa.Integer(), nullable=True),
        sa.Column('exhibition_id', sa.Integer(), nullable=True),
        sa.Column('language', LANGUAGE_CODE, nullable=False),
        sa.Column('page_session', sa.String(length=32), nullable=False),
        sa.Column('is_play', sa.Boolean(), nullable=False),
        sa.Column('is_halfway', sa.Boolean(), nullable=False),
        sa.Column('is_complete', sa.Boolean(), nullable=False),
        sa.Column('watch_s', sa.Float(), nullable=True),
        fk('engagement_rollup', 'code_id', 'code', ondelete='SET NULL'),
        fk('engagement_rollup', 'item_id', 'item', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_engagement_rollup')),
    )
    op.create_index('ix_engagement_rollup_hour', 'engagement_rollup', ['hour'])
    op.create_index('ix_engagement_rollup_item_id_hour', 'engagement_rollup',
                    ['item_id', 'hour'])
    op.create_index('ix_engagement_rollup_page_session', 'engagement_rollup', ['page_session'])

    # Rollups of whole UTC days (`day` counts days since 1970), for long ranges.
    op.create_table(
        'daily_visitor_rollup',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('day', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=True),
        sa.Column('dimension', sa.String(length=16), nullable=False),
        sa.Column('value', sa.String(length=32), nullable=False),
        sa.Column('scans', sa.Integer(), nullable=False),
        sa.Column('views', sa.Integer(), nullable=False),
        sa.Column('visitors', sa.Integer(), nullable=False),
        sa.Column('scan_visitors', sa.Integer(), nullable=False),
        sa.Column('bot_scans', sa.Integer(), nullable=False),
        sa.Column('orphan_scans', sa.Integer(), nullable=False),
        *_day_filter_columns(),
        fk('daily_visitor_rollup', 'item_id', 'item', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_daily_visitor_rollup')),
    )
    op.create_index('ix_daily_visitor_rollup_dimension_language_exhibition_id_day',
                    'daily_visitor_rollup', ['dimension', 'language', 'exhibition_id', 'day'])
    op.create_index('ix_daily_visitor_rollup_item_id_day', 'daily_visitor_rollup',
                    ['item_id', 'day'])
    op.create_table(
        'item_hour_rollup',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('hour', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=True),
        sa.Column('scans', sa.Integer(), nullable=False),
        sa.Column('visitors', sa.Integer(), nullable=False),
        sa.Column('first_visitors', sa.Integer(), nullable=False),
        sa.Column('last_visitors', sa.Integer(), nullable=False),
        *_day_filter_columns(),
        fk('item_hour_rollup', 'item_id', 'item', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_item_hour_rollup')),
    )
    op.create_index('ix_item_hour_rollup_item_id_hour', 'item_hour_rollup', ['item_id', 'hour'])
    op.create_index('ix_item_hour_rollup_language_exhibition_id_hour', 'item_hour_rollup',
                    ['language', 'exhibition_id', 'hour'])
    op.create_table(
        'code_hour_rollup',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('hour', sa.Integer(), nullable=False),
        sa.Column('code_id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=True),
        sa.Column('scans', sa.Integer(), nullable=False),
        *_day_filter_columns(),
        fk('code_hour_rollup', 'code_id', 'code', ondelete='CASCADE'),
        fk('code_hour_rollup', 'item_id', 'item', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_code_hour_rollup')),
    )
    op.create_index('ix_code_hour_rollup_code_id_hour', 'code_hour_rollup', ['code_id', 'hour'])
    op.create_index('ix_code_hour_rollup_item_id_hour', 'code_hour_rollup', ['item_id', 'hour'])
    op.create_table(
        'daily_engagement_rollup',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('day', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=True),
        # Set only for a page session open across a UTC midnight.
        sa.Column('page_session', sa.String(length=32), nullable=True),
        sa.Column('watch_s', sa.Float(), nullable=True),
        sa.Column('sessions', sa.Integer(), nullable=False),
        sa.Column('plays', sa.Integer(), nullable=False),
        sa.Column('halfway', sa.Integer(), nullable=False),
        sa.Column('completions', sa.Integer(), nullable=False),
        *_day_filter_columns(),
        fk('daily_engagement_rollup', 'item_id', 'item', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_daily_engagement_rollup')),
    )
    op.create_index('ix_daily_engagement_rollup_item_id_language_exhibition_id_day',
                    'daily_engagement_rollup', ['item_id', 'language', 'exhibition_id', 'day'])
    # The few rows of single page sessions: a partial index, on both databases.
    op.create_index('ix_daily_engagement_rollup_session_day', 'daily_engagement_rollup',
                    ['day'],
                    sqlite_where=sa.text('page_session IS NOT NULL'),
                    postgresql_where=sa.text('page_session IS NOT NULL'))
    # "visits": hours before `hour` are rolled up; "days": the same for whole days.
    op.create_table(
        'rollup_watermark',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('hour', sa.Integer(), nullable=False),
        sa.Column('updated_at', utc(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_rollup_watermark')),
    )

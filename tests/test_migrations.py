"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from motpub.config import PROJECT_ROOT
from motpub.database import make_engine, upgrade
from motpub.orm import Base


def _differences(url: str) -> list:
    engine = make_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    return diff


def test_migrations_match_models_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url, str(PROJECT_ROOT / "migrations"))
    assert _differences(url) == []


def test_migrations_match_models_on_postgresql(postgres_url):
    # postgres_url is built by running the migrations on an empty schema.
    assert _differences(postgres_url) == []

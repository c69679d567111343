"""The migrations build exactly the schema the models describe, on both databases, from one
baseline; and they go down to nothing and up again."""

from __future__ import annotations

import os

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from motpub.config import PROJECT_ROOT
from motpub.database import alembic_config, make_engine, schema_revision, upgrade
from motpub.orm import Base

MIGRATIONS = str(PROJECT_ROOT / "migrations")


def _empty_postgres_database(server_url: str, name: str):
    """Create the database `name` next to `server_url`'s; returns its URL and a drop()."""
    base = server_url.rpartition("/")[0]
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://") + "/postgres",
                          isolation_level="AUTOCOMMIT")

    def run(statement: str) -> None:
        with admin.connect() as connection:
            connection.execute(text(statement))

    run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    run(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return f"{base}/{name}", drop


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_databases(request, tmp_path):
    """Two empty databases of one kind: one for the migrations, one for the models."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}", f"sqlite:///{tmp_path / 'models.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    prefix = f"{server.rpartition('/')[2]}_{os.getpid()}"
    migrated, drop_migrated = _empty_postgres_database(server, f"{prefix}_migrated")
    models, drop_models = _empty_postgres_database(server, f"{prefix}_models")
    try:
        yield migrated, models
    finally:
        drop_migrated()
        drop_models()


def _schema(url: str) -> dict:
    """What a database holds, in a form that compares across two databases of one kind:
    columns with their types, nullability and server defaults, keys, foreign keys with their
    ON DELETE, indexes with their WHERE, unique and check constraints."""
    engine = make_engine(url)
    with engine.connect() as connection:
        inspector = inspect(connection)
        schema = {}
        for table in inspector.get_table_names():
            if table == "alembic_version":
                continue
            schema[table] = {
                "columns": {column["name"]: (str(column["type"]), column["nullable"],
                                             column["default"])
                            for column in inspector.get_columns(table)},
                "primary key": inspector.get_pk_constraint(table),
                "foreign keys": sorted((fk["name"], fk["constrained_columns"],
                                        fk["referred_table"], fk["options"].get("ondelete"))
                                       for fk in inspector.get_foreign_keys(table)),
                "indexes": sorted((index["name"], index["column_names"], bool(index["unique"]),
                                   {option: str(value) for option, value
                                    in index.get("dialect_options", {}).items()})
                                  for index in inspector.get_indexes(table)),
                "unique": sorted((unique["name"], unique["column_names"])
                                 for unique in inspector.get_unique_constraints(table)),
                "checks": sorted((check["name"], check["sqltext"])
                                 for check in inspector.get_check_constraints(table)),
            }
    engine.dispose()
    return schema


def test_the_history_starts_from_one_baseline():
    script = ScriptDirectory.from_config(alembic_config("sqlite://", MIGRATIONS))
    assert script.get_bases() == ["0001"]
    assert len(script.get_heads()) == 1


def test_the_migrations_leave_autogenerate_nothing_to_do(empty_databases):
    url, _ = empty_databases
    upgrade(url, MIGRATIONS)
    # Raises, listing them, when the models differ from the schema: tables, columns, types,
    # nullability, server defaults, indexes, unique constraints and foreign keys.
    command.check(alembic_config(url, MIGRATIONS))


def test_the_migrations_build_what_the_models_create(empty_databases):
    """Also what autogenerate does not compare: check constraints, the WHERE of partial
    indexes, ON DELETE and the constraints' names."""
    migrated, models = empty_databases
    upgrade(migrated, MIGRATIONS)
    engine = make_engine(models)
    Base.metadata.create_all(engine)
    engine.dispose()
    expected = _schema(models)
    assert set(expected) == set(Base.metadata.tables)
    assert _schema(migrated) == expected


def test_the_migrations_go_down_to_nothing_and_up_again(empty_databases):
    url, _ = empty_databases
    upgrade(url, MIGRATIONS)
    built = _schema(url)
    command.downgrade(alembic_config(url, MIGRATIONS), "base")
    engine = make_engine(url)
    assert schema_revision(engine) == ()
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade(url, MIGRATIONS)
    assert _schema(url) == built

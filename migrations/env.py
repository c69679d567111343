"""Alembic environment: the target is motpub's metadata; the URL comes from motpub's settings."""

from alembic import context
from sqlalchemy import TypeDecorator

from motpub.database import make_engine
import motpub.models  # noqa: F401  (puts every feature's tables on Base.metadata)
from motpub.orm import Base

config = context.config
target_metadata = Base.metadata


def render_item(type_, obj, autogen_context):
    # A migration stays as it was written: a column of one of the models' own types is
    # rendered as the type it stores, so migrations never import modules that move.
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def compare_server_default(context, _inspected_column, _metadata_column, inspected_default,
                           _metadata_default, rendered_metadata_default):
    # SQLite reads DEFAULT '' back as "('')", which alembic takes for a change from '' (it
    # unquotes only a string of at least one character); other defaults it compares itself.
    if context.dialect.name == "sqlite" and rendered_metadata_default == "" \
            and inspected_default in ("''", "('')"):
        return False
    return None


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True, render_item=render_item)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    # Batch mode lets ALTERs run on SQLite, which rebuilds the table to change it.
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True, compare_type=True,
                      compare_server_default=compare_server_default,
                      render_item=render_item)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

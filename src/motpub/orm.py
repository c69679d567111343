from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Enum, MetaData, TypeDecorator
from sqlalchemy.orm import DeclarativeBase

from motpub.i18n import content_languages

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC on every backend; SQLite keeps no zone, so it is put back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None,
                           dialect: Dialect) -> dt.datetime | None:
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(dt.UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None,
                             dialect: Dialect) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


class Localized(TypeDecorator[dict[str, str]]):
    """Text in several languages, stored as a JSON object keyed by content language
    ({"zh": ..., "en": ...}).

    Empty strings are dropped so "missing" has one spelling. Text in a language that is no
    longer configured is kept, after the content languages: visitors never see it, editors
    see it as orphaned, and no save deletes it.
    """

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: dict[str, str] | None,
                           dialect: Dialect) -> dict[str, str]:
        if value is None:
            return {}
        ordered = [*content_languages(), *sorted(set(value) - set(content_languages()))]
        return {lang: value[lang] for lang in ordered if value.get(lang)}

    def process_result_value(self, value: Any, dialect: Dialect) -> dict[str, str]:
        return dict(value or {})


def enum_values(enum_cls: type[enum.Enum]) -> list[str]:
    """Store enums by value, not by name, so the database reads like the API."""
    return [member.value for member in enum_cls]


def enum_by_value(enum_cls: type[enum.Enum], *, length: int = 16) -> Enum:
    """An enum column's type: the value in a VARCHAR, so a new member needs no ALTER TYPE."""
    return Enum(enum_cls, values_callable=enum_values, native_enum=False, length=length)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # Every timestamp is timezone-aware UTC and every enum is stored by value, so a column
    # typed Mapped[dt.datetime] or Mapped[SomeEnum] needs no type of its own.
    type_annotation_map = {dt.datetime: UTCDateTime(), enum.Enum: enum_by_value(enum.Enum)}

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from motpub.orm import Base, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    ANALYST = "analyst"

    @property
    def can_edit(self) -> bool:
        return self in (Role.ADMIN, Role.EDITOR)

    @property
    def can_read_analytics(self) -> bool:
        return self in (Role.ADMIN, Role.ANALYST)

    @property
    def can_manage_users(self) -> bool:
        return self is Role.ADMIN


class User(Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role]
    is_active: Mapped[bool] = mapped_column(default=True)
    # Carried by every studio session cookie, which counts only while it matches: a new
    # password, a deactivation or a logout moves it on, and every earlier cookie stops working.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")


class ApiToken(Base):
    """A bearer token. Only the SHA-256 of the token is kept; the token is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The token's first characters, to tell tokens apart in lists and revoke one by them;
    # None for tokens made before prefixes were kept.
    prefix: Mapped[str | None] = mapped_column(String(16), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")

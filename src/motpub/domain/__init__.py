"""Typed SQLAlchemy models and their invariants. Nothing here knows about HTTP or queues."""

from motpub.domain.base import LANGUAGES, Base
from motpub.domain.code import Code
from motpub.domain.item import Item, ItemStatus
from motpub.domain.scan import LanguageSource, Scan
from motpub.domain.user import ApiToken, Role, User

__all__ = [
    "LANGUAGES",
    "ApiToken",
    "Base",
    "Code",
    "Item",
    "ItemStatus",
    "LanguageSource",
    "Role",
    "Scan",
    "User",
]

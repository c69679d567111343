"""Pages of a long list, so a studio page stays small however many rows there are (an item
with thousands of codes once made an 11.7 MB page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_of(session: Session, query: Select[Any], *, number: int, size: int = PAGE_SIZE) -> Page:
    """Rows `size` at a time; a number past the last page shows the last page."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    last = max(1, -(-(total or 0) // size))
    number = min(max(number, 1), last)
    rows = list(session.scalars(query.limit(size).offset((number - 1) * size)))
    return Page(rows=rows, number=number, size=size, total=total or 0)

"""What every input model shares: bounded ids, and text without control characters.

PostgreSQL refuses NUL in text and holds ids in 32-bit integer columns; SQLite takes both, so
without these bounds the two databases would disagree and PostgreSQL would answer 500.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

# The largest id PostgreSQL's integer columns hold; every id a client sends is 1 to this.
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]

# C0 control characters; tab, line feed and carriage return are text in multi-line fields.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f]")
CONTROL_MESSAGE = "must not contain control characters such as NUL"


def has_control_character(text: str, *, multiline: bool = False) -> bool:
    return (_CONTROL if multiline else _CONTROL_OR_BREAK).search(text) is not None


def parse_id(value: str | None, field: str) -> int | None:
    """An optional id from a query string: None when absent, ValueError when not 1..MAX_ID."""
    if value is None or value == "":
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 10
            and 1 <= int(value) <= MAX_ID):
        raise ValueError(f"{field} must be a whole number from 1 to {MAX_ID}")
    return int(value)


class Input(BaseModel):
    """The base of every input model. Text fields refuse control characters; those named in
    `multiline` (Markdown, summaries) may hold tabs and line breaks."""

    model_config = ConfigDict(extra="forbid")
    multiline: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="after", check_fields=False)
    @classmethod
    def _no_control_characters(cls, value: Any, info: ValidationInfo) -> Any:
        texts = value if isinstance(value, list) else [value]
        multiline = info.field_name in cls.multiline
        if any(isinstance(text, str) and has_control_character(text, multiline=multiline)
               for text in texts):
            raise ValueError(CONTROL_MESSAGE)
        return value

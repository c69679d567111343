"""What every input model shares: bounded ids, text without control characters, and one way
to turn a model's refusal into the API's 422.

PostgreSQL refuses NUL in text and holds ids in 32-bit integer columns; SQLite takes both, so
without these bounds the two databases would disagree and PostgreSQL would answer 500.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from motpub.i18n import content_languages
from motpub.errors import Invalid

# A slug, the readable key of a page address (items, exhibitions): /i/<slug>, /x/<slug>.
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
# The largest id PostgreSQL's integer columns hold; every id a client sends is 1 to this.
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]

# C0 control characters; tab, line feed and carriage return are text in multi-line fields.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f]")
CONTROL_MESSAGE = "must not contain control characters such as NUL"
# Errors of these patterns say what fits, not the regular expression.
PATTERN_HINTS = {SLUG_PATTERN: "use only lowercase letters a-z, digits and single hyphens "
                               "between them, such as bronze-ding-2"}

Model = TypeVar("Model", bound=BaseModel)


def refusal(message: str) -> PydanticCustomError:
    """A validation error whose message is `message` as written (no "Value error, ")."""
    return PydanticCustomError("invalid", "{reason}", {"reason": message})


def _known_language(value: str) -> str:
    if value not in content_languages():
        raise refusal(f"must be one of {', '.join(content_languages())}")
    return value


# A content language, named by its code.
# The deployment's languages are known once the app is configured: the OpenAPI document lists
# them when it is served (web.openapi_languages).
Language = Annotated[str, AfterValidator(_known_language),
                     Field(json_schema_extra={"x-content-languages": "enum"})]


def has_control_character(text: str, *, multiline: bool = False) -> bool:
    return (_CONTROL if multiline else _CONTROL_OR_BREAK).search(text) is not None


def _digits(value: object) -> object:
    # int() would also take "+1", " 1", "1_000" and "²"; a query id is plain ASCII digits.
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise refusal(f"must be a whole number from 1 to {MAX_ID}")
    return value


# An id in a query string, where every value arrives as text.
QueryId = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_digits)]


def parse(model: type[Model], data: object) -> Model:
    """Validate input, turning pydantic's errors into one Invalid (422) with every problem
    listed and the first one's field named."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = []
        for detail in error.errors(include_url=False):
            where = ".".join(str(part) for part in detail["loc"]) or "body"
            message = detail["msg"]
            if detail["type"] == "string_pattern_mismatch":
                message = PATTERN_HINTS.get(str(detail.get("ctx", {}).get("pattern")), message)
            problems.append(f"{where}: {message}")
        first = error.errors()[0]["loc"]
        raise Invalid("; ".join(problems), field=str(first[0]) if first else None) from None


def parse_query(model: type[Model], args: Mapping[str, str]) -> Model:
    """A query model from a query string: the first value of each parameter."""
    return parse(model, {name: args.get(name) for name in args})


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


class QueryInput(Input):
    """The base of query-string models. Unknown parameters are ignored (cache busters,
    tracking tags); an empty value of a parameter named in `blank_is_absent` means it is
    absent, as a form submitting an empty field sends it."""

    model_config = ConfigDict(extra="ignore")
    blank_is_absent: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _drop_blanks(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            return {name: value for name, value in data.items()
                    if not (value == "" and name in cls.blank_is_absent)}
        return data

"""What the API answers, as models (each feature has its own `representations` module):
handlers build their JSON through these, and the OpenAPI
document describes the same classes, so a field added here is served and documented at once.

Timestamps and days stay the strings `isoformat()` writes: pydantic would write UTC as `Z`,
and clients already read `+00:00`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from motpub.web.openapi_languages import LANGUAGE, LOCALIZED


Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
Day = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]
Url = Annotated[str, WithJsonSchema({"type": "string", "format": "uri"})]
# Keyed by the content languages, which the served document lists (web.openapi_languages).
Localized = Annotated[dict[str, str], WithJsonSchema(LOCALIZED)]
# A language code the document lists as the content languages.
LANGUAGE_FIELD: Any = Field(json_schema_extra=LANGUAGE)


def one_of(*values: str, description: str | None = None) -> Any:
    """A string field whose document lists the values it takes."""
    return Field(json_schema_extra={"enum": list(values)}, description=description)


class Representation(BaseModel):
    model_config = ConfigDict(extra="forbid")

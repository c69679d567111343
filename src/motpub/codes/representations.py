"""The codes the API answers, as models: served and documented from the same classes."""

from __future__ import annotations

from pydantic import Field

from motpub.media.models.transcode_job import JobStatus
from motpub.printing.labels import TEMPLATES
from motpub.web.representations import Representation, Timestamp, Url, one_of


class Code(Representation):
    code: str
    url: Url
    label: str
    enabled: bool
    item_id: int | None
    exhibition_id: int | None = Field(
        description="set on an exhibition's entrance code instead of item_id")
    created_at: Timestamp


class CodeList(Representation):
    codes: list[Code]


class CodeChange(Representation):
    changed_at: Timestamp
    item_id: int | None
    exhibition_id: int | None
    label: str
    enabled: bool


class Placement(Code):
    history: list[CodeChange] = Field(description="the code's placements, oldest first")


class LabelJob(Representation):
    id: int
    exhibition_id: int
    template: str = one_of(*TEMPLATES)
    languages: list[str] = Field(description="the languages of the titles, in print order")
    status: str = one_of(*(status.value for status in JobStatus))
    progress: float = Field(ge=0, le=1)
    label_count: int
    error: str | None
    status_url: str
    pdf_url: str | None = Field(description="set once the job succeeded")
    created_at: Timestamp
    finished_at: Timestamp | None

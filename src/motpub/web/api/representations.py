"""What the API answers, as models: handlers build their JSON through these, and the OpenAPI
document describes the same classes, so a field added here is served and documented at once.

Timestamps and days stay the strings `isoformat()` writes: pydantic would write UTC as `Z`,
and clients already read `+00:00`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from motpub.domain import LANGUAGES, ItemStatus, JobStatus, MediaKind, VideoStatus
from motpub.media.labels import TEMPLATES

Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
Day = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]
Url = Annotated[str, WithJsonSchema({"type": "string", "format": "uri"})]
Localized = Annotated[dict[str, str], WithJsonSchema({
    "type": "object", "properties": {language: {"type": "string"} for language in LANGUAGES},
    "additionalProperties": False})]


def one_of(*values: str, description: str | None = None) -> Any:
    """A string field whose document lists the values it takes."""
    return Field(json_schema_extra={"enum": list(values)}, description=description)


class Representation(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ItemLink(Representation):
    url: Url
    title: Localized


class Item(Representation):
    id: int
    slug: str
    status: str = one_of(*(status.value for status in ItemStatus))
    default_language: str = one_of(*LANGUAGES)
    title: Localized
    summary: Localized
    body: Localized
    links: list[ItemLink]
    gtin: str | None = Field(description="14 digits")
    digital_link: Url | None = Field(description="the GS1 Digital Link URI of the GTIN")
    revision: int
    page_url: Url
    created_at: Timestamp
    updated_at: Timestamp
    published_at: Timestamp | None


class ItemList(Representation):
    items: list[Item]
    total: int


class ItemStats(Representation):
    item_id: int
    scans: int
    orphan_scans: int


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


class Exhibition(Representation):
    id: int
    slug: str
    title: Localized
    intro: Localized
    venue: str
    timezone: str
    starts_on: Day | None
    ends_on: Day | None
    item_ids: list[int]
    codes: list[Code]
    page_url: Url
    created_at: Timestamp
    updated_at: Timestamp


class ExhibitionList(Representation):
    exhibitions: list[Exhibition]


class Message(Representation):
    """A message for people, in each language."""

    en: str
    zh: str


class RenditionInfo(Representation):
    name: str
    width: int | None
    height: int | None
    bandwidth: int
    average_bandwidth: int
    codecs: str


class CaptionLink(Representation):
    language: str
    url: str


class Video(Representation):
    id: int
    video_id: int
    item_id: int
    kind: str = one_of(*(kind.value for kind in MediaKind))
    language: str | None
    status: str = one_of(*(status.value for status in VideoStatus))
    progress: float = Field(ge=0, le=1)
    error: Message | None
    notice: Message | None = Field(description=(
        "set when the file turned out to be other than its declared content_type: the probe "
        "decides, so a file with a picture becomes a video and one with sound only an audio "
        "guide, whatever the upload said; `kind` is what it became"))
    filename: str
    size_bytes: int
    duration_s: float | None
    width: int | None
    height: int | None
    renditions: list[RenditionInfo]
    hls_url: str | None
    preview_url: str | None
    poster_url: str | None
    captions: list[CaptionLink]


class VideoList(Representation):
    videos: list[Video]


class PartUrl(Representation):
    number: int
    url: str


class UploadPlan(Representation):
    part_size_bytes: int
    parts: list[PartUrl]
    complete_url: str


class Upload(Representation):
    video_id: int
    status: str = one_of(*(status.value for status in VideoStatus))
    upload: UploadPlan


class ReceivedPart(Representation):
    number: int
    etag: str
    size_bytes: int


class PartList(Representation):
    parts: list[ReceivedPart]


class LabelJob(Representation):
    id: int
    exhibition_id: int
    template: str = one_of(*TEMPLATES)
    status: str = one_of(*(status.value for status in JobStatus))
    progress: float = Field(ge=0, le=1)
    label_count: int
    error: str | None
    status_url: str
    pdf_url: str | None = Field(description="set once the job succeeded")
    created_at: Timestamp
    finished_at: Timestamp | None

"""The media the API answers, as models: served and documented from the same classes."""

from __future__ import annotations

from pydantic import Field

from motpub.media.models.video import MediaKind, VideoStatus
from motpub.web.representations import Localized, Representation, one_of


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


class AudioTrack(Representation):
    """A dub: the video's sound in another language."""

    language: str
    name: str = Field(description="the language's name in that language")
    status: str = one_of(*(status.value for status in VideoStatus if status.value != "uploading"))
    duration_s: float | None
    error: Localized | None = Field(default=None, description=(
        "why the dub failed, in every content language; while a new file of a dub is "
        "processed the one before it plays on"))


class AudioTrackList(Representation):
    audio_tracks: list[AudioTrack]


class Video(Representation):
    id: int
    video_id: int
    item_id: int
    kind: str = one_of(*(kind.value for kind in MediaKind))
    language: str | None
    status: str = one_of(*(status.value for status in VideoStatus))
    progress: float = Field(ge=0, le=1)
    error: Localized | None
    notice: Localized | None = Field(description=(
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
    audio_tracks: list[AudioTrack] = Field(default_factory=list, description=(
        "dubs: the video's sound in other content languages, offered by its master playlists"))


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


class ImageUrls(Representation):
    """Where the picture is served: by format, the derivative of each width (as a string key:
    "320", "640", ...), widest last; signed and short-lived while its item is a draft."""

    avif: dict[str, str]
    webp: dict[str, str]
    jpeg: dict[str, str]
    placeholder: str | None = Field(description="a data: URI of a few hundred bytes")
    color: str | None = Field(description="the picture's average colour, #rrggbb")
    tiles: str | None = Field(description=(
        "the Deep Zoom descriptor (.dzi) of pictures whose long side is above 4,000 px; its "
        "tiles are at <name>_files/<level>/<column>_<row>.jpg beside it"))


class Image(Representation):
    id: int
    image_id: int
    item_id: int | None
    exhibition_id: int | None
    status: str = one_of(*(status.value for status in VideoStatus))
    filename: str
    size_bytes: int
    width: int | None = Field(description="as shown, after the EXIF orientation")
    height: int | None
    alt: Localized
    caption: Localized
    credit: str
    position: int = Field(description="from 0, the item's hero or the exhibition's cover")
    urls: ImageUrls
    error: Localized | None


class ImageList(Representation):
    images: list[Image]


class ImageUpload(Representation):
    image_id: int
    status: str = one_of(*(status.value for status in VideoStatus))
    upload: UploadPlan

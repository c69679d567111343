"""Which languages an item's media serve, one function per kind of media.

A kind is missing in a language when the item has it in some language but not in that one:
an item with no audio guide at all lacks none. Only ready media count. A video or audio
guide without a language (music, no speech) serves every language.

A video's dubbed audio tracks count as the video in their languages: the visitor hears it
in theirs. To count another kind of media, add its function to MEDIA_KINDS.
"""

from __future__ import annotations

from collections.abc import Callable

from motpub.i18n import content_languages
from motpub.items.models import Item
from motpub.media.models.video import MediaKind, Video


def _ready(item: Item, kind: MediaKind) -> list[Video]:
    return [video for video in item.videos if video.kind is kind and video.is_ready]


def _languages(videos: list[Video]) -> set[str]:
    if any(video.language is None for video in videos):
        return set(content_languages())
    return {video.language for video in videos if video.language}


def spoken_languages(item: Item) -> set[str]:
    """The languages a visitor can hear the item's video in: its own, and its dubs'."""
    videos = _ready(item, MediaKind.VIDEO)
    return _languages(videos) | {track.language for video in videos
                                 for track in video.audio_tracks if track.is_playable}


def caption_languages(item: Item) -> set[str]:
    """The languages the captions of the item's ready videos are in."""
    return {caption.language for video in _ready(item, MediaKind.VIDEO)
            for caption in video.captions}


def audio_guide_languages(item: Item) -> set[str]:
    return _languages(_ready(item, MediaKind.AUDIO))


# Each kind's name in the coverage lists, and the languages an item has it in.
MEDIA_KINDS: dict[str, Callable[[Item], set[str]]] = {
    "video": spoken_languages,
    "captions": caption_languages,
    "audio_guide": audio_guide_languages,
}


def missing_media(item: Item) -> dict[str, list[str]]:
    """{language: [kinds of media the item has elsewhere but not in it]}."""
    has = {kind: languages(item) for kind, languages in MEDIA_KINDS.items()}
    return {lang: [kind for kind, languages in has.items() if languages and lang not in languages]
            for lang in content_languages()}

"""Which video and which sound a visitor's page plays, and the master playlists that offer a
video's sound in several languages: the choice as data, the playlists as text."""

from __future__ import annotations

import dataclasses

import pytest

from motpub import i18n
from motpub.avtools.hls import AudioRendition, master_playlist, SubtitleTrack, Variant
from motpub.items.models import Item
from motpub.items.services.pages import build_item_page
from motpub.media.models.video import AudioTrack, Caption, MediaKind, Video, VideoStatus

LOW = Variant("360p", "360p/index.m3u8", 640, 360, 900_000, 700_000,
              "avc1.64001e,mp4a.40.2", 25.0, False)


def test_the_master_offers_the_own_sound_without_a_uri_and_each_dub_with_one():
    text = master_playlist(
        [LOW], [SubtitleTrack("en", "English", "../captions/en.m3u8")],
        [AudioRendition("zh", "中文", None, False),
         AudioRendition("en", "English", "../audio/en-1/index.m3u8", True)])
    assert text.splitlines()[3:7] == [
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="中文",LANGUAGE="zh",DEFAULT=NO,'
        'AUTOSELECT=YES,CHANNELS="2"',
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="English",LANGUAGE="en",DEFAULT=YES,'
        'AUTOSELECT=YES,CHANNELS="2",URI="../audio/en-1/index.m3u8"',
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",'
        'DEFAULT=NO,AUTOSELECT=YES,URI="../captions/en.m3u8"',
        '#EXT-X-STREAM-INF:BANDWIDTH=900000,AVERAGE-BANDWIDTH=700000,RESOLUTION=640x360,'
        'CODECS="avc1.64001e,mp4a.40.2",FRAME-RATE=25.000,AUDIO="audio",SUBTITLES="subs"',
    ]
    # Without dubs, the master is the one a video always had.
    assert "TYPE=AUDIO" not in master_playlist([LOW]) and "AUDIO=" not in master_playlist([LOW])


def test_a_silent_videos_dub_names_aac_among_the_variants_codecs():
    silent = dataclasses.replace(LOW, codecs="avc1.64001e")
    text = master_playlist([silent], (), [AudioRendition("en", "English", "en.m3u8", True)])
    assert 'CODECS="avc1.64001e,mp4a.40.2"' in text


def test_only_one_sound_is_the_default():
    with pytest.raises(ValueError):
        master_playlist([LOW], (), [AudioRendition("zh", "中文", None, True),
                                    AudioRendition("en", "English", "en.m3u8", True)])


# The page's choice ------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def three_languages():
    i18n.configure(("zh", "en", "fr"))
    yield
    i18n.configure(i18n.DEFAULT_LANGUAGES)


def video(video_id: int, language: str | None, *dubs: str, kind=MediaKind.VIDEO,
          captions: tuple[str, ...] = ()) -> Video:
    made = Video(id=video_id, kind=kind, language=language, status=VideoStatus.READY,
                 master_key=f"videos/{video_id}/v1/master.m3u8", version=f"videos/{video_id}/v1/")
    made.audio_tracks = [AudioTrack(language=dub, status=VideoStatus.READY,
                                    playlist_key=f"videos/{video_id}/audio/{dub}/index.m3u8",
                                    master_key=f"videos/{video_id}/v1/master-{dub}.m3u8")
                         for dub in dubs]
    made.captions = [Caption(language=lang, vtt_key=f"videos/{video_id}/captions/{lang}.vtt",
                             playlist_key="x") for lang in captions]
    return made


def page(language: str, *videos: Video, default: str = "zh"):
    item = Item(id=1, slug="ding", default_language=default, title={"zh": "鼎"}, summary={},
                body={}, links=[])
    item.videos = list(videos)
    return build_item_page(item, language, media_url=lambda key: "/media/" + key)


def test_the_visitors_own_language_comes_first_then_a_dub_into_it():
    own, dubbed = video(1, "zh", "en"), video(2, "en")
    assert page("en", own, dubbed).video.video_id == 2
    player = page("en", own).video
    assert player.video_id == 1 and player.audio_language == "en"
    assert player.hls_url == "/media/videos/1/v1/master-en.m3u8"
    assert [(sound.language, sound.label) for sound in player.sounds] == [
        ("zh", "中文"), ("en", "English")]
    zh = page("zh", own).video
    assert zh.hls_url == "/media/videos/1/v1/master.m3u8" and zh.audio_language == "zh"


def test_a_dub_not_yet_encoded_is_not_offered():
    pending = video(1, "zh", "en")
    pending.audio_tracks[0].playlist_key = pending.audio_tracks[0].master_key = None
    player = page("en", pending).video
    assert player.audio_language == "zh" and player.sounds == []
    assert player.hls_url.endswith("/master.m3u8")


def test_a_reader_of_another_language_hears_the_one_they_read_next():
    # French readers read English next (i18n.fallback_chain), then the item's default.
    player = page("fr", video(1, "zh", "en", captions=("fr",))).video
    assert player.audio_language == "en"
    assert [track.is_default for track in player.tracks] == [True]  # French captions on
    assert page("fr", video(1, "zh"), video(2, "en")).video.video_id == 2
    assert page("fr", video(1, "zh"), video(2, None)).video.video_id == 2  # no speech
    # Heard in the visitor's own language, captions stay off.
    heard = page("en", video(1, "zh", "en", captions=("en",))).video
    assert [track.is_default for track in heard.tracks] == [False]


def test_audio_guides_follow_the_same_order():
    guides = [video(5, "zh", kind=MediaKind.AUDIO), video(6, "en", kind=MediaKind.AUDIO)]
    assert page("fr", *guides).audio.video_id == 6
    assert page("zh", *guides).audio.video_id == 5
    assert page("fr", *guides, default="zh").video is None

"""The media pipeline on real ffmpeg and ffprobe, over short clips generated for the session."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import re
import resource
import subprocess
import time
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from motpub.avtools.audio import transcode_audio
from motpub.avtools.captions import captions_to_webvtt
from motpub.avtools.errors import FFmpegError, MediaError
from motpub.avtools.ffmpeg import run_ffmpeg
from motpub.avtools.hls import master_playlist, subtitle_playlist, SubtitleTrack, Variant
from motpub.avtools.ladder import encode_command, plan_ladder, Rung, transcode_ladder
from motpub.avtools.poster import make_poster
from motpub.avtools.preview import make_first_playable, REMUX_MAX_BIT_RATE
from motpub.avtools.probe import check_media, probe
from tests.factories import make_clip
from motpub.media.services.messages import messages

CJK = re.compile(r"[\u4e00-\u9fff]")


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args],
                   check=True, timeout=120)


def ffprobe(path: Path, *args: str) -> dict:
    result = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", *args, str(path)],
                            check=True, capture_output=True, timeout=60)
    return json.loads(result.stdout)


def streams(path: Path) -> dict[str, dict]:
    found = ffprobe(path, "-show_streams")["streams"]
    return {stream["codec_type"]: stream for stream in found}


def keyframe_times(playlist: Path) -> list[float]:
    packets = ffprobe(playlist, "-select_streams", "v:0", "-show_entries",
                      "packet=pts_time,flags")["packets"]
    return [float(packet["pts_time"]) for packet in packets if "K" in packet["flags"]]


def extinf(playlist: Path) -> list[float]:
    return [float(value) for value in re.findall(r"^#EXTINF:([\d.]+),", playlist.read_text(),
                                                   re.MULTILINE)]


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def ffmpeg_in_parallel(*commands: list[str]) -> None:
    processes = [subprocess.Popen(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
                                   "-y", *command]) for command in commands]
    assert [process.wait(timeout=120) for process in processes] == [0] * len(processes)


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, Path]:
    """Small clips of every kind editors upload: a few seconds each, so the module stays fast."""
    root = tmp_path_factory.mktemp("clips")
    clip = {name: root / file for name, file in {
        "landscape": "landscape.mp4", "rotated": "rotated.mp4", "portrait": "portrait.mp4",
        "ladder": "ladder.mp4", "mpeg4": "mpeg4.avi", "mp3": "guide.mp3", "wav": "guide.wav",
        "junk": "junk.mp4", "text": "notes.txt", "empty": "empty.mp4"}.items()}
    landscape_540 = root / "landscape_540.mp4"

    def picture(size: str, seconds: int) -> list[str]:
        return ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration={seconds}"]

    def tone(seconds: int, sample_rate: int = 48000) -> list[str]:
        return ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate={sample_rate}:"
                f"duration={seconds}"]

    x264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    ffmpeg_in_parallel(
        # Landscape 1080p H.264/AAC, as a phone or an editing app exports it.
        [*picture("1920x1080", 4), *tone(4), *x264, "-crf", "30", "-g", "50", "-c:a", "aac",
         "-ac", "2", str(clip["landscape"])],
        [*picture("1080x1920", 1), *x264, str(clip["portrait"])],
        # The ladder's source (rotated below): 540p so its three rungs (540p between rungs,
        # 480p, 360p) encode in seconds; 9 s for two full 4 s segments and a short last one.
        [*picture("960x540", 9), *tone(9), *x264, "-c:a", "aac", "-ac", "1",
         str(landscape_540)],
        # MPEG-4 Part 2 with MP3 in AVI: an old camera's file, which must be re-encoded.
        [*picture("1280x720", 4), *tone(4), "-c:v", "mpeg4", "-q:v", "5", "-c:a",
         "libmp3lame", str(clip["mpeg4"])],
        # Audio guides: MP3 with a cover picture, and mono 44.1 kHz WAV.
        [*tone(5, 44100), "-f", "lavfi", "-i", "color=color=red:size=64x64:duration=0.1",
         "-map", "0:a", "-map", "1:v", "-frames:v", "1", "-c:a", "libmp3lame", "-c:v",
         "mjpeg", "-disposition:v:0", "attached_pic", str(clip["mp3"])],
        [*tone(5, 44100), "-c:a", "pcm_s16le", str(clip["wav"])],
    )
    # Portrait phone footage as most phones store it: landscape pixels plus a rotation.
    ffmpeg_in_parallel(
        ["-i", str(clip["landscape"]), "-c", "copy", "-metadata:s:v:0", "rotate=90",
         str(clip["rotated"])],
        ["-i", str(landscape_540), "-c", "copy", "-metadata:s:v:0", "rotate=90",
         str(clip["ladder"])],
    )
    clip["junk"].write_bytes(random.Random(7).randbytes(64 * 1024))
    clip["text"].write_text("Bronze ding, Western Zhou.\n青铜鼎，西周。\n" * 20)
    clip["empty"].write_bytes(b"")
    return clip


@pytest.fixture(scope="module")
def ladder(clips, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("ladder")
    info = probe(clips["ladder"])
    rungs = plan_ladder(info)
    progress: list[float] = []
    variants = transcode_ladder(clips["ladder"], out_dir, info, rungs,
                                on_progress=progress.append)
    return out_dir, info, rungs, variants, progress


# probe and check_media


def test_probe_reads_landscape_h264_with_aac(clips):
    info = probe(clips["landscape"])
    assert (info.kind, info.width, info.height, info.rotation) == ("video", 1920, 1080, 0)
    assert (info.video_codec, info.pix_fmt, info.frame_rate) == ("h264", "yuv420p", 25.0)
    assert (info.audio_codec, info.audio_channels, info.audio_sample_rate) == ("aac", 2, 48000)
    assert info.duration_s == pytest.approx(4, abs=0.1)
    assert info.bit_rate > 0 and "mp4" in info.format_name


def test_probe_reports_rotated_footage_at_its_upright_display_size(clips):
    info = probe(clips["rotated"])
    assert (info.width, info.height) == (1080, 1920)
    # ffmpeg 5.1 stores `-metadata rotate=90` as a display matrix turning the picture 90°
    # counterclockwise (ffprobe "rotation": 90), which is 270° in the clockwise `rotate`
    # convention of MediaInfo.rotation; an iPhone's portrait clip reads 90.
    assert info.rotation == 270


def test_probe_reads_portrait_pixels_as_portrait(clips):
    info = probe(clips["portrait"])
    assert (info.width, info.height, info.rotation) == (1080, 1920, 0)
    assert info.audio_codec is None


@pytest.mark.parametrize("name, codec, sample_rate", [("mp3", "mp3", 44100),
                                                      ("wav", "pcm_s16le", 44100)])
def test_probe_reads_audio_guides_as_audio_even_with_a_cover_picture(clips, name, codec,
                                                                      sample_rate):
    info = probe(clips[name])
    assert (info.kind, info.width, info.height, info.video_codec) == ("audio", 0, 0, None)
    assert (info.audio_codec, info.audio_sample_rate) == (codec, sample_rate)
    assert info.duration_s == pytest.approx(5, abs=0.1)


@pytest.mark.parametrize("name", ["junk", "text", "empty"])
def test_probe_rejects_files_that_are_not_media_with_reasons_in_both_languages(clips, name):
    with pytest.raises(MediaError) as caught:
        probe(clips[name])
    reasons = messages(caught.value.code, caught.value.params)
    assert reasons["en"] and "Traceback" not in reasons["en"]
    assert CJK.search(reasons["zh"])


def test_check_media_rejects_a_too_long_file_naming_its_length_and_the_limit(clips):
    info = probe(clips["landscape"])
    check_media(info)
    with pytest.raises(MediaError) as caught:
        check_media(info, max_seconds=3)
    reasons = messages(caught.value.code, caught.value.params)
    assert reasons["en"] == "the video is 0:04 long; the limit is 0:03"
    assert "0:04" in reasons["zh"] and "0:03" in reasons["zh"]
    with pytest.raises(MediaError) as caught:
        check_media(dataclasses.replace(info, duration_s=1000))
    assert "16:40 long; the limit is 15:00" in messages(caught.value.code,
                                                        caught.value.params)["en"]


def test_check_media_rejects_video_beyond_4k_in_either_orientation(clips):
    info = probe(clips["landscape"])
    check_media(dataclasses.replace(info, width=3840, height=2160))
    check_media(dataclasses.replace(info, width=2160, height=3840))
    for width, height in [(7680, 4320), (4320, 7680), (5120, 1440)]:
        with pytest.raises(MediaError) as caught:
            check_media(dataclasses.replace(info, width=width, height=height))
        for reason in messages(caught.value.code, caught.value.params).values():
            assert f"{width}×{height}" in reason and "4096×2160" in reason


# plan_ladder


def sizes(rungs: list[Rung]) -> list[tuple[str, int, int]]:
    return [(rung.name, rung.width, rung.height) for rung in rungs]


def test_plan_ladder_gives_a_1080p_source_four_rungs(clips):
    rungs = plan_ladder(probe(clips["landscape"]))
    assert sizes(rungs) == [("1080p", 1920, 1080), ("720p", 1280, 720), ("480p", 854, 480),
                            ("360p", 640, 360)]
    assert [rung.video_bitrate for rung in rungs] == [5_000_000, 2_800_000, 1_400_000, 800_000]


def test_plan_ladder_never_upscales_a_720p_source(clips):
    info = dataclasses.replace(probe(clips["landscape"]), width=1280, height=720)
    assert [rung.short_side for rung in plan_ladder(info)] == [720, 480, 360]


@pytest.mark.parametrize("name", ["portrait", "rotated"])
def test_plan_ladder_measures_portrait_footage_on_its_short_side(clips, name):
    rungs = plan_ladder(probe(clips[name]))
    assert sizes(rungs) == [("1080p", 1080, 1920), ("720p", 720, 1280), ("480p", 480, 854),
                            ("360p", 360, 640)]
    assert all(rung.width < rung.height and rung.width % 2 == rung.height % 2 == 0
               for rung in rungs)


def test_plan_ladder_makes_one_rung_at_the_size_of_a_tiny_source(clips):
    info = dataclasses.replace(probe(clips["landscape"]), width=426, height=240)
    assert sizes(plan_ladder(info)) == [("360p", 426, 240)]
    odd = dataclasses.replace(info, width=321, height=241)
    assert sizes(plan_ladder(odd)) == [("360p", 320, 240)]


def test_plan_ladder_keeps_the_detail_of_a_source_between_rungs(clips):
    info = dataclasses.replace(probe(clips["landscape"]), width=1600, height=900)
    assert sizes(plan_ladder(info))[0] == ("1080p", 1600, 900)


# transcode_ladder


def test_ladder_writes_every_playlist_and_segment(ladder):
    out_dir, _, rungs, variants, _ = ladder
    assert [variant.playlist for variant in variants] == [f"{r.name}/index.m3u8" for r in rungs]
    for variant in variants:
        playlist = out_dir / variant.playlist
        assert (playlist.parent / "init.mp4").stat().st_size > 0
        listed = re.findall(r"^seg_\d{5}\.m4s$", playlist.read_text(), re.MULTILINE)
        assert listed == [path.name for path in sorted(playlist.parent.glob("seg_*.m4s"))]
        assert '#EXT-X-MAP:URI="init.mp4"' in playlist.read_text()
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in playlist.read_text()


def test_ladder_encodes_its_top_rung_with_every_partition_and_the_others_faster(ladder):
    """x264 writes its settings into the stream: analyse=<intra>:<inter> partitions."""
    out_dir, _, rungs, variants, _ = ladder
    analyse = [re.search(rb"analyse=(0x[0-9a-f]+:0x[0-9a-f]+)",
                         (out_dir / variant.playlist).with_name("seg_00000.m4s").read_bytes())
               .group(1) for variant in variants]
    assert [rung.is_top for rung in rungs] == [True, False, False]
    assert analyse == [b"0x3:0x113", b"0x3:0x1", b"0x3:0x1"]
    for option, top, lower in (("weightb", b"1", b"0"), ("subme", b"2", b"1")):
        values = [re.search(rb"\b" + option.encode() + rb"=(\d+)", (out_dir / variant.playlist)
                            .with_name("seg_00000.m4s").read_bytes()).group(1)
                  for variant in variants]
        assert values == [top, lower, lower], option


def test_ladder_segments_last_4_seconds_except_the_last(ladder):
    out_dir, _, _, variants, _ = ladder
    for variant in variants:
        durations = extinf(out_dir / variant.playlist)
        assert durations[:-1] == [4.0, 4.0] and 0 < durations[-1] <= 4.0
        assert sum(durations) == pytest.approx(9, abs=0.1)


def test_ladder_keyframes_fall_every_2_seconds_at_the_same_times_in_every_rung(ladder):
    out_dir, _, _, variants, _ = ladder
    times = [keyframe_times(out_dir / variant.playlist) for variant in variants]
    assert times[0] == times[1] == times[-1]
    gaps = [later - earlier for earlier, later in zip(times[0], times[0][1:], strict=False)]
    assert len(gaps) == 4 and all(gap == pytest.approx(2.0, abs=0.01) for gap in gaps)


def test_ladder_encodes_high_profile_h264_and_aac_stereo_48k_at_the_planned_sizes(ladder):
    out_dir, _, rungs, variants, _ = ladder
    assert [(rung.name, rung.width, rung.height) for rung in rungs] == [
        ("720p", 540, 960), ("480p", 480, 854), ("360p", 360, 640)]
    for rung, variant in zip(rungs, variants, strict=False):
        found = streams(out_dir / variant.playlist)
        video, audio = found["video"], found["audio"]
        assert (video["codec_name"], video["profile"], video["pix_fmt"]) == (
            "h264", "High", "yuv420p")
        assert (video["width"], video["height"]) == (rung.width, rung.height)
        assert not video.get("side_data_list")  # upright pixels, no rotation left to apply
        assert (audio["codec_name"], audio["profile"], audio["channels"],
                audio["sample_rate"]) == ("aac", "LC", 2, "48000")


def test_ladder_turns_rotated_footage_as_players_do(ladder, tmp_path):
    out_dir, _, _, variants, _ = ladder
    frame = tmp_path / "frame.png"
    ffmpeg("-i", str(out_dir / variants[-1].playlist), "-ss", "1", "-frames:v", "1",
           str(frame))
    with Image.open(frame) as image:
        rgb = image.convert("RGB")
        # testsrc2's red bar is on the left; turned 90° counterclockwise it is at the bottom.
        bottom = rgb.crop((0, rgb.height * 15 // 16, rgb.width, rgb.height)).resize((1, 1))
        top = rgb.crop((0, 0, rgb.width, rgb.height // 16)).resize((1, 1))
    red, green, blue = bottom.getpixel((0, 0))
    assert red > 150 and green < 100 and blue < 100
    assert top.getpixel((0, 0))[0] < 100  # cyan: no red


def test_ladder_variants_carry_measured_bandwidths(ladder):
    out_dir, _, _, variants, _ = ladder
    for variant in variants:
        directory = (out_dir / variant.playlist).parent
        total_bits = 8 * sum(path.stat().st_size for path in directory.glob("seg_*.m4s"))
        total_s = sum(extinf(out_dir / variant.playlist))
        assert variant.average_bandwidth == pytest.approx(total_bits / total_s, rel=0.001)
        assert variant.bandwidth >= variant.average_bandwidth > 0
    assert variants[0].bandwidth > variants[1].bandwidth > variants[2].bandwidth


def test_master_playlist_lists_each_variant_with_codecs_as_produced(ladder):
    out_dir, info, _, variants, _ = ladder
    text = master_playlist(variants)
    lines = text.splitlines()
    assert lines[:3] == ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    stream_infs = [line for line in lines if line.startswith("#EXT-X-STREAM-INF:")]
    assert len(stream_infs) == len(variants)
    for line, variant in zip(stream_infs, variants, strict=False):
        attributes = dict(re.findall(r'([A-Z-]+)=("[^"]*"|[^,]*)', line.partition(":")[2]))
        assert attributes["BANDWIDTH"] == str(variant.bandwidth)
        assert attributes["AVERAGE-BANDWIDTH"] == str(variant.average_bandwidth)
        assert attributes["RESOLUTION"] == f"{variant.width}x{variant.height}"
        assert attributes["FRAME-RATE"] == "25.000"
        assert lines[lines.index(line) + 1] == variant.playlist
        video = streams(out_dir / variant.playlist)["video"]
        profile_idc = {"High": 0x64, "Main": 0x4D}[video["profile"]]
        expected = f'"avc1.{profile_idc:02x}00{video["level"]:02x},mp4a.40.2"'
        assert attributes["CODECS"] == expected
        assert "SUBTITLES" not in attributes
    assert text.endswith("\n") and "\n\n" not in text


def test_ladder_encodes_the_audio_once_and_muxes_it_into_every_rung(ladder, clips):
    out_dir, info, rungs, variants, _ = ladder
    command = encode_command(clips["ladder"], out_dir, info, {r.name: r for r in rungs})
    assert command.count("-map") == len(rungs) + 1 and "0:a:0" in command
    audio = {packet_hash(out_dir / variant.playlist, "0:a:0") for variant in variants}
    assert len(audio) == 1


def test_ladder_writes_into_a_directory_whose_name_the_tee_muxer_would_split(clips, tmp_path):
    out_dir = tmp_path / "Hall 2: bronzes | 'ding' [draft]"
    info = probe(clips["mpeg4"])
    variants = transcode_ladder(clips["mpeg4"], out_dir, info, plan_ladder(info)[-2:])
    for variant in variants:
        playlist = out_dir / variant.playlist
        listed = re.findall(r"^seg_\d{5}\.m4s$", playlist.read_text(), re.MULTILINE)
        assert listed and all((playlist.parent / name).stat().st_size for name in listed)
    assert sorted(path.name for path in tmp_path.iterdir()) == [out_dir.name]


def test_ladder_encodes_silent_footage_without_an_audio_stream(clips, tmp_path):
    info = probe(clips["portrait"])
    assert info.audio_codec is None
    (variant,) = transcode_ladder(clips["portrait"], tmp_path, info, plan_ladder(info)[-1:])
    found = streams(tmp_path / variant.playlist)
    assert sorted(found) == ["video"] and variant.codecs.startswith("avc1.")
    assert "mp4a" not in variant.codecs and (variant.width, variant.height) == (360, 640)


def test_ladder_reports_rising_progress_ending_at_one(ladder):
    progress = ladder[4]
    assert len(progress) >= 3
    assert progress == sorted(set(progress)) and 0 <= progress[0]
    assert progress[-1] == pytest.approx(1.0, abs=0.02)


# make_first_playable


@pytest.fixture(scope="module")
def mpeg4_preview(clips, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("mpeg4_preview")
    info = probe(clips["mpeg4"])
    cpu_before = children_cpu_s()
    variant = make_first_playable(clips["mpeg4"], out_dir, info)
    return out_dir, variant, children_cpu_s() - cpu_before


def test_first_playable_remuxes_h264_with_aac_without_reencoding(clips, tmp_path,
                                                                 mpeg4_preview):
    source = clips["landscape"]
    info = probe(source)
    cpu_before = children_cpu_s()
    variant = make_first_playable(source, tmp_path, info)
    remux_cpu_s = children_cpu_s() - cpu_before
    playlist = tmp_path / "preview" / "index.m3u8"
    assert variant.playlist == "preview/index.m3u8" and playlist.is_file()
    original, copied = streams(source)["video"], streams(playlist)["video"]
    for key in ("codec_name", "profile", "level", "width", "height"):
        assert copied[key] == original[key]
    assert packet_hash(playlist) == packet_hash(source)  # the very same H.264 packets
    assert (variant.width, variant.height) == (1920, 1080)
    assert variant.codecs.startswith("avc1.42c0") and variant.codecs.endswith(",mp4a.40.2")
    # Much faster than re-encoding, even a smaller picture to 360p.
    assert remux_cpu_s * 4 < mpeg4_preview[2]


def packet_hash(path: Path, stream: str = "0:v:0") -> str:
    result = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", stream, "-c",
                             "copy", "-f", "hash", "-hash", "md5", "-"], check=True,
                            capture_output=True, text=True, timeout=60)
    return result.stdout.strip()


def assert_360p_preview(out_dir: Path, variant: Variant, size: tuple[int, int]) -> None:
    found = streams(out_dir / variant.playlist)
    assert (found["video"]["width"], found["video"]["height"]) == size == (
        variant.width, variant.height)
    assert found["video"]["codec_name"] == "h264" and found["audio"]["codec_name"] == "aac"
    assert extinf(out_dir / variant.playlist)[0] == 4.0
    # ultrafast's own analysis (none), not the ladder's lower-rung partitions
    segment = (out_dir / variant.playlist).with_name("seg_00000.m4s").read_bytes()
    assert b"analyse=0:0" in segment


def test_first_playable_reencodes_mpeg4_part_2_to_360p(mpeg4_preview):
    out_dir, variant, _ = mpeg4_preview
    assert_360p_preview(out_dir, variant, (640, 360))


def test_first_playable_reencodes_rotated_footage_upright_at_360p(clips, tmp_path):
    # Remuxed, the rotation would ride along as a display matrix that MSE players ignore.
    variant = make_first_playable(clips["rotated"], tmp_path, probe(clips["rotated"]))
    assert_360p_preview(tmp_path, variant, (360, 640))


def test_a_quick_first_playable_skips_the_frames_b_frames_nothing_refers_to(tmp_path):
    source = make_clip(tmp_path / "b-frames.mp4", seconds=4, size="640x360", rate=30,
                       extra=("-bf", "2", "-b_strategy", "0"))
    info = probe(source)
    assert info.has_b_frames
    # Over the remux bit rate, as a high-bit-rate camera file is: the re-encode path.
    info = dataclasses.replace(info, bit_rate=REMUX_MAX_BIT_RATE + 1)
    variant = make_first_playable(source, tmp_path / "out", info)
    playlist = tmp_path / "out" / variant.playlist
    found = ffprobe(playlist, "-count_frames", "-show_streams")["streams"]
    video = next(stream for stream in found if stream["codec_type"] == "video")
    audio = next(stream for stream in found if stream["codec_type"] == "audio")
    assert variant.frame_rate == 15.0 and video["avg_frame_rate"] == "15/1"
    assert int(video["nb_read_frames"]) == 60  # 4 s at 15 fps, not 120 frames
    assert audio["codec_name"] == "aac" and audio["profile"] == "LC"  # copied as it was
    assert packet_hash(playlist, "0:a:0") == packet_hash(source, "0:a:0")


def test_the_full_ladder_decodes_every_frame(clips, tmp_path):
    info = probe(clips["landscape"])
    command = encode_command(clips["landscape"], tmp_path, info,
                             {rung.name: rung for rung in plan_ladder(info)})
    assert "skip_frame" not in " ".join(command) and "skip_loop_filter" not in " ".join(command)


# make_poster


def test_poster_is_a_jpeg_under_100_kb_of_the_upright_picture(clips, tmp_path):
    poster = make_poster(clips["rotated"], tmp_path / "poster.jpg", probe(clips["rotated"]))
    assert poster.stat().st_size <= 100_000
    with Image.open(poster) as image:
        assert (image.format, image.size) == ("JPEG", (404, 720))
        image.verify()


def test_poster_lowers_quality_to_fit_a_smaller_budget_and_can_be_webp(clips, tmp_path):
    info = probe(clips["portrait"])
    small = make_poster(clips["portrait"], tmp_path / "small.jpg", info, max_bytes=12_000)
    assert small.stat().st_size <= 12_000
    webp = make_poster(clips["portrait"], tmp_path / "poster.webp", info)
    with Image.open(webp) as image:
        assert (image.format, image.size) == ("WEBP", (404, 720))


# transcode_audio


@pytest.mark.parametrize("name", ["mp3", "wav"])
def test_audio_guide_becomes_audio_only_hls(clips, tmp_path, name):
    variant = transcode_audio(clips[name], tmp_path, probe(clips[name]))
    playlist = tmp_path / "audio" / "index.m3u8"
    assert variant.playlist == "audio/index.m3u8" and variant.is_audio_only
    assert variant.codecs == "mp4a.40.2" and variant.bandwidth >= variant.average_bandwidth > 0
    found = streams(playlist)
    assert set(found) == {"audio"}  # the MP3's cover picture is left out
    assert (found["audio"]["codec_name"], found["audio"]["profile"], found["audio"]["channels"],
            found["audio"]["sample_rate"]) == ("aac", "LC", 2, "48000")
    assert extinf(playlist)[0] == pytest.approx(4.0, abs=0.05)
    stream_inf = master_playlist([variant]).splitlines()[3]
    assert stream_inf.startswith("#EXT-X-STREAM-INF:BANDWIDTH=")
    assert "RESOLUTION" not in stream_inf and 'CODECS="mp4a.40.2"' in stream_inf


# run_ffmpeg


def test_run_ffmpeg_raises_with_the_stderr_tail_when_ffmpeg_fails():
    with pytest.raises(FFmpegError) as caught:
        run_ffmpeg(["-f", "lavfi", "-i", "nullsrc=duration=1", "-vf", "nosuchfilter", "-f",
                    "null", "-"], duration_s=1)
    assert caught.value.returncode != 0
    assert "nosuchfilter" in caught.value.stderr_tail
    assert len(caught.value.stderr_tail.splitlines()) <= 40


def assert_no_ffmpeg_left(marker: str) -> None:
    # No ffmpeg child of ours is left, running or as a zombie: killed and reaped. (Other
    # children, such as a test server, may exist while the whole suite runs.)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
        except (FileNotFoundError, ProcessLookupError):
            continue
        name = fields[0].split("(", 1)[1]
        parent = int(fields[1].split()[1])
        assert not (name == "ffmpeg" and parent == os.getpid()), f"ffmpeg left: {stat}"
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            assert marker.encode() not in cmdline.read_bytes()
        except (FileNotFoundError, ProcessLookupError):
            continue


def test_run_ffmpeg_kills_an_ffmpeg_that_stops_making_progress(tmp_path):
    fifo = tmp_path / "never-written.fifo"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(FFmpegError, match="no progress for 1 s"):
        run_ffmpeg(["-f", "mpegts", "-i", str(fifo), "-f", "null", "-"], duration_s=10,
                   stall_timeout_s=1)
    assert time.monotonic() - started < 10
    assert_no_ffmpeg_left(str(fifo))


def test_run_ffmpeg_kills_an_ffmpeg_that_runs_past_its_time_limit():
    marker = "testsrc=duration=61"
    started = time.monotonic()
    with pytest.raises(FFmpegError, match="longer than 1 s"):
        run_ffmpeg(["-re", "-f", "lavfi", "-i", marker, "-f", "null", "-"], duration_s=61,
                   timeout_s=1)
    assert time.monotonic() - started < 10
    assert_no_ffmpeg_left(marker)


def test_an_exception_from_on_progress_cancels_ffmpeg():
    marker = "testsrc=duration=62"

    def cancel(fraction: float) -> None:
        raise RuntimeError("cancelled")

    with pytest.raises(RuntimeError, match="cancelled"):
        run_ffmpeg(["-re", "-f", "lavfi", "-i", marker, "-f", "null", "-"], duration_s=62,
                   on_progress=cancel)
    assert_no_ffmpeg_left(marker)


# captions


SRT = ("1\r\n00:00:01,000 --> 00:00:03,500\r\n青铜鼎，西周晚期。\r\n\r\n"
       "2\r\n00:00:04,000 --> 00:00:06,250\r\nBronze <i>ding</i>,\r\nlate Western Zhou.\r\n\r\n")


def test_srt_with_bom_and_crlf_becomes_webvtt():
    vtt = captions_to_webvtt(b"\xef\xbb\xbf" + SRT.encode())
    assert vtt.splitlines()[:2] == ["WEBVTT", "X-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000"]
    assert "00:00:01.000 --> 00:00:03.500\n青铜鼎，西周晚期。\n" in vtt
    assert "00:00:04.000 --> 00:00:06.250\nBronze <i>ding</i>,\nlate Western Zhou.\n" in vtt
    assert "\r" not in vtt and "\ufeff" not in vtt
    timings = [line for line in vtt.splitlines() if "-->" in line]
    assert len(timings) == 2 and all("," not in line for line in timings)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-16"])
def test_chinese_srt_from_windows_becomes_the_same_webvtt(encoding):
    assert captions_to_webvtt(SRT.encode(encoding)) == captions_to_webvtt(SRT.encode())


def test_webvtt_passes_through_with_one_timestamp_map():
    source = ("WEBVTT\n\nNOTE from the curator\n\n"
              "intro\n00:01.000 --> 00:02.500 align:start line:0\n<v Guide>欢迎</v>\n")
    vtt = captions_to_webvtt(source.encode())
    assert "intro\n00:00:01.000 --> 00:00:02.500 align:start line:0\n<v Guide>欢迎</v>" in vtt
    assert "NOTE from the curator" in vtt
    assert vtt.count("X-TIMESTAMP-MAP") == 1
    assert captions_to_webvtt(vtt.encode()) == vtt
    assert "X-TIMESTAMP-MAP" not in captions_to_webvtt(source.encode(), timestamp_map=False)


@pytest.mark.parametrize("data", [
    b"",
    b"\r\n  \r\n",
    random.Random(3).randbytes(2048),
    b"PK\x03\x04 not captions at all",
    "just a line of text\n另一行\n".encode(),
    b"WEBVTT\n\n",
    b"1\n00:00:0x,000 --> 00:00:02,000\nbad time\n",
    b"1\n00:00:05,000 --> 00:00:02,000\nends before it starts\n",
], ids=["empty", "blank", "binary", "zip", "prose", "no-cues", "bad-time", "backwards"])
def test_junk_captions_raise_media_error_in_both_languages(data):
    with pytest.raises(MediaError) as caught:
        captions_to_webvtt(data)
    reasons = messages(caught.value.code, caught.value.params)
    assert reasons["en"] and CJK.search(reasons["zh"])


# playlists


def test_subtitle_playlist_is_one_segment_holding_the_whole_webvtt():
    text = subtitle_playlist("captions/zh.vtt", 301.28)
    assert text.splitlines() == [
        "#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:302", "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD", "#EXTINF:301.280,", "captions/zh.vtt", "#EXT-X-ENDLIST"]


def test_master_playlist_offers_subtitles_to_every_variant_highest_first():
    low = Variant("360p", "360p/index.m3u8", 640, 360, 900_000, 700_000,
                  "avc1.64001e,mp4a.40.2", 29.97, False)
    high = dataclasses.replace(low, name="720p", playlist="720p/index.m3u8", width=1280,
                               height=720, bandwidth=3_000_000, average_bandwidth=2_000_000)
    text = master_playlist([low, high], [SubtitleTrack("zh", "中文", "subs/zh.m3u8"),
                                         SubtitleTrack("en", "English", "subs/en.m3u8")])
    lines = text.splitlines()
    assert lines[3] == ('#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="中文",'
                        'LANGUAGE="zh",DEFAULT=NO,AUTOSELECT=YES,URI="subs/zh.m3u8"')
    assert lines[4].startswith('#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English"')
    assert lines[5] == ('#EXT-X-STREAM-INF:BANDWIDTH=3000000,AVERAGE-BANDWIDTH=2000000,'
                        'RESOLUTION=1280x720,CODECS="avc1.64001e,mp4a.40.2",FRAME-RATE=29.970,'
                        'SUBTITLES="subs"')
    assert lines[6:] == ["720p/index.m3u8", lines[7], "360p/index.m3u8"]
    with pytest.raises(ValueError):
        master_playlist([low], [SubtitleTrack("en", 'Say "hi"', "en.m3u8")])



# HDR phone footage

def picture_stats(path: Path) -> tuple[float, float]:
    """Mean luma and mean saturation (0-255) of a file's first frame as 8-bit video."""
    result = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-i", str(path), "-frames:v", "1", "-vf",
         "format=yuv420p,signalstats,metadata=print", "-f", "null", "-"],
        capture_output=True, text=True, check=True, timeout=60)
    return tuple(float(re.findall(rf"lavfi\.signalstats\.{key}=([\d.]+)", result.stderr)[0])
                 for key in ("YAVG", "SATAVG"))


@pytest.fixture(scope="module")
def sdr_and_hlg(tmp_path_factory) -> tuple[Path, Path]:
    """A test picture in SDR BT.709, and the same picture taken to what an iPhone records by
    default: 10-bit HEVC in BT.2020 with the HLG transfer, SDR white at HDR reference white."""
    root = tmp_path_factory.mktemp("hdr")
    sdr, hlg = root / "sdr.mp4", root / "hlg.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=2", "-vf",
           "format=yuv420p", "-c:v", "libx264", "-qp", "0", str(sdr))
    to_hlg = ("setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv,"
              "zscale=t=linear:npl=203,format=gbrpf32le,zscale=p=2020,"
              "zscale=t=arib-std-b67:m=2020_ncl:r=tv:npl=203,format=yuv420p10le")
    tags = "colorprim=bt2020:transfer=arib-std-b67:colormatrix=bt2020nc"
    ffmpeg("-i", str(sdr), "-vf", to_hlg, "-c:v", "libx265", "-preset", "ultrafast",
           "-x265-params", f"{tags}:log-level=error", "-color_primaries", "bt2020",
           "-color_trc", "arib-std-b67", "-colorspace", "bt2020nc", "-tag:v", "hvc1", str(hlg))
    return sdr, hlg


def test_hdr_footage_is_tone_mapped_to_tagged_sdr(sdr_and_hlg, tmp_path):
    sdr, hlg = sdr_and_hlg
    info = probe(hlg)
    assert info.is_hdr and info.color_transfer == "arib-std-b67"
    assert not probe(sdr).is_hdr

    [rung] = plan_ladder(info)
    assert any("tonemap=" in argument
               for argument in encode_command(hlg, tmp_path, info, {"360p": rung}))
    transcode_ladder(hlg, tmp_path, info, [rung])
    video = streams(tmp_path / "360p" / "index.m3u8")["video"]
    assert (video["pix_fmt"], video["color_transfer"], video["color_primaries"],
            video["color_space"]) == ("yuv420p", "bt709", "bt709", "bt709")
    # Read as it is, HLG keeps its brightness but loses most of its colour; the rendition
    # has both close to the SDR picture it was made from.
    luma, saturation = picture_stats(sdr)
    naive_luma, naive_saturation = picture_stats(hlg)
    mapped_luma, mapped_saturation = picture_stats(tmp_path / "360p" / "index.m3u8")
    assert naive_saturation < 0.5 * saturation
    assert mapped_saturation > 0.8 * saturation and abs(mapped_luma - luma) < 0.12 * luma

    # The poster too: about as colourful as the SDR clip's own.
    def poster_saturation(src: Path) -> float:
        poster = make_poster(src, tmp_path / f"{src.stem}.jpg", probe(src))
        with Image.open(poster) as picture:
            assert picture.size == (640, 360)
            return ImageStat.Stat(picture.convert("HSV").getchannel("S")).mean[0]

    assert poster_saturation(hlg) > 0.8 * poster_saturation(sdr)

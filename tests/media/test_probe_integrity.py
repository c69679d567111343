"""The probe tells a file cut short from a whole one, on real files made by ffmpeg."""

from __future__ import annotations

import subprocess

import pytest

from motpub.avtools.errors import MediaError
from motpub.avtools.probe import probe
from tests.factories import make_clip
from motpub.media.services.messages import messages


def test_a_video_whose_sound_runs_on_after_the_picture_is_whole(tmp_path):
    clip = tmp_path / "long-sound.mp4"  # 2 s of picture, 5 s of sound
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error",
                    "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=2",
                    "-f", "lavfi", "-i", "sine=frequency=440:duration=5",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", str(clip)], check=True, timeout=120)
    assert probe(clip).duration_s == pytest.approx(5, abs=0.1)


@pytest.mark.parametrize(("name", "extra"), [
    ("faststart.mp4", ("-movflags", "+faststart")),
    ("clip.mkv", ()),
])
def test_a_file_cut_short_is_refused_as_incomplete(tmp_path, name, extra):
    whole = make_clip(tmp_path / name, seconds=4, extra=extra)
    assert probe(whole).duration_s == pytest.approx(4, abs=0.1)
    data = whole.read_bytes()
    cut = tmp_path / f"cut-{name}"
    cut.write_bytes(data[:len(data) // 2])
    with pytest.raises(MediaError) as caught:
        probe(cut)
    reasons = messages(caught.value.code, caught.value.params)
    assert "incomplete" in reasons["en"] and "不完整" in reasons["zh"]

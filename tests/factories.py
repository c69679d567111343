"""Factories: the users, tokens, items, codes, videos, clips and visits tests are made of."""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import func, select

from motpub.accounts.models import Role, User
from motpub.analytics.models.scan import Scan
from motpub.analytics.services.rollups import GRACE, hour_of, roll_up_visits, watermark
from motpub.accounts.services import _hasher, create_token
from tests.support import PASSWORD

# Users and tokens --------------------------------------------------------------------------


@functools.cache
def _password_hash() -> str:
    # Argon2 is slow on purpose (a quarter of a second here): hashed once per run, not per
    # user. The studio's login still verifies it for real.
    return _hasher.hash(PASSWORD)


def add_user(app, email: str, role: str) -> str:
    """Create a user with PASSWORD and return an API token for it."""
    with app.extensions["motpub"].session_factory() as session:
        user = User(email=email.lower(), password_hash=_password_hash(), role=Role(role))
        session.add(user)
        session.flush()
        token = create_token(session, user)
        session.commit()
    return token


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


class Api:
    """The JSON API as a client sees it, with a token."""

    def __init__(self, client, token: str):
        self.client = client
        self.headers = bearer(token)

    def __getattr__(self, method: str):
        def call(path: str, **kwargs):
            headers = {**self.headers, **kwargs.pop("headers", {})}
            return getattr(self.client, method)(f"/api/v1{path}", headers=headers, **kwargs)

        return call

    def create_item(self, **fields) -> dict:
        payload = {"title": {"zh": "青铜鼎", "en": "Bronze ding"}, **fields}
        response = self.post("/items", json=payload)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def published_item_with_code(self, **fields) -> tuple[dict, str]:
        item = self.create_item(**fields)
        assert self.post(f"/items/{item['id']}/publish").status_code == 200
        code = self.post(f"/items/{item['id']}/codes", json={"label": "Hall 1"}).get_json()
        return item, code["code"]


# Videos ------------------------------------------------------------------------------------

_clips: dict[tuple, Path] = {}


def make_clip(path: Path, *, seconds: float = 3, size: str = "320x180", rate: int = 25,
              audio: bool = True, extra: tuple[str, ...] = ()) -> Path:
    """A real H.264/AAC MP4 made by ffmpeg: moving test pattern and a tone.

    Encoded once per run for each set of arguments, then copied: the same clip is asked for
    on SQLite and on PostgreSQL, and by several modules. The copy is the caller's to change.
    """
    key = (seconds, size, rate, audio, tuple(extra), path.suffix)
    made = _clips.get(key)
    if made is None or not made.exists():
        made = _clip_dir() / f"{len(_clips)}{path.suffix}"
        _encode_clip(made, seconds=seconds, size=size, rate=rate, audio=audio, extra=extra)
        _clips[key] = made
    shutil.copyfile(made, path)
    return path


@functools.cache
def _clip_dir() -> Path:
    directory = Path(tempfile.mkdtemp(prefix="motpub-clips-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return directory


def _encode_clip(path: Path, *, seconds: float, size: str, rate: int, audio: bool,
                 extra: tuple[str, ...]) -> None:
    args = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
                 "-c:a", "aac", "-b:a", "96k"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", *extra,
             "-shortest", str(path)]
    subprocess.run(args, check=True, timeout=120)


def upload(api, client, item_id: int, data: bytes, *, language="zh",
           content_type="video/mp4", filename="clip.mp4") -> dict:
    """Create a video of the item and upload `data` in its parts; the plan, with etags."""
    created = api.post(f"/items/{item_id}/videos", json={
        "language": language, "filename": filename, "size_bytes": len(data),
        "content_type": content_type})
    assert created.status_code == 201, created.get_json()
    plan = created.get_json()
    size = plan["upload"]["part_size_bytes"]
    etags = []
    for part in plan["upload"]["parts"]:
        chunk = data[(part["number"] - 1) * size: part["number"] * size]
        url = urlsplit(part["url"])
        response = client.put(f"{url.path}?{url.query}", data=chunk)
        assert response.status_code == 200, response.get_json()
        etags.append({"number": part["number"], "etag": response.headers["ETag"]})
    plan["etags"] = etags
    return plan


def complete(api, plan) -> dict:
    path = urlsplit(plan["upload"]["complete_url"]).path.removeprefix("/api/v1")
    response = api.post(path, json={"parts": plan["etags"]})
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def run_jobs(app) -> list[str]:
    """Run what the queue holds, in this process, as a worker would."""
    queue = app.extensions["motpub"].queue
    outcomes = []
    while (task := queue.dequeue()) is not None:
        outcomes.append(queue.execute(task))
    return outcomes


# Images ------------------------------------------------------------------------------------

_IMAGE_TYPES = {"avif": "image/avif", "webp": "image/webp", "jpeg": "image/jpeg"}


def photo(width: int, height: int, *, hue: int = 0):
    """A Pillow picture that compresses like a photograph: smooth shading and a few shapes."""
    from PIL import Image as Picture, ImageDraw, ImageFilter

    small = Picture.radial_gradient("L").resize((width, height))
    rgb = Picture.merge("RGB", (small, small.rotate(90 + hue), Picture.linear_gradient(
        "L").resize((width, height))))
    draw = ImageDraw.Draw(rgb)
    for n in range(6):
        x, y = (n * 37 + hue) % 100 * width // 100, (n * 61 + hue) % 100 * height // 100
        draw.ellipse((x, y, x + width // 5, y + height // 4),
                     fill=((n * 40 + hue) % 256, 120, (255 - n * 30) % 256))
    return rgb.filter(ImageFilter.GaussianBlur(max(1, width // 400)))


def add_image(app, *, item_id: int | None = None, exhibition_id: int | None = None,
              width: int = 1600, height: int = 1200, position: int = 0,
              alt: dict | None = None, caption: dict | None = None, credit: str = "",
              status: str = "ready", widths=(320, 640, 960, 1280, 1920),
              tiles: bool = False, quality: int = 60, picture=None) -> int:
    """A ready image as the worker leaves one: derivatives in AVIF, WebP and JPEG at each of
    `widths` up to the picture's own, a placeholder, a colour, and with `tiles` a Deep Zoom
    pyramid (pyvips dzsave: 254 px tiles, overlap 1, JPEG), all in the app's storage.
    `picture` (a Pillow image of width x height) replaces the generated one."""
    import base64
    import io

    from motpub.media.models.image import Image, ImageStatus

    runtime = app.extensions["motpub"]
    picture = picture or photo(width, height, hue=position * 47 % 100)
    with runtime.session_factory() as session:
        image = Image(item_id=item_id, exhibition_id=exhibition_id, position=position,
                      status=ImageStatus(status), filename=f"photo-{position}.jpg",
                      content_type="image/jpeg", size_bytes=1, source_key="sources/x",
                      part_size_bytes=1, alt=alt or {}, caption=caption or {}, credit=credit)
        session.add(image)
        session.flush()
        version = f"v{image.id}"
        derivatives = []
        if status == "ready":
            for name in ("avif", "webp", "jpeg"):
                for wide in [w for w in widths if w <= width] or [width]:
                    high = round(height * wide / width)
                    buffer = io.BytesIO()
                    picture.resize((wide, high)).save(buffer, name.upper(), quality=quality)
                    key = f"images/{image.id}/{version}/{wide}.{'jpg' if name == 'jpeg' else name}"
                    runtime.storage.put_bytes(key, buffer.getvalue(),
                                              content_type=_IMAGE_TYPES[name])
                    derivatives.append({"width": wide, "height": high, "format": name,
                                        "key": key, "bytes": len(buffer.getvalue())})
            tiny = io.BytesIO()
            picture.resize((16, max(1, round(16 * height / width)))).save(tiny, "WEBP", quality=30)
            image.placeholder = "data:image/webp;base64," + base64.b64encode(
                tiny.getvalue()).decode()
            image.color = "#{:02x}{:02x}{:02x}".format(*picture.resize((1, 1)).getpixel((0, 0)))
            image.width, image.height, image.version = width, height, version
            image.derivatives = derivatives
            if tiles:
                image.tiles_key = _store_tiles(runtime.storage, picture,
                                               f"images/{image.id}/{version}/tiles")
        session.commit()
        return image.id


def _store_tiles(storage, picture, prefix: str) -> str:
    import pyvips

    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "source.png"
        picture.save(source)
        pyvips.Image.new_from_file(str(source)).dzsave(
            str(Path(folder) / "tiles"), tile_size=254, overlap=1, suffix=".jpg[Q=70]")
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file() and path.name != "source.png":
                key = f"{prefix.rsplit('/', 1)[0]}/{path.relative_to(folder)}"
                storage.put_file(key, path, content_type="application/xml"
                                 if path.suffix == ".dzi" else "image/jpeg")
    return f"{prefix}.dzi"


# Visits ------------------------------------------------------------------------------------

IOS_WECHAT = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
              "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) "
              "NetType/4G Language/zh_CN")
ANDROID = ("Mozilla/5.0 (Linux; Android 13; SM-G991B) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/120.0 Mobile Safari/537.36")
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of May 2026 in Shanghai's venue time, in UTC."""
    return dt.datetime(2026, 5, day, hour, minute, tzinfo=SHANGHAI).astimezone(dt.UTC)


# How far the hourly rollups have got when the figures are read: not at all, up to 12:00 on
# 18 May (the rest is the raw tail), everything, and everything with the raw rows deleted.
STAGES = ("raw", "partly rolled up", "rolled up", "raw rows deleted")
LATER = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def bring_to(app, stage: str) -> None:
    """Run the rollup job as far as the stage says, and check it got there."""
    factory = app.extensions["motpub"].session_factory
    if stage == "partly rolled up":
        roll_up_visits(factory, now=at(18, 12) + GRACE, keep_days=3650)
        expected = hour_of(at(18, 12))
    elif stage == "rolled up":
        roll_up_visits(factory, now=LATER, keep_days=3650)
        expected = hour_of(LATER - GRACE)
    elif stage == "raw rows deleted":
        roll_up_visits(factory, now=LATER, keep_days=2)
        expected = hour_of(LATER - GRACE)
    else:
        return
    with factory() as session:
        assert watermark(session) == expected
        remaining = session.scalar(select(func.count(Scan.id)))
    assert (remaining == 0) == (stage == "raw rows deleted")

"""Pictures as visitor pages show them: an image's derivatives as `<picture>` sources, its
alt text and caption in the visitor's language, its placeholder and its zoom."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from motpub.media.models.image import Image, ImageStatus

if TYPE_CHECKING:
    from motpub.items.services.pages import Field

    # A localized text in the page's language along its fallback chain (pages.pick).
    Pick = Callable[[dict[str, str]], Field | None]

# The browser picks a source by its type, in this order; JPEG is the <img>'s own.
_FORMATS = (("avif", "image/avif"), ("webp", "image/webp"))
# The <img>'s src, for browsers without srcset: a JPEG about as wide as the page's column.
_FALLBACK_WIDTH = 640

# `sizes` for the picture's place in the page. The column is 40rem wide, and the hero and
# gallery reach its edges on a phone. A phone at a device pixel ratio of 3 would fetch a
# picture three times the screen's width, which a slow network cannot bring in time and an
# eye hardly tells from less: past 2.5x the picture is asked for as if about half the screen
# wide (a 390 px phone gets the 640 px hero: 1.6 pixels of the picture to each point; the
# 960 px one took 2.3 s on Slow 4G, bench/picture_page.py). Tap to zoom for the detail.
HERO_SIZES = "(min-width: 40rem) 40rem, (min-resolution: 2.5dppx) 54vw, 100vw"
GALLERY_SIZES = "(min-width: 40rem) 32rem, (min-resolution: 2.5dppx) 54vw, 80vw"
ARTICLE_SIZES = "(min-width: 40rem) 38rem, (min-resolution: 2.5dppx) 54vw, calc(100vw - 2rem)"
THUMBNAIL_SIZES = "6rem"


@dataclass(frozen=True, slots=True)
class Source:
    type: str
    srcset: str


@dataclass(frozen=True, slots=True)
class Picture:
    """A ready image in one language: what `html` writes."""

    image_id: int
    width: int
    height: int
    sources: tuple[Source, ...]
    src: str
    srcset: str
    placeholder: str | None
    alt: Field | None
    caption: Field | None
    credit: str
    zoom_url: str | None  # the Deep Zoom descriptor, for a picture with tiles

    def html(self, sizes: str, *, is_hero: bool = False, written_alt: str = "",
             language: str = "", zoom_label: str | None = None) -> Markup:
        """`<picture>` with a source per modern format and a JPEG `<img>`, its width and
        height given (nothing moves when it arrives), over its placeholder: a tiny picture
        in the same grid cell, so a colour shows at once without a style attribute. The
        hero is fetched first and at once; every other picture when it nears the screen.
        A picture with tiles is a button that opens the zoom (static/zoom.js)."""
        alt = self.alt.text if self.alt else written_alt
        alt_lang = (f' lang="{escape(self.alt.language)}"'
                    if self.alt and self.alt.language != language else "")
        # On a slow network the browser would fetch lazy pictures a screen or two ahead at
        # once, sharing the bandwidth the hero needs: they ask to come after it.
        loading = ' fetchpriority="high" decoding="async"' if is_hero else (
            ' loading="lazy" fetchpriority="low" decoding="async"')
        size = f' width="{self.width}" height="{self.height}"'
        sources = "".join(f'<source type="{s.type}" srcset="{escape(s.srcset)}" '
                          f'sizes="{escape(sizes)}">' for s in self.sources)
        placeholder = (f'<img class="placeholder" src="{escape(self.placeholder)}" alt="" '
                       f'aria-hidden="true"{size}>' if self.placeholder else "")
        inner = (f'{placeholder}<picture>{sources}'
                 f'<img src="{escape(self.src)}" srcset="{escape(self.srcset)}" '
                 f'sizes="{escape(sizes)}" alt="{escape(alt)}"{alt_lang}{size}{loading}>'
                 f'</picture>')
        if self.zoom_url and zoom_label:
            return Markup(f'<button type="button" class="pic zoom" '
                          f'data-dzi="{escape(self.zoom_url)}">{inner}'
                          f'<span class="zoomhint">{escape(zoom_label)}</span></button>')
        return Markup(f'<span class="pic">{inner}</span>')


def ready_images(images: Iterable[Image]) -> list[Image]:
    """The images a visitor sees, in their order: ready, with derivatives."""
    return [image for image in images
            if image.is_ready and image.derivatives and image.width and image.height]


def make_picture(image: Image, pick: Pick, media_url: Callable[[str], str]) -> Picture:
    def srcset(derivatives: list[dict[str, Any]]) -> str:
        return ", ".join(f"{media_url(d['key'])} {d['width']}w" for d in derivatives)

    by_format = {name: sorted((d for d in image.derivatives if d["format"] == name),
                              key=lambda d: d["width"]) for name in ("avif", "webp", "jpeg")}
    jpegs = by_format["jpeg"] or by_format["webp"] or by_format["avif"]
    fallback = min(jpegs, key=lambda d: abs(d["width"] - _FALLBACK_WIDTH))
    assert image.width is not None and image.height is not None
    return Picture(
        image_id=image.id, width=image.width, height=image.height,
        sources=tuple(Source(mime, srcset(by_format[name])) for name, mime in _FORMATS
                      if by_format[name] and by_format[name] is not jpegs),
        src=media_url(fallback["key"]), srcset=srcset(jpegs),
        placeholder=image.placeholder if _is_data_uri(image.placeholder) else None,
        alt=pick(image.alt), caption=pick(image.caption),
        credit=image.credit or "",
        zoom_url=media_url(image.tiles_key) if image.tiles_key else None,
    )


def _is_data_uri(value: str | None) -> bool:
    return value is not None and value.startswith("data:image/") and '"' not in value


def missing_alt(images: Iterable[Image], language: str) -> list[Image]:
    """The images shown, or about to be, that have no alt text in `language`: those ready
    and those still being processed (an upload not finished, or one that failed, shows
    nothing)."""
    shown = {ImageStatus.QUEUED, ImageStatus.PROCESSING, ImageStatus.READY}
    return [image for image in images
            if image.status in shown and not (image.alt.get(language) or "").strip()]

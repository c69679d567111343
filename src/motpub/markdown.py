"""Markdown to safe HTML. markdown-it-py renders, nh3 decides what survives."""

from __future__ import annotations

import html as html_entities
import re
from collections.abc import Callable

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})

_ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "img", "li", "ol", "p",
    "pre", "strong", "ul",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}}


# A picture of the item by reference, `![alt](image:12)`: an <img> as nh3 writes it, alone in
# its paragraph (a figure) or inside text.
_IMAGE_REFERENCE = re.compile(r'(<p>)?<img ([^>]*\bsrc="image:(\d+)"[^>]*)>(</p>)?')
_ALT = re.compile(r'\balt="([^"]*)"')

# What a reference becomes: the trusted HTML of the image with this id, given the alt text
# written in the Markdown and whether it stands alone (a <figure>) or inside text; None
# when there is no such picture to show.
Figure = Callable[[int, str, bool], str | None]


def render_markdown(text: str, figure: Figure | None = None) -> str:
    """Render an editor's Markdown; scripts, event handlers and javascript: links are dropped.

    Inline HTML is let through markdown-it and then cut down by nh3 to the allowed tags.
    An image whose source is `image:<id>` is written by `figure` after the sanitizer, or
    dropped: never a broken image.

    Headings are shifted down one level: the page's only h1 is the item's title.
    """
    html = _md.render(text or "")
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "image"},
        attribute_filter=_image_scheme_on_images_only,
        link_rel="noopener noreferrer nofollow",
    )
    return _IMAGE_REFERENCE.sub(lambda match: _reference(match, figure), clean)


def _image_scheme_on_images_only(tag: str, attribute: str, value: str) -> str | None:
    if value.startswith("image:") and (tag, attribute) != ("img", "src"):
        return None
    return value


def _reference(match: re.Match[str], figure: Figure | None) -> str:
    opening, attributes, image_id, closing = match.groups()
    is_block = bool(opening and closing)
    alt = _ALT.search(attributes)
    written_alt = html_entities.unescape(alt.group(1)) if alt else ""
    shown = figure(int(image_id), written_alt, is_block) if figure else None
    if is_block:
        return shown or ""
    return (opening or "") + (shown or "") + (closing or "")

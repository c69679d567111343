"""Markdown to safe HTML. markdown-it-py renders, nh3 decides what survives."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})

_ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "img", "li", "ol", "p",
    "pre", "strong", "ul",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}}


def render_markdown(text: str) -> str:
    """Render an editor's Markdown; scripts, event handlers and javascript: links are dropped.

    Inline HTML is let through markdown-it and then cut down by nh3 to the allowed tags.

    Headings are shifted down one level: the page's only h1 is the item's title.
    """
    html = _md.render(text or "")
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )

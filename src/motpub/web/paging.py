"""The page number a studio list is asked for, and the links to its neighbours."""

from __future__ import annotations

from flask import request, url_for

from motpub.paging import PAGE_SIZE, Page, page_of
from motpub.web.context import db

__all__ = ["PAGE_SIZE", "Page", "page_link", "requested_page"]


def requested_page(param: str = "page", query=None, *, size: int = PAGE_SIZE) -> Page:
    """The page `?<param>=` names of the query's rows; anything but a whole number is 1."""
    raw = request.args.get(param, "")
    number = int(raw) if raw.isdigit() and len(raw) < 10 else 1
    return page_of(db(), query, number=number, size=size)


def page_link(param: str, number: int, anchor: str = "") -> str:
    """This page's URL with another page number, other arguments kept."""
    args = {**request.args.to_dict(), param: number}
    return url_for(request.endpoint, **(request.view_args or {}), **args) + anchor

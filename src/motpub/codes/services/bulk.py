"""Bulk work: items to and from CSV with one column per language, codes in batches."""

from __future__ import annotations

import csv
import io

from pydantic import ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from motpub.codes.models.code import Code
from motpub.items.models import Item, ItemStatus
from motpub.codes.services.codes import issue_code
from motpub.errors import Invalid, ServiceError
from motpub.inputs import Id, Input
from motpub.items.services.items import (
    create_item, ItemInput, publish_item, unpublish_item, update_item)
from motpub.inputs import parse
from motpub.spreadsheet import neutralize_cell, restore_cell
from motpub.i18n import content_languages

FIELDS = ("title", "summary", "body")
MAX_ROWS = 5000
MAX_CODES_PER_ITEM = 50
# One request once made 25,000 codes in 48 s on one web thread; a printer's batch is far less.
MAX_CODES_PER_BATCH = 1000


def columns() -> tuple[str, ...]:
    """The CSV's columns: one a localized field and content language (title_zh, ...)."""
    return ("slug", "status", "default_language",
            *(f"{field}_{lang}" for field in FIELDS for lang in content_languages()), "links")


class CodeBatchInput(Input):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "description": f"At most {MAX_CODES_PER_BATCH} codes in all (item_ids × count); "
                       "more is refused with 422 and nothing is created."})
    item_ids: list[Id] = Field(min_length=1, max_length=500)
    count: int = Field(default=1, ge=1, le=MAX_CODES_PER_ITEM)
    label: str = Field(default="", max_length=200)


class ImportRejected(Invalid):
    """Some rows are wrong; `problems` lists (row, message), rows counted as a spreadsheet
    shows them, the header being row 1."""

    def __init__(self, problems: list[tuple[int, str]]):
        super().__init__(f"{len(problems)} problem(s); nothing was imported")
        self.problems = problems


def export_items_csv(session: Session) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns())
    for item in session.scalars(select(Item).order_by(Item.id)):
        writer.writerow([neutralize_cell(cell) for cell in (
            item.slug, item.status.value, item.default_language,
            *(getattr(item, field).get(lang, "")
              for field in FIELDS for lang in content_languages()),
            "\n".join(" | ".join([link["url"], *(link["title"].get(lang, "")
                                                 for lang in content_languages())])
                      for link in item.links),
        )])
    return buffer.getvalue()


def _payload(row: dict[str, str]) -> dict:
    payload: dict = {field: {lang: row.get(f"{field}_{lang}") or "" for lang in content_languages()}
                     for field in FIELDS}
    if row.get("slug"):
        payload["slug"] = row["slug"]
    if row.get("default_language"):
        payload["default_language"] = row["default_language"].strip()
    if "links" in row:
        payload["links"] = []
        for line in (row.get("links") or "").splitlines():
            if line.strip():
                url, *titles = (part.strip() for part in line.split("|"))
                titles += [""] * (len(content_languages()) - len(titles))
                title = dict(zip(content_languages(), titles, strict=False))
                payload["links"].append({"url": url, "title": title})
    return payload


def _read_rows(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    header = [name.strip() for name in reader.fieldnames or []]
    _refuse_unknown_languages(header)
    unknown = [name for name in header if name not in columns()]
    if not header or unknown or not any(name.startswith("title_") for name in header):
        raise ServiceError(
            "the first row must name the columns, among: " + ", ".join(columns())
            + (f" (unknown: {', '.join(unknown)})" if unknown else ""))
    reader.fieldnames = header
    # Cells our export quoted against formula injection come back as they were written.
    rows = [{name: restore_cell(value) if isinstance(value, str) else value
             for name, value in row.items()} for row in reader]
    if len(rows) > MAX_ROWS:
        raise Invalid(f"at most {MAX_ROWS} rows at a time, got {len(rows)}")
    return rows


def _refuse_unknown_languages(header: list[str]) -> None:
    """A column of a localized field in a language that is not a content language
    (title_de where de is not configured) is refused by name, with the columns it could be."""
    wrong = [name for name in header if name.partition("_")[0] in FIELDS and name.partition("_")[2]
             and name not in columns()]
    if wrong:
        raise Invalid(
            f"{', '.join(wrong)}: not a column of a content language; the content languages "
            f"are {', '.join(content_languages())} (columns such as "
            f"{', '.join(f'title_{lang}' for lang in content_languages())})", field="file")


def _row_problems(row: dict, number: int, seen: dict[str, int]) -> list[str]:
    """What is wrong with a row beyond what the item's own validation says."""
    if None in row:
        return ["more cells than columns"]
    reasons = []
    status = (row.get("status") or "").strip()
    if status and status not in (ItemStatus.DRAFT, ItemStatus.PUBLISHED):
        reasons.append(f"status must be draft or published, got {status!r}")
    for line, text in enumerate((row.get("links") or "").splitlines(), start=1):
        if text.count("|") > len(content_languages()):
            reasons.append(f"links: line {line} has more titles than there are content "
                           f"languages ({', '.join(content_languages())})")
    slug = (row.get("slug") or "").strip().lower()
    if slug in seen:
        reasons.append(f"slug {slug!r} is also on row {seen[slug]}")
    elif slug:
        seen[slug] = number
    return reasons


def import_items_csv(session: Session, text: str) -> tuple[list[Item], list[Item]]:
    """Create items of new slugs and update those of known ones; all rows or none.

    Returns (created, updated). Raises ImportRejected listing every bad row.
    """
    rows = _read_rows(text)
    problems: list[tuple[int, str]] = []
    parsed = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        reasons = _row_problems(row, number, seen)
        try:
            data = parse(ItemInput, _payload(row)) if None not in row else None
        except Invalid as error:
            reasons.append(error.message)
        if reasons:
            problems.append((number, "; ".join(reasons)))
        else:
            parsed.append((number, data, (row.get("status") or "").strip()))
    if problems:
        raise ImportRejected(problems)
    known = {item.slug: item for item in session.scalars(
        select(Item).where(Item.slug.in_(list(seen))))} if seen else {}
    created, updated = [], []
    for _number, data, status in parsed:
        if data.slug in known:
            item = update_item(session, known[data.slug], data)
            updated.append(item)
        else:
            item = create_item(session, data)
            created.append(item)
        if status == ItemStatus.PUBLISHED:
            publish_item(session, item)
        elif status == ItemStatus.DRAFT:
            unpublish_item(session, item)
    return created, updated


def issue_codes_batch(session: Session, item_ids: list[int], *, count: int = 1,
                      label: str = "") -> list[Code]:
    """`count` new codes for each item, in the order given; unknown ids change nothing."""
    if not 1 <= count <= MAX_CODES_PER_ITEM:
        raise Invalid(f"count must be between 1 and {MAX_CODES_PER_ITEM}", field="count")
    if len(item_ids) * count > MAX_CODES_PER_BATCH:
        raise Invalid(f"at most {MAX_CODES_PER_BATCH} codes per request, asked for "
                      f"{len(item_ids) * count} ({len(item_ids)} items × {count}); "
                      "split the batch", field="count")
    items = {item.id: item for item in session.scalars(
        select(Item).where(Item.id.in_(item_ids)))} if item_ids else {}
    unknown = [item_id for item_id in item_ids if item_id not in items]
    if unknown:
        raise Invalid(f"no item with id {', '.join(map(str, unknown))}", field="item_ids")
    return [issue_code(session, items[item_id], label=label)
            for item_id in item_ids for _ in range(count)]

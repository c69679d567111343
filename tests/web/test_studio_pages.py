"""Studio lists come 50 rows a page, with links to the neighbouring pages."""

from __future__ import annotations

import re

import pytest

from tests.factories import add_user
from tests.support import login


@pytest.fixture
def editor(app, client):
    add_user(app, "studio-editor@example.org", "editor")
    assert login(client, "studio-editor@example.org").status_code == 302
    return client


def codes_on(html: str) -> list[str]:
    return re.findall(r'<span class="code">([^<]+)</span>', html)


def test_item_page_shows_its_codes_fifty_a_page_with_links_between_pages(api, editor):
    item = api.create_item()
    issued = api.post("/codes/batch", json={"item_ids": [item["id"]] * 3, "count": 40})
    all_codes = [code["code"] for code in issued.get_json()["codes"]]
    first = editor.get(f"/studio/items/{item['id']}")
    assert first.status_code == 200
    assert codes_on(first.text) == all_codes[:50]
    assert "codes_page=2#codes" in first.text and 'rel="prev"' not in first.text
    assert "Page 1 of 3" in first.text
    last = editor.get(f"/studio/items/{item['id']}?codes_page=3")
    assert codes_on(last.text) == all_codes[100:]
    assert "codes_page=2#codes" in last.text and 'rel="next"' not in last.text
    # A page past the end shows the last one; nonsense shows the first.
    assert codes_on(editor.get(f"/studio/items/{item['id']}?codes_page=99").text) \
        == all_codes[100:]
    assert codes_on(editor.get(f"/studio/items/{item['id']}?codes_page=x").text) \
        == all_codes[:50]


def test_items_and_exhibitions_lists_are_paged(api, editor):
    for number in range(55):
        api.create_item(slug=f"item-{number:02d}")
        if number < 52:
            api.post("/exhibitions", json={"slug": f"show-{number:02d}",
                                           "title": {"en": f"Show {number}"}})
    items = editor.get("/studio/")
    assert items.text.count('class="code">item-') == 50 and "item-54" in items.text
    assert "item-04" not in items.text and "?page=2" in items.text
    second = editor.get("/studio/?page=2")
    assert second.text.count('class="code">item-') == 5 and "item-04" in second.text
    shows = editor.get("/studio/exhibitions")
    assert shows.text.count('class="code">show-') == 50 and "?page=2" in shows.text
    assert editor.get("/studio/exhibitions?page=2").text.count('class="code">show-') == 2


def test_placement_history_is_paged_newest_first(api, editor):
    _item, code = api.published_item_with_code()
    for number in range(55):
        assert api.patch(f"/codes/{code}", json={"label": f"Case {number}"}).status_code == 200
    page = editor.get(f"/studio/codes/{code}")
    assert page.status_code == 200
    labels = re.findall(r"<td>(Case \d+|Hall 1)</td>", page.text)
    assert labels[:2] == ["Case 54", "Case 53"] and len(labels) == 50
    older = editor.get(f"/studio/codes/{code}?page=2")
    assert re.findall(r"<td>(Case \d+|Hall 1)</td>", older.text)[-1] == "Hall 1"

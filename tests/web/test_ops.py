"""The ops dashboard: who may open it, the figures it shows for a known mix, its charts."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select, update

from motpub.codes.models.code import Code
from motpub.analytics.models.scan import Scan
from motpub.analytics import charts
from tests.factories import add_user, ANDROID, at, bring_to, IOS_WECHAT, STAGES
from tests.support import login

SVG = "{http://www.w3.org/2000/svg}"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def svgs(html: str) -> list[ET.Element]:
    """Every inline SVG of the page, parsed: a malformed one fails here."""
    return [ET.fromstring(markup) for markup in re.findall(r"<svg\b.*?</svg>", html, re.S)]


def kpi(html: str, key: str) -> str:
    match = re.search(rf'id="kpi-{key}">.*?class="kpi-value">([^<]*)<', html, re.S)
    assert match, f"no KPI card {key}"
    return match.group(1)


@pytest.fixture
def analyst(app, client):
    add_user(app, "analyst@example.org", "analyst")
    assert login(client, "analyst@example.org").status_code == 302
    return client


@pytest.fixture
def scans(app, api):
    """Two items: four human scans and two bot scans on 18 May, one human scan on 11 May."""
    # Visitors get a client of their own: their addresses and agents would end the analyst's
    # session (Flask-Login's strong session protection).
    client = app.test_client()
    item_a, code_a = api.published_item_with_code(slug="ding")
    item_b, code_b = api.published_item_with_code(slug="cong")
    visits = [(f"/s/{code_a}?lang=zh", IOS_WECHAT, "10.0.0.1", at(18, 10)),
              (f"/s/{code_a}?lang=zh", IOS_WECHAT, "10.0.0.1", at(18, 11)),
              (f"/s/{code_a}?lang=en", ANDROID, "10.0.0.2", at(18, 12)),
              (f"/s/{code_b}?lang=en", ANDROID, "10.0.0.3", at(18, 23, 30)),
              (f"/s/{code_a}", "facebookexternalhit/1.1", "10.0.0.9", at(18, 13)),
              (f"/s/{code_a}", "facebookexternalhit/1.1", "10.0.0.9", at(18, 14)),
              (f"/s/{code_b}?lang=zh", IOS_WECHAT, "10.0.0.4", at(11, 9))]
    for path, agent, address, _when in visits:
        client.get(path, headers={"User-Agent": agent}, environ_base={"REMOTE_ADDR": address})
    runtime = app.extensions["motpub"]
    runtime.scan_recorder.flush()
    with runtime.session_factory() as session, session.begin():
        scan_ids = session.scalars(select(Scan.id).order_by(Scan.id)).all()
        for scan_id, (_p, _a, _ip, when) in zip(scan_ids, visits, strict=True):
            session.execute(update(Scan).where(Scan.id == scan_id).values(scanned_at=when))
    return item_a, item_b


WEEK = {"from": "2026-05-12", "to": "2026-05-18"}


# --- who may open it ---------------------------------------------------------------------


def test_dashboard_needs_login(client):
    response = client.get("/ops/")
    assert response.status_code == 302 and "/studio/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_analysts_and_admins_open_the_dashboard(app, client, role):
    add_user(app, f"{role}@example.org", role)
    login(client, f"{role}@example.org")
    page = client.get("/ops/")
    assert page.status_code == 200
    assert 'href="/ops/"' in page.text  # the nav link


def test_editors_may_not_open_the_dashboard(app, client):
    add_user(app, "editor@example.org", "editor")
    login(client, "editor@example.org")
    assert client.get("/ops/").status_code == 403
    assert 'href="/ops/"' not in client.get("/studio/").text


def test_analyst_lands_on_the_dashboard_after_login(app, client):
    add_user(app, "analyst@example.org", "analyst")
    response = login(client, "analyst@example.org")
    assert response.status_code == 302 and response.headers["Location"] == "/ops/"


# --- the figures -------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_dashboard_shows_the_known_figures(app, analyst, scans, stage):
    item_a, item_b = scans
    bring_to(app, stage)
    page = analyst.get("/ops/", query_string=WEEK)
    assert page.status_code == 200
    assert kpi(page.text, "scans") == "4" and kpi(page.text, "visitors") == "3"
    assert kpi(page.text, "bot_share") == "33.3 %"
    assert kpi(page.text, "play_rate") == "0.0 %"
    assert kpi(page.text, "median_watch_s") == "–"  # no engagement at all
    # 4 scans against 1 in the week before.
    assert re.search(r'id="kpi-scans">.*?▲ 300 %', page.text, re.S)

    drawn = svgs(page.text)
    assert len(drawn) >= 8  # time, funnel, hours, four splits, a sparkline per item
    for svg in drawn:
        assert svg.get("role") == "img" and svg.find(f"{SVG}title").text
    titles = [svg.find(f"{SVG}title").text for svg in drawn]
    assert "Scans over time" in titles and "Scans by hour of day" in titles
    # Seven days, one point each: a daily line.
    [line] = [svg for svg in drawn if "line-chart" in svg.get("class")]
    assert len(line.findall(f"{SVG}circle")) == 7

    top = page.text[page.text.index('class="top-items"'):]
    assert re.search(rf'item_id={item_a["id"]}">青铜鼎</a></td>\s*<td class="num">3</td>'
                     r'<td class="num">2</td>', top)
    placements = page.text[page.text.index('class="top-items top-placements"'):]
    # A placement shows as its printed code and label, and narrows the page to that code.
    with app.extensions["motpub"].session_factory() as session:
        code_a, code_b = (session.scalar(select(Code.code).where(Code.item_id == item["id"]))
                          for item in (item_a, item_b))
    assert re.findall(r'<tr>\s*<td><a href="[^"]*code=([a-z0-9]+)">([a-z0-9]+) Hall 1</a>',
                      placements) == [(code_a, code_a), (code_b, code_b)]

    # 18 May was a Monday: scans at 10, 11, 12 and 23 o'clock, one each.
    [heat] = [svg for svg in drawn if "heatmap" in svg.get("class")]
    cells = {rect.find(f"{SVG}title").text: float(rect.get("fill-opacity"))
             for rect in heat.iter(f"{SVG}rect")}
    assert len(cells) == 7 * 24
    assert sorted(name for name, shade in cells.items() if shade == 1) == [
        "Mon 10:00: 1", "Mon 11:00: 1", "Mon 12:00: 1", "Mon 23:00: 1"]
    assert all(shade < 0.1 for name, shade in cells.items() if not name.endswith(": 1"))


def test_clicking_an_item_drills_down(analyst, scans):
    item_a, _item_b = scans
    page = analyst.get("/ops/", query_string={**WEEK, "item_id": item_a["id"]})
    assert kpi(page.text, "scans") == "3"
    assert f'<option value="{item_a["id"]}" selected>' in page.text
    assert "Show all items" in page.text


def test_short_range_is_drawn_per_hour(analyst, scans):
    page = analyst.get("/ops/", query_string={"from": "2026-05-18", "to": "2026-05-18"})
    [line] = [svg for svg in svgs(page.text) if "line-chart" in svg.get("class")]
    assert len(line.findall(f"{SVG}circle")) == 24


def test_csv_links_work_with_the_session(analyst, scans):
    page = analyst.get("/ops/", query_string=WEEK)
    links = re.findall(r'href="(/api/v1/analytics/export\.csv[^"]*)"', page.text)
    assert len(links) >= 7
    link = next(link for link in links if "by=language" in link).replace("&amp;", "&")
    assert "from=2026-05-12" in link and "to=2026-05-18" in link
    exported = analyst.get(link)
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert "zh,2,1" in exported.text and "en,2,2" in exported.text


def test_bad_filters_fall_back_to_the_defaults(analyst):
    page = analyst.get("/ops/", query_string={"from": "18 May", "item_id": ""})
    assert page.status_code == 200
    assert "showing the last 7 days" in page.text


def test_dashboard_in_chinese(analyst, scans):
    page = analyst.get("/ops/", query_string=WEEK, headers=ZH)
    assert '<html lang="zh">' in page.text
    for text in ("扫码数据", "扫码次数", "独立访客", "播放率", "完播率", "机器人占比", "热门展品",
                 ">数据<", "扫码时段分布", "周一", "热门点位"):
        assert text in page.text, text
    for text in (">Scans<", "Unique visitors", "Top items", "Scans over time"):
        assert text not in page.text, text


def test_empty_period_shows_empty_charts(analyst):
    page = analyst.get("/ops/", query_string={"from": "2020-01-01", "to": "2020-01-31"})
    assert page.status_code == 200
    assert "No scans in this period." in page.text
    assert all(svg.get("role") == "img" for svg in svgs(page.text))


# --- charts ------------------------------------------------------------------------------


def test_bar_widths_are_proportional():
    svg = ET.fromstring(charts.bar_chart([("zh", 4), ("en", 2), ("fr", 1)], title="Lang",
                                         empty="none"))
    widths = [float(rect.get("width")) for rect in svg.iter(f"{SVG}rect")]
    assert widths[0] == pytest.approx(2 * widths[1]) == pytest.approx(4 * widths[2])
    assert svg.get("role") == "img" and svg.find(f"{SVG}title").text == "Lang"


@pytest.mark.parametrize("draw", [
    lambda: charts.bar_chart([], title="T", empty="Nothing yet"),
    lambda: charts.bar_chart([("a", 0)], title="T", empty="Nothing yet"),
    lambda: charts.column_chart([], title="T", empty="Nothing yet"),
    lambda: charts.line_chart([("a", 0), ("b", 0)], title="T", empty="Nothing yet"),
])
def test_empty_data_renders_a_message(draw):
    svg = ET.fromstring(draw())
    assert svg.find(f"{SVG}text").text == "Nothing yet"
    assert svg.find(f"{SVG}title").text == "T"


def test_labels_are_escaped():
    markup = charts.bar_chart([('<b>"x" & y</b>', 1)], title="a < b", empty="-")
    svg = ET.fromstring(markup)
    assert "<b>" not in markup
    assert [text.text for text in svg.iter(f"{SVG}text")][0] == '<b>"x" & y</b>'


def test_line_chart_puts_the_peak_at_the_top():
    svg = ET.fromstring(charts.line_chart([("a", 1), ("b", 5), ("c", 0)], title="T", empty="-"))
    heights = [float(dot.get("cy")) for dot in svg.iter(f"{SVG}circle")]
    assert heights[1] == min(heights) and heights[2] == max(heights)


def test_columns_and_sparkline_are_well_formed():
    columns = ET.fromstring(charts.column_chart([("00", 2), ("01", 1)], title="T", empty="-"))
    heights = [float(rect.get("height")) for rect in columns.iter(f"{SVG}rect")]
    assert heights[0] == pytest.approx(2 * heights[1])
    for values in ([], [3], [0, 0], [1, 4, 2]):
        spark = ET.fromstring(charts.sparkline(values, title="S"))
        assert spark.find(f"{SVG}polyline") is not None


def test_a_single_moment_is_still_a_line():
    svg = ET.fromstring(charts.line_chart([("a", 3)], title="T", empty="-"))
    assert len(svg.find(f"{SVG}polyline").get("points").split()) == 2

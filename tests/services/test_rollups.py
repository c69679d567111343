"""The rollup job: idempotent, safe with two workers at once, catches late rows, keeps raw
rows until they are rolled up, and never changes a figure."""

from __future__ import annotations

import datetime as dt
import random
import statistics
import threading

import pytest
from sqlalchemy import delete, func, insert, select

from motpub.codes.models.code import Code
from motpub.analytics.models.rollup import (
    CodeHourRollup, DailyEngagementRollup, DailyVisitorRollup, EngagementRollup, ItemHourRollup,
    RollupWatermark, VisitorRollup, VisitRollup)
from motpub.analytics.models.engagement import Engagement
from motpub.analytics.models.scan import Scan, View
from motpub.analytics.services import reports as analytics
from motpub.analytics.services.rollups import (
    GRACE, delete_rolled_events, hour_of, roll_up, roll_up_visits, watermark)

START = dt.datetime(2026, 3, 20, tzinfo=dt.UTC)  # Europe moves its clocks on 29 March
NOW = dt.datetime(2026, 4, 20, 12, 2, tzinfo=dt.UTC)


@pytest.fixture
def factory(app):
    return app.extensions["motpub"].session_factory


@pytest.fixture
def mix(app, api, factory):
    """A month of random scans, views and beacons over two items, seeded so it repeats."""
    codes = [api.published_item_with_code(slug=slug)[1] for slug in ("ding", "cong")]
    with factory() as session, session.begin():
        pairs = session.execute(select(Code.id, Code.item_id)
                                .where(Code.code.in_(codes))).all()
        generate(session, pairs, random.Random(4), START, NOW, 1500)
    return pairs


def generate(session, pairs, rng, start, end, count: int) -> None:
    span = (end - start).total_seconds()

    def moment():
        return start + dt.timedelta(seconds=rng.random() * span)

    def visit(item_id: int, when: dt.datetime):
        # As in production, a visitor's hash is of one UTC day and one item, and stands for
        # one device and address; the language may change from scan to scan.
        visitor = f"v{when.date()}-{item_id}-{rng.randrange(12)}"
        device = random.Random(visitor)
        return {"language": rng.choice(["zh", "en"]), "language_source": "header",
                "device_class": device.choice(["mobile", "tablet"]),
                "os": device.choice(["iOS", ""]), "browser": "b",
                "in_app": device.choice(["wechat", ""]), "referrer_host": "",
                "country": device.choice(["CN", ""]), "is_bot": rng.random() < 0.1,
                "visitor_hash": visitor, "exhibition_id": rng.choice([None, 3])}

    scans, views, beacons = [], [], []
    for _n in range(count):
        code_id, item_id = rng.choice(pairs)
        when = moment()
        scans.append({**visit(item_id, when), "code_id": code_id, "item_id": item_id,
                      "scanned_at": when})
        if rng.random() < 0.3:
            when = moment()
            views.append({**visit(item_id, when), "item_id": item_id, "viewed_at": when})
        if rng.random() < 0.3:
            session_id, when = f"s{rng.randrange(400)}", moment()
            # A page is of one exhibition; a visitor may switch its language.
            exhibition_id = random.Random(session_id).choice([None, 3])
            for kind, value in (("video_start", 800), ("video_progress", rng.choice([50, 100])),
                                ("watch_time", rng.randrange(1, 90))):
                beacons.append({"item_id": item_id, "page_session": session_id, "kind": kind,
                                "value": value, "language": rng.choice(["zh", "zh", "en"]),
                                "exhibition_id": exhibition_id, "created_at": when})
    for table, rows in ((Scan, scans), (View, views), (Engagement, beacons)):
        if rows:
            session.execute(insert(table), rows)


VIEWS = [("summary", None), *(("timeseries", interval) for interval in analytics.INTERVALS),
         *(("breakdown", by) for by in analytics.BREAKDOWNS)]


def figures(factory, **args) -> dict:
    """Every figure the API serves for these filters."""
    filters = analytics.parse_filters({"from": "2026-03-20", "to": "2026-04-20", **args},
                                      timezone=args.get("tz", "Asia/Shanghai"))
    with factory() as session:
        out = {}
        for view, option in VIEWS:
            function = getattr(analytics, view)
            out[view, option] = function(session, filters, *([option] if option else []))
        # What only /ops shows: scans by hour and weekday-hour, items' and placements'
        # scans over time.
        for by in ("item", "code", "hour", "weekday_hour"):
            out["scans_by", by] = analytics.scans_by(session, filters, by)
        for by in ("item", "code"):
            keys = [row["key"] for row in out["breakdown", by]]
            for interval in analytics.INTERVALS:
                out["scan_series", by, interval] = analytics.scan_series(
                    session, filters, interval, by, keys)
        return out


def rollup_rows(factory) -> list:
    with factory() as session:
        return [sorted((tuple(getattr(row, column.name) for column in model.__table__.columns
                              if column.name != "id") for row in session.scalars(select(model))),
                       key=repr)
                for model in (VisitRollup, VisitorRollup, EngagementRollup, DailyVisitorRollup,
                              ItemHourRollup, CodeHourRollup, DailyEngagementRollup)]


def test_rolled_up_figures_equal_the_raw_ones_in_every_zone(factory, mix):
    zones = ("Asia/Shanghai", "Europe/Berlin", "Asia/Kathmandu")  # +08, daylight saving, +05:45
    before = {zone: figures(factory, tz=zone) for zone in zones}
    item = str(mix[0][1])
    with factory() as session:
        code = session.scalar(select(Code.code).where(Code.id == mix[0][0]))
    filtered = ({"item_id": item}, {"item_id": item, "language": "zh"}, {"language": "en"},
                {"exhibition_id": "3"}, {"language": "zh", "exhibition_id": "3"},
                {"item_id": item, "exhibition_id": "3", "tz": "Europe/Berlin"},
                {"code": code}, {"code": code, "language": "en"})
    before_filtered = [figures(factory, **args) for args in filtered]
    roll_up_visits(factory, now=NOW, keep_days=3650)
    for zone in zones:
        assert figures(factory, tz=zone) == before[zone], zone
    for args, expected in zip(filtered, before_filtered, strict=True):
        assert figures(factory, **args) == expected, args
    # The summary and the breakdowns but by hour read whole UTC days from the daily rows:
    # one per day, item and value, for the 31 whole days before NOW's; the time series and
    # hour charts from the item hour rows of those days.
    with factory() as session:
        model = DailyVisitorRollup
        days = session.execute(select(model.day, model.item_id, model.dimension, model.value,
                                      model.language, model.exhibition_id)).all()
        day = ItemHourRollup.hour // 24
        hours = session.execute(select(day, ItemHourRollup.item_id,
                                       func.sum(ItemHourRollup.first_visitors),
                                       func.sum(ItemHourRollup.last_visitors))
                                .where(ItemHourRollup.language == "",
                                       ItemHourRollup.exhibition_id.is_(None))
                                .group_by(day, ItemHourRollup.item_id)).all()
        per_day = dict(session.execute(
            select(model.day * 1000 + model.item_id, model.scan_visitors)
            .where(model.dimension == "", model.language == "",
                   model.exhibition_id.is_(None))).all())
    assert len(days) == len(set(days)) and len({row[0] for row in days}) == 31
    assert {row[2] for row in days} == {"", "device_class", "os", "browser", "in_app",
                                        "country", "language", "code_id"}
    # Kept for all rows, and for each language, the exhibition, and both.
    assert {row[4:] for row in days} == {("", None), ("zh", None), ("en", None), ("", 3),
                                         ("zh", 3), ("en", 3)}
    assert len({row[0] for row in hours}) == 31
    # Each visitor of a day scanned first in one hour and last in one hour.
    assert all(firsts == lasts == per_day[day * 1000 + item_id]
               for day, item_id, firsts, lasts in hours)
    assert before["Asia/Shanghai"]["summary", None]["scans"] > 1000


def test_the_job_builds_the_daily_rows_of_past_days_after_an_upgrade(factory, mix):
    """As after a migration that resets the rollups of whole days: hourly rows of a month,
    no daily rows and no days watermark. The next run builds every past day, a week per
    transaction."""
    roll_up_visits(factory, now=NOW, keep_days=3650)
    before = figures(factory)
    rows = rollup_rows(factory)
    with factory() as session, session.begin():
        session.execute(delete(DailyVisitorRollup))
        session.execute(delete(ItemHourRollup))
        session.execute(delete(CodeHourRollup))
        session.execute(delete(DailyEngagementRollup))
        session.execute(delete(RollupWatermark).where(RollupWatermark.name == "days"))
    assert figures(factory) == before  # read from the hourly rows meanwhile
    with factory() as session, session.begin():
        assert roll_up(session, now=NOW) > 0  # a week of days; three more weeks are left
    roll_up_visits(factory, now=NOW, keep_days=3650)
    assert rollup_rows(factory) == rows and figures(factory) == before


def test_the_previous_period_of_a_summary_is_that_period_summed_alone(factory, mix):
    roll_up_visits(factory, now=NOW - dt.timedelta(days=3), keep_days=3650)  # and a raw tail
    filters = analytics.parse_filters({"from": "2026-04-06", "to": "2026-04-19"})
    with factory() as session:
        summary = analytics.summary(session, filters)
        alone = analytics.summary(session, filters.previous())
    del alone["previous"]
    assert summary["previous"] == alone and alone["scans"] > 100


def test_running_the_job_twice_changes_nothing(factory, mix):
    roll_up_visits(factory, now=NOW, keep_days=3650)
    rows = rollup_rows(factory)
    assert all(rows)
    roll_up_visits(factory, now=NOW, keep_days=3650)
    assert rollup_rows(factory) == rows


def test_two_workers_at_once_roll_each_hour_once(factory, mix):
    expected = figures(factory)
    barrier, errors = threading.Barrier(2), []

    def run():
        try:
            barrier.wait()
            roll_up_visits(factory, now=NOW, keep_days=3650)
        except Exception as error:  # the assertion below shows it
            errors.append(error)

    threads = [threading.Thread(target=run) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with factory() as session:
        assert watermark(session) == hour_of(NOW - GRACE)
        assert session.scalar(select(func.sum(VisitRollup.scans))) == rolled_scans(session)
    assert figures(factory) == expected


def rolled_scans(session) -> int:
    """Raw scans before the watermark: what the rollups must count."""
    until = dt.datetime.fromtimestamp(watermark(session) * 3600, dt.UTC)
    return session.scalar(select(func.count(Scan.id)).where(Scan.scanned_at < until))


def test_a_row_written_late_is_rolled_up_by_the_next_run(factory, mix):
    roll_up_visits(factory, now=NOW, keep_days=3650)
    late = NOW - dt.timedelta(minutes=70)  # in an hour the last run already rolled up
    with factory() as session, session.begin():
        generate(session, mix, random.Random(9), late, late + dt.timedelta(minutes=1), 3)
    roll_up_visits(factory, now=NOW + dt.timedelta(minutes=5), keep_days=3650)
    with factory() as session:
        assert session.scalar(select(func.sum(VisitRollup.scans))) == rolled_scans(session)
        assert session.scalar(select(func.sum(VisitRollup.scans)).where(
            VisitRollup.hour == hour_of(late))) >= 3


def test_old_raw_rows_are_deleted_only_once_rolled_up(factory, mix):
    with factory() as session, session.begin():
        assert delete_rolled_events(session, now=NOW, keep_days=7) == 0  # nothing rolled yet
        # Ten days to roll up: a week per call, and the rest on the second.
        assert roll_up(session, now=START + dt.timedelta(days=10)) > 0
        assert roll_up(session, now=START + dt.timedelta(days=10)) == 0
    expected = figures(factory)
    with factory() as session, session.begin():
        delete_rolled_events(session, now=NOW, keep_days=7)
    with factory() as session:
        oldest = session.scalar(select(func.min(Scan.scanned_at)))
        # Deleted up to what is rolled up (less the hours rolled again), not up to 7 days.
        assert START + dt.timedelta(days=9) < oldest < START + dt.timedelta(days=10)
    assert figures(factory) == expected
    roll_up_visits(factory, now=NOW, keep_days=7)
    with factory() as session:
        oldest = session.scalar(select(func.min(Scan.scanned_at)))
        assert oldest >= NOW - dt.timedelta(days=7)
        assert session.scalar(select(func.min(View.viewed_at))) >= NOW - dt.timedelta(days=7)
    assert figures(factory) == expected


def test_median_watch_time_is_the_middle_of_the_page_sessions_watch_times(factory, mix):
    """The median of each page session's largest watch time, whether the sessions are odd
    or even in number, before and after the rollup."""
    def expected() -> float:
        with factory() as session:
            rows = session.execute(select(Engagement.page_session, Engagement.value)
                                   .where(Engagement.kind == "watch_time")).all()
        largest: dict[str, float] = {}
        for page_session, value in rows:
            largest[page_session] = max(value, largest.get(page_session, value))
        return round(statistics.median(largest.values()), 1)

    for extra in ("odd-or-even", "the-other-parity"):
        assert figures(factory)["summary", None]["median_watch_s"] == expected()
        roll_up_visits(factory, now=NOW + dt.timedelta(hours=2), keep_days=3650)
        assert figures(factory)["summary", None]["median_watch_s"] == expected()
        with factory() as session, session.begin():
            item_id = mix[0][1]
            session.execute(insert(Engagement), [{
                "item_id": item_id, "page_session": extra, "kind": "watch_time",
                # after the watermark, before the range ends: in the raw tail
                "value": 89.5, "language": "zh", "created_at": NOW + dt.timedelta(hours=3)}])


def test_a_page_session_across_a_utc_midnight_is_counted_once(app, api, factory):
    """A page open across a UTC midnight, left in the background for hours: the day before
    is already in daily rows when the session's next beacon arrives. Counted once, with its
    largest watch time, while that beacon is in the raw tail and after the next run builds
    the day again."""
    code = api.published_item_with_code(slug="nacht")[1]
    day = dt.datetime(2026, 4, 10, tzinfo=dt.UTC)
    with factory() as session, session.begin():
        item_id = session.scalar(select(Code.item_id).where(Code.code == code))

        def beacon(page_session, kind, value, moment):
            session.execute(insert(Engagement), [{
                "item_id": item_id, "page_session": page_session, "kind": kind,
                "value": value, "language": "en", "created_at": moment}])

        for page_session, minutes, watched in (("owl", 23 * 60 + 50, 10), ("lark", 600, 30)):
            beacon(page_session, "video_start", 900, day + dt.timedelta(minutes=minutes))
            beacon(page_session, "watch_time", watched, day + dt.timedelta(minutes=minutes + 5))
    roll_up_visits(factory, now=day + dt.timedelta(hours=29, minutes=30), keep_days=3650)
    with factory() as session, session.begin():
        beacon("owl", "watch_time", 40, day + dt.timedelta(hours=29, minutes=40))

    def engagement() -> tuple[int, float]:
        filters = analytics.parse_filters({"from": "2026-04-08", "to": "2026-04-11",
                                           "tz": "UTC"})
        with factory() as session:
            summary = analytics.summary(session, filters)
        return summary["plays"], summary["median_watch_s"]

    def session_rows() -> list:
        with factory() as session:
            return session.scalars(select(DailyEngagementRollup.page_session)
                                   .where(DailyEngagementRollup.page_session.is_not(None),
                                          DailyEngagementRollup.language == "")).all()

    assert session_rows() == []  # the day was built before the owl's last beacon came
    assert engagement() == (2, 35.0)  # owl 40, lark 30
    roll_up_visits(factory, now=day + dt.timedelta(hours=30, minutes=10), keep_days=3650)
    assert session_rows() == ["owl"]
    assert engagement() == (2, 35.0)

#!/usr/bin/env python3
"""Analytics reads as data grows: every dashboard query at 100 k, 1 M and 5 M events.

For each database and size the script makes a fresh, migrated database (a temporary
PostgreSQL database, a temporary SQLite file; both removed at the end), adds 200 published
items with 2 to 5 codes each, and bulk-loads events (COPY on PostgreSQL, executemany in one
transaction on SQLite; in time order, as the app appends them) spread over the last 90 days:

- 72 % scans, 8 % views of /i/<slug>, 20 % engagement beacons (a playing page session sends
  a start, progress beacons and its watch time in tenths of a second);
- venue opening hours 09:00-18:00 Asia/Shanghai with a midday peak, weekends 1.6x busier;
- item popularity Zipf-like (rank^-0.8), one main code per item and a few minor ones;
- 70 % zh, 88 % phones, 55 % in WeChat, 5 % bots, visitors who scan several times a day.

It then runs the periodic rollup job (timed), leaving the current hour as raw tail, and
times each dashboard query --runs times in-process (a fresh session per call, as a request
has): summary (with its previous period), timeseries per hour/day/week, every breakdown,
the weekday-hour heatmap, and the whole /ops page rendered through the Flask test client.
Filters are the dashboard's default, the last 7 days (--runs runs per query), and also the
full 90 days (a quarter as many runs, at least 5; the /ops page likewise). --filter adds
the dashboard's other filters to every query, e.g. --filter language=zh.

    .venv/bin/python bench/analytics_read.py --sizes 100k,1M,5M --runs 20

Raw numbers go to bench/out/ (gitignored); medians and p95 print as markdown tables.
To time changed code on the same data, load once and time again:

    .venv/bin/python bench/analytics_read.py --databases postgresql --sizes 5M --days 7 \
        --queries summary --keep-database
    .venv/bin/python bench/analytics_read.py --databases postgresql --sizes 5M --days 7 \
        --queries summary --database-url postgresql://.../motpub_bench_...

(drop the kept database afterwards, or delete the kept SQLite file in bench/out/: either is
1 to 2 GB at 5 M).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
OUT_DIR = ROOT / "bench" / "out"
PG_BASE = os.environ.get("MOTPUB_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
ITEMS = 200
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
BREAKDOWNS = ("item", "code", "language", "device", "os", "browser", "in_app", "country",
              "hour", "weekday_hour")
VISIT_COLUMNS = ("item_id", "language", "language_source", "device_class", "os", "browser",
                 "in_app", "referrer_host", "country", "is_bot", "visitor_hash",
                 "exhibition_id")


def log(message: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def parse_size(text: str) -> int:
    text = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * factor)


# ----------------------------------------------------------------------------- data

class Mix:
    """Draws events with the distributions described above."""

    def __init__(self, rng: random.Random, codes: dict[int, list[int]], now: dt.datetime):
        self.rng, self.codes, self.now = rng, codes, now
        self.items = sorted(codes)
        self.item_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(self.items))]
        self.days = [(now - dt.timedelta(days=back)).astimezone(SHANGHAI).date()
                     for back in range(90)]
        self.day_weights = [1.6 if day.weekday() >= 5 else 1.0 for day in self.days]
        self.hours = list(range(9, 18))
        self.hour_weights = [3, 5, 7, 8, 6, 7, 8, 6, 4]

    def moment(self) -> dt.datetime:
        rng = self.rng
        day = rng.choices(self.days, self.day_weights)[0]
        hour = rng.choices(self.hours, self.hour_weights)[0]
        local = dt.datetime(day.year, day.month, day.day, hour, rng.randrange(60),
                            rng.randrange(60), rng.randrange(1_000_000), tzinfo=SHANGHAI)
        moment = local.astimezone(dt.UTC)
        return moment if moment < self.now else self.now - dt.timedelta(seconds=rng.random() * 3000)

    def visit(self, item_id: int, moment: dt.datetime) -> tuple:
        rng = self.rng
        is_bot = rng.random() < 0.05
        device = "bot" if is_bot else rng.choices(["mobile", "tablet", "desktop"], [93, 5, 2])[0]
        is_ios = rng.random() < 0.55
        in_app = rng.choices(["wechat", "", "alipay", "qq", "douyin", "weibo"],
                             [55, 30, 5, 4, 3, 3])[0]
        visitor = rng.randrange(400)  # a few hundred visitors per item and day
        day = moment.toordinal()
        return (item_id, "zh" if rng.random() < 0.7 else "en", "header", device,
                "iOS" if is_ios else "Android", "Mobile Safari" if is_ios else "Chrome Mobile",
                in_app, "", rng.choices(["CN", "", "HK", "US"], [90, 5, 3, 2])[0], is_bot,
                f"{(day * 1_000_003 + item_id * 7919 + visitor) % 16**32:032x}",
                rng.choice([None, None, 1, 2, 3]))

    def events(self, count: int):
        """Yields ("scan" | "view" | "engagement", row) until `count` events."""
        rng, made = self.rng, 0
        while made < count:
            item_id = rng.choices(self.items, self.item_weights)[0]
            moment, kind = self.moment(), rng.random()
            if kind < 0.72:
                codes = self.codes[item_id]
                code_id = rng.choices(codes, [8, 3, 2, 1, 1][:len(codes)])[0]
                yield "scan", (code_id, *self.visit(item_id, moment), moment)
                made += 1
            elif kind < 0.80:
                yield "view", (*self.visit(item_id, moment), moment)
                made += 1
            else:
                session_id = secrets.token_hex(8)
                language = "zh" if rng.random() < 0.7 else "en"
                yield "engagement", (item_id, session_id, "video_start", 600 + rng.random() * 900,
                                     language, moment)
                reached = rng.choices([25, 50, 75, 100], [3, 3, 2, 4])[0]
                for step in range(25, reached + 1, 25):
                    yield "engagement", (item_id, session_id, "video_progress", step, language,
                                         moment + dt.timedelta(seconds=step))
                # Seconds of a 5-minute video, to a tenth as the page sends them: past the
                # last quarter reached, short of the next one.
                watched = round(3 * (reached + rng.random() * (25 if reached < 100 else 10)), 1)
                yield "engagement", (item_id, session_id, "watch_time", watched, language,
                                     moment + dt.timedelta(seconds=reached + 5))
                made += 2 + reached // 25


COLUMNS = {"scan": ("code_id", *VISIT_COLUMNS, "scanned_at"),
           "view": (*VISIT_COLUMNS, "viewed_at"),
           "engagement": ("item_id", "page_session", "kind", "value", "language", "created_at")}


TIME_COLUMNS = {"scan": "scanned_at", "view": "viewed_at", "engagement": "created_at"}


def _scan_extras() -> tuple[tuple, tuple]:
    """Columns of `scan` without a default in the database that this script does not draw."""
    from motpub.analytics.models.scan import Scan

    return (("is_orphan",), (False,)) if "is_orphan" in Scan.__table__.c else ((), ())


def seed_items(session_factory) -> dict[int, list[int]]:
    from motpub.codes.models.code import Code
    from motpub.items.models import Item, ItemStatus

    rng = random.Random(7)
    with session_factory() as session, session.begin():
        items = [Item(slug=f"item-{n}", status=ItemStatus.PUBLISHED,
                      title={"zh": f"展品 {n}", "en": f"Exhibit {n}"},
                      published_at=dt.datetime.now(dt.UTC)) for n in range(ITEMS)]
        session.add_all(items)
        session.flush()
        codes = [Code(code=secrets.token_hex(4), item_id=item.id, label=f"Hall {n % 7 + 1}")
                 for item in items for n in range(rng.randint(2, 5))]
        session.add_all(codes)
        session.flush()
        by_item: dict[int, list[int]] = {}
        for code in codes:
            by_item.setdefault(code.item_id, []).append(code.id)
        return by_item


def load(engine, dialect: str, mix: Mix, count: int) -> dict:
    batches = {"scan": [], "view": [], "engagement": []}
    extra_columns, extra_values = _scan_extras()
    columns_of = {**COLUMNS, "scan": (*COLUMNS["scan"], *extra_columns)}
    totals = dict.fromkeys(batches, 0)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()

        def write(table: str, rows: list) -> None:
            if not rows:
                return
            columns = ", ".join(columns_of[table])
            if dialect == "postgresql":
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:  # SQLite stores naive UTC text, as the app's column type does
                marks = ", ".join("?" * len(columns_of[table]))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})",
                                   [tuple(value.strftime("%Y-%m-%d %H:%M:%S.%f")
                                          if isinstance(value, dt.datetime) else value
                                          for value in row) for row in rows])
            totals[table] += len(rows)

        for table, row in mix.events(count):
            batches[table].append((*row, *extra_values) if table == "scan" else row)
        # The app appends rows as they happen: loaded in time order, the raw tail after the
        # rollup watermark is the end of each table, as in production, not rows scattered
        # over every page of it.
        for table, rows in batches.items():
            at = columns_of[table].index(TIME_COLUMNS[table])
            rows.sort(key=lambda row: row[at])
            for start in range(0, len(rows), 50_000):
                write(table, rows[start:start + 50_000])
            rows.clear()
        raw.commit()
    finally:
        raw.close()
    return totals


# ----------------------------------------------------------------------------- timing

def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def queries(app, analytics, filters) -> dict:
    factory = app.extensions["motpub"].session_factory

    def call(function, *args):
        def run():
            with factory() as session:
                function(session, filters, *args)
        return run

    named = {"summary": call(analytics.summary)}
    for interval in ("hour", "day", "week"):
        named[f"timeseries {interval}"] = call(analytics.timeseries, interval)
    for by in BREAKDOWNS:
        named[f"breakdown {by}" if by != "weekday_hour" else "heatmap (weekday_hour)"] = call(
            analytics.breakdown, by)
    return named


def analyst_client(app):
    """A test client logged in as an analyst, to render /ops as a browser would."""
    import re

    from motpub.accounts.services import create_user

    # Its own address each run: a database reused with --database-url has the earlier ones.
    email = f"bench-analyst-{secrets.token_hex(3)}@example.org"
    password = "bench-password-0123456789"
    with app.extensions["motpub"].session_factory() as session:
        create_user(session, email=email, password=password, role="analyst")
        session.commit()
    client = app.test_client()
    page = client.get("/studio/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/studio/login", data={"email": email, "password": password,
                                                  "csrf_token": token})
    assert response.status_code == 302, response.status_code
    return client


def time_all(app, client, runs: int, days: int, today: dt.date,
             wanted: set[str], extra: dict[str, str]) -> dict:
    from motpub.analytics.services import reports as analytics

    query = {"from": (today - dt.timedelta(days=days - 1)).isoformat(), "to": today.isoformat(),
             **extra}
    filters = analytics.parse_filters(query)
    named = queries(app, analytics, filters)

    def page():
        response = client.get("/ops/", query_string=query)
        assert response.status_code == 200

    named["/ops page"] = page
    results = {}
    for name, run in named.items():
        if wanted and name not in wanted:
            continue
        run()  # warm: plans, caches, first connection
        times = []
        # The page and the wide window take seconds at 5 M: fewer runs there.
        for _n in range(runs if name != "/ops page" and days <= 7 else max(5, runs // 4)):
            started = time.perf_counter()
            run()
            times.append((time.perf_counter() - started) * 1000)
        results[name] = {"p50_ms": round(statistics.median(times), 1),
                         "p95_ms": round(percentile(times, 95), 1), "runs": len(times)}
        log(f"  {days:>2} d  {name:<26} p50 {results[name]['p50_ms']:>8} ms   "
            f"p95 {results[name]['p95_ms']:>8} ms")
    return results


# ----------------------------------------------------------------------------- databases

def make_database(kind: str, workdir: Path) -> tuple[str, callable]:
    """A fresh migrated database URL, and how to remove it."""
    from motpub.config import PROJECT_ROOT
    from motpub.database import upgrade

    if kind == "sqlite":
        path = workdir / f"bench-{secrets.token_hex(3)}.db"
        url = f"sqlite:///{path}"

        def drop():
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        import psycopg

        name = f"motpub_bench_{os.getpid()}_{secrets.token_hex(2)}"
        with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = f"{PG_BASE}/{name}"

        def drop():
            with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    upgrade(url, str(PROJECT_ROOT / "migrations"))
    return url, drop


def bench_one(kind: str, size: int, args, workdir: Path) -> dict:
    from sqlalchemy import text

    from motpub.app import create_app
    from motpub.config import Settings
    from motpub.analytics.services.rollups import roll_up_visits

    if args.database_url:  # made and loaded by an earlier --keep-database run
        url, drop = args.database_url, lambda: None
    else:
        # A kept SQLite file goes to bench/out/, not the temporary directory removed at exit.
        url, drop = make_database(kind, OUT_DIR if args.keep_database else workdir)
    try:
        settings = Settings(data_dir=workdir, database_url=url, public_url="http://127.0.0.1",
                            secret_key=secrets.token_hex(20), testing=True,
                            queue_url=f"sqlite:///{workdir / 'queue.db'}",
                            storage_url=f"file://{workdir / 'media'}")
        app = create_app(settings)
        runtime = app.extensions["motpub"]
        now = dt.datetime.now(dt.UTC)
        rows, load_s, rollup_s = None, None, None
        if not args.database_url:
            codes = seed_items(runtime.session_factory)
            started = time.perf_counter()
            rows = load(runtime.engine, kind, Mix(random.Random(size), codes, now), size)
            load_s = round(time.perf_counter() - started, 1)
            log(f"{kind} {size:,}: loaded {rows} in {load_s:.0f} s")
            with runtime.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE" if kind == "postgresql" else "ANALYZE"))
            started = time.perf_counter()
            roll_up_visits(runtime.session_factory, now=now, keep_days=3650)
            rollup_s = round(time.perf_counter() - started, 1)
        with runtime.engine.connect() as conn:
            if kind == "postgresql":
                conn.execute(text("ANALYZE"))
                conn.commit()
            else:
                conn.execute(text("ANALYZE"))
            counts = {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                      for table in ("scan", "view", "engagement", "visit_rollup",
                                    "visitor_rollup", "engagement_rollup")}
        log(f"{kind} {size:,}: rollup job {rollup_s} s, rows {counts}")
        wanted = set(args.queries.split(",")) if args.queries else set()
        client = analyst_client(app) if not wanted or "/ops page" in wanted else None
        today = now.astimezone(SHANGHAI).date()
        extra = dict(pair.split("=", 1) for pair in args.filter.split(",") if pair)
        timings = {" ".join([f"{days} d", *args.filter.split(",")]).strip():
                   time_all(app, client, args.runs, days, today, wanted, extra)
                   for days in args.days}
        runtime.engine.dispose()
        return {"database": kind, "events": size, "rows": rows, "table_rows": counts,
                "load_s": load_s, "rollup_job_s": rollup_s, "timings": timings}
    finally:
        if args.keep_database:
            log(f"kept for --database-url: {url}")
        else:
            drop()


def markdown(results: list[dict]) -> str:
    lines = []
    for kind in dict.fromkeys(result["database"] for result in results):
        mine = [result for result in results if result["database"] == kind]
        sizes = [f"{result['events']:,}" for result in mine]
        lines += [f"\n### {kind}\n",
                  "| events | load s | rollup job s | scan rows | visit_rollup rows "
                  "| visitor_rollup rows |", "|---:|---:|---:|---:|---:|---:|"]
        for result in mine:
            tables = result["table_rows"]
            lines.append(f"| {result['events']:,} | {result['load_s']} | "
                         f"{result['rollup_job_s']} | {tables['scan']:,} | "
                         f"{tables['visit_rollup']:,} | {tables['visitor_rollup']:,} |")
        for window in mine[0]["timings"]:
            lines += ["", f"p50 / p95 in ms, filters: last {window}", "",
                      "| query | " + " | ".join(sizes) + " |",
                      "|---|" + "---:|" * len(sizes)]
            for name in mine[0]["timings"][window]:
                cells = [f"{r['timings'][window][name]['p50_ms']} / "
                         f"{r['timings'][window][name]['p95_ms']}" for r in mine]
                lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100k,1M,5M")
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--days", default="7,90", help="filter windows, in days")
    parser.add_argument("--queries", default="",
                        help='only these queries, comma-separated: "summary,/ops page"')
    parser.add_argument("--filter", default="",
                        help='dashboard filters besides the dates, e.g. "language=zh" or '
                             '"exhibition_id=1" (the generator puts scans in exhibitions 1-3)')
    parser.add_argument("--keep-database", action="store_true",
                        help="leave the loaded database (PostgreSQL) and print its URL")
    parser.add_argument("--database-url",
                        help="time a database left by --keep-database (one size and "
                             "database, as it was loaded) instead of making one")
    args = parser.parse_args()
    args.days = [int(days) for days in args.days.split(",")]
    if any("=" not in pair for pair in args.filter.split(",") if pair):
        parser.error('--filter takes name=value pairs, e.g. "language=zh,item_id=3"')
    if (args.keep_database or args.database_url) and (
            "," in args.databases or "," in args.sizes):
        parser.error("--keep-database and --database-url need one database and one size")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="motpub-bench-") as tmp:
        for kind in args.databases.split(","):
            for size in map(parse_size, args.sizes.split(",")):
                results.append(bench_one(kind, size, args, Path(tmp)))
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = OUT_DIR / f"analytics_read-{stamp}.json"
    out.write_text(json.dumps({"args": vars(args), "results": results}, indent=1))
    print(markdown(results))
    log(f"raw numbers: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

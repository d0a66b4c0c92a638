"""The dashboard at scale on PostgreSQL: N orders (default 10 million, a year of a big city's hotline)
loaded server-side, then every dashboard query timed against a `SELECT 1` round trip.

    PYTHONPATH=src:bench .venv/bin/python bench/bench_dashboard_pg.py [--orders 10000000] [--runs 15]

Orders are generated in the server (INSERT ... SELECT over generate_series, a chunk a transaction)
from the real data: categories are the taxonomy's paths drawn with the first-level mix of the labelled
Teddy messages, titles are real message titles, units and their districts are Guangzhou's. Indexes
and constraints are dropped for the load and rebuilt after it; the order counts are then rebuilt with
`recount`, the migration's backfill, so they are what intake would have kept. The scan rows show
what the dashboard cost when it grouped the orders themselves.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _teddy
import pgserver
from sqlalchemy import Engine, func, select, text
from tqdm import tqdm

from rexian.adapters.db.migrate import upgrade
from rexian.adapters.db.repo_analytics import AnalyticsRepository, local_day, recount
from rexian.adapters.db.tables import work_orders as wo
from rexian.bootstrap import bootstrap
from rexian.config import Settings
from rexian.domain.vocabulary import Role
from rexian.domain.workorder import Actor
from rexian.intelligence.taxonomy import taxonomy_paths
from rexian.services.analytics import dashboard
from rexian.services.cities import load_city_into

ADMIN = Actor("bench", Role.ADMIN)
CHANNELS = ["phone"] * 12 + ["web"] * 3 + ["wechat"] * 3 + ["app"] * 2
APPEAL_TYPES = ["complaint"] * 4 + ["help"] * 3 + ["consultation"] * 2 + ["suggestion", "report"]

# One order a row, all randomness drawn once per row in the inner select (volatile: never flattened);
# titles, categories and units come from small lookup tables joined on a drawn number.
LOAD = text("""
WITH p AS (SELECT CAST(:channels AS text[]) AS channels, CAST(:types AS text[]) AS types,
                  (SELECT count(*) FROM bench_titles) AS titles, (SELECT count(*) FROM bench_categories) AS categories,
                  (SELECT count(*) FROM bench_units) AS units)
INSERT INTO work_orders (code, channel, appeal_type, urgency, title, content, category, district, unit_code,
    status, chain, received_at, dispatched_at, reply_due, replied_at, closed_at, satisfaction, anonymous,
    confidential, return_locked, return_count, reopen_count, supervision_level, overdue, related_ids,
    version, updated_at)
SELECT 'B' || lpad(g::text, 9, '0'), p.channels[1 + floor(r[1] * cardinality(p.channels))::int],
    p.types[1 + floor(r[2] * cardinality(p.types))::int], 'normal', bt.title, bt.title, bc.category,
    CASE WHEN r[4] < 0.03 THEN NULL ELSE bu.district END,
    CASE WHEN r[4] < 0.05 THEN NULL ELSE bu.code END,
    CASE WHEN open AND r[4] < 0.05 THEN 'received' WHEN open THEN 'dispatched' ELSE 'closed' END, '[]'::json,
    at, CASE WHEN r[4] < 0.05 THEN NULL ELSE at END,
    CASE WHEN r[4] < 0.05 THEN NULL ELSE at + interval '15 days' END,
    CASE WHEN open OR r[4] < 0.05 THEN NULL ELSE at + r[5] * interval '18 days' END,
    CASE WHEN open THEN NULL ELSE at + r[5] * interval '20 days' END,
    CASE WHEN open OR r[6] >= 0.85 THEN NULL WHEN r[6] < 0.55 THEN 'satisfied'
         WHEN r[6] < 0.75 THEN 'basically_satisfied' ELSE 'unsatisfied' END,
    false, false, false, (r[7] < 0.05)::int, 0, 0, '[]'::json, '[]'::json, 1, at
FROM (SELECT g, r, CAST(:now AS timestamptz) - age * interval '365 days' AS at,
             1 + floor(r[9] * p.units)::int AS u, 1 + floor(r[10] * p.titles)::int AS t,
             1 + floor(r[3] * p.categories)::int AS c, age * 365 < 15 AND r[11] < 0.3 AS open
      FROM (SELECT g, (CAST(:orders AS float8) - g + random()) / :orders AS age,  -- filed in id order, as intake does
                   ARRAY[random(), random(), random(), random(), random(), random(), random(), random(),
                         random(), random(), random()] AS r
            FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g) AS drawn, p) AS o
CROSS JOIN p JOIN bench_titles bt ON bt.i = o.t JOIN bench_categories bc ON bc.i = o.c JOIN bench_units bu ON bu.i = o.u
""")


def categories(size: int = 2000, seed: int = 0) -> list[str]:
    """Taxonomy paths, first levels in the proportions of the labelled real messages."""
    with (_teddy.TEDDY / "attachment2_topic_label_visible.csv").open(encoding="utf-8-sig") as f:
        mix = Counter(r["一级标签"] for r in csv.DictReader(f))
    paths = taxonomy_paths()
    by_top = {top: [p for p in paths if p.split("/")[0] == top] for top in mix}
    rng = random.Random(seed)
    tops = rng.choices(list(mix), weights=list(mix.values()), k=size)
    return [rng.choice(by_top[top]) for top in tops if by_top[top]]


def titles() -> list[str]:
    return sorted({r["留言主题"].strip()[:200] for r in _teddy.rows("attachment3_full.csv.gz") if r["留言主题"].strip()})


def without_indexes(engine: Engine) -> tuple[list[str], list[str]]:
    """Drop work_orders' constraints (but its key) and indexes; return the statements that rebuild them."""
    with engine.begin() as conn:
        constraints = conn.execute(text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'work_orders'::regclass AND contype <> 'p'")).all()
        indexes = conn.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'work_orders' AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = 'work_orders'::regclass)")).all()
        for name, _ in constraints:
            conn.execute(text(f'ALTER TABLE work_orders DROP CONSTRAINT "{name}"'))
        for name, _ in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
    return ([d for _, d in indexes],
            [f'ALTER TABLE work_orders ADD CONSTRAINT "{n}" {d}' for n, d in constraints])


def load(engine: Engine, orders: int, chunk: int, now: datetime) -> None:
    with engine.connect() as conn:
        units_rows = conn.execute(text("SELECT code, district FROM units WHERE district IS NOT NULL "
                                       "AND kind <> 'city' ORDER BY code")).all()
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_titles (i int PRIMARY KEY, title text)"))
        conn.execute(text("CREATE TABLE bench_categories (i int PRIMARY KEY, category text)"))
        conn.execute(text("CREATE TABLE bench_units (i int PRIMARY KEY, code text, district text)"))
        conn.execute(text("INSERT INTO bench_titles VALUES (:i, :v)"),
                     [{"i": i, "v": v} for i, v in enumerate(titles(), 1)])
        conn.execute(text("INSERT INTO bench_categories VALUES (:i, :v)"),
                     [{"i": i, "v": v} for i, v in enumerate(categories(), 1)])
        conn.execute(text("INSERT INTO bench_units VALUES (:i, :c, :d)"),
                     [{"i": i, "c": c, "d": d} for i, (c, d) in enumerate(units_rows, 1)])
    params = {"channels": CHANNELS, "types": APPEAL_TYPES, "now": now, "orders": orders}
    indexes, constraints = without_indexes(engine)
    with tqdm(total=orders, unit="order", unit_scale=True, desc="insert") as bar:
        for first in range(1, orders + 1, chunk):
            last = min(orders, first + chunk - 1)
            with engine.begin() as conn:
                conn.execute(text("SET LOCAL synchronous_commit = off"))
                conn.execute(LOAD, {**params, "first": first, "last": last})
            bar.update(last - first + 1)
    with engine.begin() as conn:
        conn.execute(text("SET maintenance_work_mem = '1GB'"))
        for statement in tqdm(indexes + constraints, desc="indexes and constraints"):
            conn.execute(text(statement))


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    fn()  # warm the plan and the cache
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        took.append(time.perf_counter() - started)
    took.sort()
    return statistics.median(took), took[min(len(took) - 1, round(0.99 * (len(took) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--chunk", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--scans", action=argparse.BooleanOptionalAction, default=True,
                        help="also time the old full-period scans of the orders")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="rexian-bench-pg-"))
    print(f"disk free under {folder}: {shutil.disk_usage(folder).free / 2**30:.0f} GiB")
    server = pgserver.get_server(folder, cleanup_mode="delete")
    try:
        run(server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1), args)
    finally:
        server.cleanup()


def run(url: str, args: argparse.Namespace) -> None:
    upgrade(url)
    hl = bootstrap(Settings(database_url=url), intelligence=False)
    load_city_into(hl, "guangzhou", ADMIN)
    engine, now = hl.uow.engine, hl.clock.now()

    started = time.perf_counter()
    load(engine, args.orders, args.chunk, now)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    with engine.begin() as conn:
        count_rows = recount(conn)
    recounted = time.perf_counter() - started
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE work_orders"))
        conn.execute(text("VACUUM ANALYZE order_counts"))
        size = conn.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar()
    vacuumed = time.perf_counter() - started
    with engine.begin() as conn:  # what the dashboard shows beside the counts: open surges, the last hotspot run
        for i in range(40):
            conn.execute(text("INSERT INTO surge_alerts (kind, key, window_start, window_end, observed, expected, "
                              "p_value, ratio, evidence, status, created_at) VALUES ('place', :k, :s, :e, 30, 4.0, "
                              ":p, 7.5, CAST(:ev AS json), 'open', :e)"),
                         {"k": f"地点{i}", "s": now - timedelta(days=1), "e": now, "p": 1e-6 * (i + 1),
                          "ev": "[" + ",".join(f'"B{n:09d}"' for n in range(200)) + "]"})
        conn.execute(text("INSERT INTO hotspot_runs (computed_at, hotspots, note) VALUES (:at, CAST(:h AS json), '')"),
                     {"at": now, "h": "[" + ",".join(f'{{"rank": {r}, "heat": 1.0}}' for r in range(1, 21)) + "]"})
    print(f"loaded {args.orders:,} orders in {loaded:.0f} s ({args.orders / loaded:,.0f} orders/s, indexes included); "
          f"order counts rebuilt in {recounted:.1f} s ({count_rows:,} rows); vacuum analyze {vacuumed:.0f} s; "
          f"database {size}")

    supervisor = Actor("bench", Role.SUPERVISOR)
    end = now + timedelta(seconds=1)

    def repo_call(method: str, *a: Any) -> Callable[[], Any]:
        def call() -> Any:
            with hl.uow.begin() as tx:
                return getattr(AnalyticsRepository(tx.conn), method)(*a)
        return call

    def scan(query: Any) -> Callable[[], Any]:
        def call() -> Any:
            with hl.uow.begin() as tx:
                return tx.conn.execute(query).all()
        return call

    checks: list[tuple[str, Callable[[], Any]]] = [("baseline: SELECT 1 round trip", scan(select(1)))]
    for days in (1, 7, 30, 366):
        checks.append((f"period counts, last {days} days", repo_call("period_counts", end - timedelta(days=days),
                                                                      end, now)))
    checks += [("latest hotspot run", repo_call("latest_hotspot_run")),
               ("open surges (20)", repo_call("open_alerts", 20))]
    for days in (1, 7, 30, 366):
        checks.append((f"dashboard(), last {days} days", lambda d=days: dashboard(hl, supervisor, d)))
    if args.scans:
        with engine.connect() as conn:
            day = local_day(conn, wo.c.received_at)
        for days in (30, 366):
            inside = (wo.c.received_at >= end - timedelta(days=days), wo.c.received_at < end)
            checks.append((f"old scan: volume by day × channel, {days} days",
                           scan(select(day, wo.c.channel, func.count()).where(*inside).group_by(day, wo.c.channel))))
            checks.append((f"old scan: categories, {days} days",
                           scan(select(wo.c.category, func.count()).where(*inside).group_by(wo.c.category))))
    baseline = None
    print(f"{'query':<46} {'p50 ms':>9} {'p99 ms':>9} {'× SELECT 1':>11}")
    for name, fn in checks:
        p50, p99 = timed(fn, 1 if name.startswith("old scan") else args.runs)
        baseline = baseline or p50
        print(f"{name:<46} {p50 * 1000:9.1f} {p99 * 1000:9.1f} {p50 / baseline:11.0f}", flush=True)
    data = dashboard(hl, supervisor, 30)
    print(f"last 30 days: {data['total']:,} orders, {len(data['categories'])} top categories, "
          f"{len(data['districts'])} districts, on time {data['on_time']['rate']}, "
          f"satisfaction {data['satisfaction']['rate']}, {len(data['units'])} units shown")
    print(f"at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")


if __name__ == "__main__":
    main()

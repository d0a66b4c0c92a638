"""Analytics at scale: hotspot detection over N messages built from the real attachment-3 ones,
and the dashboard's aggregate queries over a generated volume of orders on SQLite.

    PYTHONPATH=src:bench .venv/bin/python bench/bench_analytics.py [--n 100000 1000000] [--orders 200000]

Generated messages are real ones with their time shifted, their user renamed and one character of
another real message inserted into the head of the text (a typo), so no two texts are the same and
the engine's reading of identical texts once gives no shortcut. The copies of one real text are
near-duplicates (Jaccard ≈ 0.9), so the engine clusters each real text about once, as it would a
re-posted appeal: this measures a heavily re-posted load, and the linkage step of N distinct
problems is not measured here. The baseline, timed in the same run, is merely cleaning every title
and text (`clean_text`), the least any text pipeline does.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import _teddy

from rexian.intelligence.hotspots import detect_hotspots
from rexian.intelligence.text import clean_text


def generated(n: int, seed: int = 0) -> list:
    real = _teddy.messages()
    rng = random.Random(seed)
    chars = "".join(m.text for m in real[:200])

    def typo(text: str) -> str:
        at = rng.randrange(min(len(text), 150) + 1)
        return text[:at] + rng.choice(chars) + text[at:]

    return [replace(m, id=f"g{i}", user=f"u{rng.randrange(n)}", text=typo(m.text),
                    at=m.at + timedelta(days=rng.randrange(-300, 300)))
            for i, m in enumerate(rng.choice(real) for _ in range(n))]


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the hotspot workers): the machine is
    shared, so wall time alone says little."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bench_hotspots(n: int, workers: int) -> None:
    messages = generated(n)
    started = time.perf_counter()
    for m in messages:
        clean_text(m.title), clean_text(m.text)
    baseline = time.perf_counter() - started
    started, cpu = time.perf_counter(), _cpu_seconds()
    found = detect_hotspots(messages, top=20, workers=workers, progress=True)
    took, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    print(f"hotspots: {n:,} messages, {workers} workers, in {took:.1f} s ({n / took:,.0f} messages/s), "
          f"{cpu:.0f} CPU s ({cpu / n * 1e6:.0f} µs a message); baseline clean_text {baseline:.1f} s "
          f"({n / baseline:,.0f}/s), ratio {took / baseline:.1f}×; load average {os.getloadavg()[0]:.1f}")
    for h in found[:5]:
        print(f"  {h.rank}. {h.heat:.2f} {h.place} · {h.problem} · {h.appeals} appeals, {h.users} people")


def bench_dashboard(orders: int) -> None:
    from sqlalchemy import insert

    from rexian.adapters.db.migrate import upgrade
    from rexian.adapters.db.tables import work_orders
    from rexian.bootstrap import bootstrap
    from rexian.config import Settings
    from rexian.domain.vocabulary import Role
    from rexian.domain.workorder import Actor
    from rexian.services.analytics import dashboard

    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    upgrade(url)
    hl = bootstrap(Settings(database_url=url), intelligence=False)
    rng = random.Random(1)
    now = datetime.now(UTC)
    districts = ["天河区", "越秀区", "海珠区", "白云区", "番禺区", "黄埔区", "荔湾区", "花都区", "南沙区", "从化区", "增城区"]
    channels = ["phone", "web", "app", "wechat"]
    with hl.uow.begin(write=True) as tx:
        for start in range(0, orders, 10_000):
            rows = []
            for i in range(start, min(orders, start + 10_000)):
                at = now - timedelta(minutes=rng.randrange(365 * 24 * 60))
                rows.append({"code": f"B{i}", "channel": rng.choice(channels), "appeal_type": "help",
                             "urgency": "normal", "title": "t", "content": "c", "status": "closed",
                             "category": f"类{rng.randrange(12)}/子{rng.randrange(5)}",
                             "district": rng.choice(districts), "received_at": at, "updated_at": at,
                             "reply_due": at + timedelta(days=10),
                             "replied_at": at + timedelta(days=rng.randrange(15)),
                             "satisfaction": rng.choice(["satisfied", "unsatisfied", None]),
                             "anonymous": False, "confidential": False, "chain": [], "overdue": [],
                             "related_ids": [], "return_locked": False, "return_count": 0, "reopen_count": 0,
                             "supervision_level": 0, "version": 1})
            tx.conn.execute(insert(work_orders), rows)
        tx.commit()
    actor = Actor("bench", Role.SUPERVISOR)
    for days in (1, 7, 30):
        started = time.perf_counter()
        data = dashboard(hl, actor, days)
        print(f"dashboard on SQLite, {orders:,} orders, last {days} days ({data['total']:,} in period): "
              f"{time.perf_counter() - started:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, nargs="+", default=[100_000], help="messages for hotspot detection")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes for hotspots")
    parser.add_argument("--orders", type=int, default=200_000, help="orders for the dashboard queries (0: skip)")
    args = parser.parse_args()
    for n in args.n:
        bench_hotspots(n, args.workers)
    if args.orders:
        bench_dashboard(args.orders)


if __name__ == "__main__":
    main()

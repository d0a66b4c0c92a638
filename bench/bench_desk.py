"""Agent desk: time from an utterance to the new draft, warm (incremental) vs rebuilt from the database.

    .venv/bin/python bench/bench_desk.py [--rounds N] [--reference-cases]

Replays every call of data/desk/demo_calls.json through the use case `add_utterances` on a fresh
SQLite database with Guangzhou loaded and the router attached (the same path as the API, without
HTTP). Incremental: the desk keeps each live call warm (transcript in memory, routing and knowledge
search redone only when their inputs change). Baseline: the warm state is dropped before each
utterance, so every draft is rebuilt from the stored transcript. Prints p50 / p99 per update and
the ratio; the target is ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from rexian.adapters.db.migrate import upgrade
from rexian.bootstrap import bootstrap
from rexian.config import Settings
from rexian.domain.vocabulary import Role
from rexian.domain.workorder import Actor
from rexian.intelligence.knowledge import KnowledgeIndex, load_articles_csv, load_reference_cases
from rexian.services import calls as desk
from rexian.services.cities import load_city_into
from rexian.services.dispatching import Dispatcher

AGENT = Actor("bench-agent", Role.AGENT)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def replay(hl, recorded: list[dict], rounds: int, rebuild: bool) -> list[float]:  # type: ignore[no-untyped-def]
    timings = []
    for _ in range(rounds):
        for item in recorded:
            call_id = desk.start_call(hl, AGENT, item["caller_number"])["call_id"]
            for u in item["utterances"]:
                if rebuild:
                    desk.desk_of(hl).forget(call_id)
                t0 = time.perf_counter()
                desk.add_utterances(hl, AGENT, call_id, [(u["speaker"], u["text"], None)])
                timings.append((time.perf_counter() - t0) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reference-cases", action="store_true",
                        help="also index the 2.8k reference cases (slow to build; as in production)")
    args = parser.parse_args()
    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    upgrade(url)
    hl = bootstrap(Settings(database_url=url), intelligence=False)
    load_city_into(hl, "guangzhou", Actor("bench", Role.ADMIN))
    hl.dispatcher = Dispatcher(hl, classifier=None)
    index = KnowledgeIndex()
    for doc in load_articles_csv() + (load_reference_cases() if args.reference_cases else []):
        index.add(doc)
    desk.install_desk(hl, desk.Desk(hl, knowledge=index))
    recorded = desk.demo_calls()
    replay(hl, recorded, 1, False)  # warm-up: jieba, the resolver, the router
    results = {}
    for name, rebuild in (("baseline (rebuild from the database)", True), ("incremental (warm draft)", False)):
        t = replay(hl, recorded, args.rounds, rebuild)
        results[name] = t
        print(f"{name:40s} n={len(t):4d}  p50 {percentile(t, 0.5):6.2f} ms  p99 {percentile(t, 0.99):6.2f} ms  "
              f"mean {statistics.fmean(t):6.2f} ms")
    base, inc = results.values()
    print(f"speed-up p50 ×{percentile(base, 0.5) / percentile(inc, 0.5):.2f}, "
          f"p99 ×{percentile(base, 0.99) / percentile(inc, 0.99):.2f}; "
          f"target p99 ≤ 50 ms: {'met' if percentile(inc, 0.99) <= 50 else 'NOT met'} "
          f"(knowledge docs: {len(index)})")


if __name__ == "__main__":
    main()

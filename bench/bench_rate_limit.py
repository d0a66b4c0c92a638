"""What the shared rate limit costs a citizen request: one limiter check (an upsert in its own write
transaction) against a baseline read transaction, on SQLite and on a throwaway PostgreSQL (pgserver).

    .venv/bin/python bench/bench_rate_limit.py --checks 2000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text
from tqdm import tqdm

from rexian.adapters.db.migrate import upgrade
from rexian.bootstrap import bootstrap
from rexian.config import Settings
from rexian.services.ratelimit import RateLimit


def _timings(label: str, n: int, call: Callable[[int], object]) -> list[float]:
    took = []
    for i in tqdm(range(n), desc=label, leave=False):
        start = time.perf_counter()
        call(i)
        took.append((time.perf_counter() - start) * 1000)
    return took


def measure(url: str, n: int) -> dict[str, float]:
    upgrade(url)
    hl = bootstrap(Settings(database_url=url), intelligence=False)
    limit = RateLimit(hl, "public", 10**9, 60)

    def read(_: int) -> None:
        with hl.uow.begin() as tx:
            tx.conn.execute(text("SELECT 1")).scalar()

    baseline = _timings("baseline read", n, read)
    check = _timings("limiter check", n, lambda i: limit.wait_s(f"198.51.{i % 250}.{i % 7}"))
    hl.uow.engine.dispose()
    p50 = statistics.median(check)
    return {"read_p50_ms": statistics.median(baseline), "check_p50_ms": p50,
            "check_p99_ms": statistics.quantiles(check, n=100)[98],
            "check_over_read_p50": p50 / statistics.median(baseline)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=1000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="rexian-ratelimit-"))
    print("sqlite", {k: round(v, 2) for k, v in measure(f"sqlite:///{folder / 'rexian.db'}", args.checks).items()})
    import pgserver

    server = pgserver.get_server(folder / "pgdata", cleanup_mode="delete")
    url = server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
    print("postgresql", {k: round(v, 2) for k, v in measure(url, args.checks).items()})
    server.cleanup()


if __name__ == "__main__":
    main()

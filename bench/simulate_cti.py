"""A simulated day through the real CTI HTTP API (in-process ASGI, a fresh SQLite database).

The simulator's arrivals (Guangzhou's volume by default) are posted as CTI events with simulated
`at` times, so a day runs in minutes of wall time. Checks that older callers wait less than others
and that every second transfer to an agent is refused (409) while 110 stays reachable; prints the
service levels the API reports.

    .venv/bin/python bench/simulate_cti.py [--calls-per-day 35000] [--seed 1]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime
from statistics import fmean

from fastapi.testclient import TestClient

from rexian.adapters.channels.cti_http import ApiSimulation
from rexian.adapters.db.migrate import upgrade
from rexian.bootstrap import bootstrap
from rexian.config import Settings
from rexian.domain.callcentre.erlang import staffing_plan
from rexian.domain.callcentre.forecast import CallForecast
from rexian.domain.callcentre.simulator import SimulationConfig
from rexian.domain.clock import LOCAL_TZ, FixedClock
from rexian.domain.vocabulary import Role
from rexian.domain.workorder import Actor
from rexian.services.auth import add_user, issue_token
from rexian.web.app import create_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls-per-day", type=float, default=35_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    day = date(2026, 3, 2)
    start = datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)
    url = f"sqlite:///{tempfile.mkdtemp(prefix='rexian-cti-')}/cti.db"
    upgrade(url)
    hl = bootstrap(Settings(database_url=url), clock=FixedClock(start.astimezone(UTC)), intelligence=False)
    add_user(hl, "switch", Role.SYSTEM, Actor("bench", Role.ADMIN))
    token = issue_token(hl, "switch", Actor("bench", Role.ADMIN))
    config = SimulationConfig(seed=args.seed)
    calls = CallForecast.flat(args.calls_per_day).for_day(day)
    roster = [p.agents for p in staffing_plan(calls, config.aht_s)]
    began = time.perf_counter()
    with TestClient(create_app(hl)) as client:
        report = ApiSimulation(client, token, calls, roster, config, start).play()
        snap = client.get("/api/v1/cti/snapshot", headers={"Authorization": f"Bearer {token}"}).json()
    elapsed = time.perf_counter() - began
    refused = report.second_transfers_refused
    print(f"offered {report.offered} calls, {report.requests} API requests in {elapsed:.0f} s "
          f"({report.requests / elapsed:.0f} requests/s)")
    print(f"answered within 15 s {snap['answered_within_rate']:.1%} (target 80 %), connection rate "
          f"{snap['connection_rate']:.1%} (target 95 %), abandoned {snap['last_24h']['abandoned']}")
    print(f"mean wait: older/disabled {fmean(report.waits_vulnerable):.1f} s, others {fmean(report.waits_others):.1f} s")
    print(f"transfers {report.transfers}, second transfers refused {len(refused)} "
          f"(all 409: {all(r['status'] == 409 for r in refused)}), sent to 110 {report.transferred_out}")
    ok = (fmean(report.waits_vulnerable) <= fmean(report.waits_others)
          and len(refused) == report.transfers and all(r["status"] == 409 for r in refused))
    print("priorities and the transfer rule hold" if ok else "FAILED: priorities or the transfer rule broke")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()

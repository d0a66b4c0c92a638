"""A simulated day through the real CTI API (in-process ASGI app, a fresh SQLite database).

The simulator's day (Guangzhou's volume by default) is the switch: every arrival, ring, answer,
transfer, hang-up and abandonment is a CTI event with its simulated `at`, sent in batches over the
WebSocket (or HTTP) to the real service, which makes every routing decision; the simulated time
jumps from event to event instead of passing. Prints the service levels from the service's own
call records beside the Erlang C plan's promise and the in-process simulator on the same day, and
checks the invariants on those records: every call accounted for, priorities kept, a call
transferred at most once (110/119/120/122 aside). Exits 1 when one fails.

    .venv/bin/python bench/simulate_cti.py [--calls-per-day 35000] [--transport ws|http] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, date, datetime
from statistics import fmean
from typing import Any

from fastapi.testclient import TestClient
from tqdm import tqdm

from rexian.adapters.channels.cti_http import (
    ApiSimulation,
    Check,
    CtiLink,
    HttpLink,
    WebSocketLink,
    audit_day,
)
from rexian.adapters.db.migrate import upgrade
from rexian.bootstrap import bootstrap
from rexian.config import Settings
from rexian.domain.callcentre.erlang import staffing_plan
from rexian.domain.callcentre.forecast import CallForecast
from rexian.domain.callcentre.ledger import ANSWER_WITHIN_S, Totals
from rexian.domain.callcentre.simulator import SimulationConfig, simulate_day
from rexian.domain.clock import LOCAL_TZ, FixedClock
from rexian.domain.vocabulary import Role
from rexian.domain.workorder import Actor
from rexian.services.auth import add_user, issue_token
from rexian.services.callcentre import CtiService
from rexian.web.app import create_app


class ProgressLink:
    """Moves a progress bar along the simulated day as batches go out."""

    def __init__(self, link: CtiLink, bar: tqdm, start: datetime) -> None:
        self.link, self.bar, self.start, self.shown = link, bar, start, 0

    def exchange(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        minute = int((datetime.fromisoformat(events[-1]["at"]) - self.start).total_seconds() // 60)
        if minute > self.shown:
            self.bar.update(minute - self.shown)
            self.shown = minute
        return self.link.exchange(events)


def levels(records: list[dict[str, Any]]) -> tuple[int, int, int, float, float, float]:
    """Offered, answered, abandoned, answered within 15 s, connection rate, ASA from call records."""
    answered = [r for r in records if r["answered_at"] is not None]
    abandoned = sum(r["abandoned_at"] is not None for r in records)
    within = sum(r["wait_s"] <= ANSWER_WITHIN_S for r in answered)
    return (len(records), len(answered), abandoned, within / (len(answered) + abandoned),
            len(answered) / len(records), fmean(r["wait_s"] for r in answered))


def totals_row(t: Totals) -> tuple[int, int, int, float, float, float]:
    return t.offered, t.answered, t.abandoned, t.service_level or 0.0, t.connection_rate or 0.0, t.asa_s or 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls-per-day", type=float, default=35_000)
    parser.add_argument("--transport", choices=("ws", "http"), default="ws")
    parser.add_argument("--ring-s", type=float, default=2.0, help="from assignment to answer (batching window)")
    parser.add_argument("--transfer-every", type=int, default=50, help="transfer every n-th call once (0: none)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    day = date(2026, 3, 2)
    start = datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)
    url = f"sqlite:///{tempfile.mkdtemp(prefix='rexian-cti-')}/cti.db"
    upgrade(url)
    hl = bootstrap(Settings(database_url=url), clock=FixedClock(start.astimezone(UTC)), intelligence=False)
    add_user(hl, "switch", Role.SYSTEM, Actor("bench", Role.ADMIN))
    token = issue_token(hl, "switch", Actor("bench", Role.ADMIN))
    headers = {"Authorization": f"Bearer {token}"}
    config = SimulationConfig(seed=args.seed, dedicated_seats=2, ring_s=args.ring_s)
    calls = CallForecast.flat(args.calls_per_day).for_day(day)
    plan = staffing_plan(calls, config.aht_s)
    roster = [p.agents for p in plan]
    app = create_app(hl)
    # the switch sends its own Ticks on simulated time; the hotline clock stands still
    app.state.cti = CtiService(hl, tick_every_s=None, calls_per_day=args.calls_per_day)

    began = time.perf_counter()
    with TestClient(app) as client, tqdm(total=24 * 60, unit="sim-min", desc="day", mininterval=5) as bar:
        if args.transport == "ws":
            with client.websocket_connect(f"/api/v1/cti/ws?token={token}") as socket:
                link: CtiLink = WebSocketLink(socket)
                report = ApiSimulation(ProgressLink(link, bar, start), calls, roster, config, start,
                                       args.transfer_every).play()
        else:
            report = ApiSimulation(ProgressLink(HttpLink(client, token), bar, start), calls, roster, config,
                                   start, args.transfer_every).play()
        elapsed = time.perf_counter() - began
        records = client.get("/api/v1/cti/calls", headers=headers).json()["calls"]
        snap = client.get("/api/v1/cti/snapshot", headers=headers).json()
        history = client.get("/api/v1/cti/history?period=day", headers=headers).json()["rows"]
    load = os.getloadavg()

    pure_began = time.perf_counter()
    pure = simulate_day(calls, roster, config, start)
    pure_elapsed = time.perf_counter() - pure_began
    promised = sum(p.service_level * p.calls for p in plan) / sum(calls)

    print(f"\n{report.offered} calls, {report.events} events in {report.requests} {args.transport} messages "
          f"in {elapsed:.0f} s ({report.events / elapsed:.0f} events/s); load average "
          f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; in-process simulator {pure_elapsed:.1f} s")
    print(f"{'':34} {'offered':>8} {'answered':>8} {'abandon':>8} {'≤15 s':>7} {'connect':>8} {'ASA s':>6}")
    for name, row in (("through the API (service records)", levels(records)),
                      ("in-process simulator, same day", totals_row(pure.day))):
        print(f"{name:34} {row[0]:8d} {row[1]:8d} {row[2]:8d} {row[3]:7.1%} {row[4]:8.1%} {row[5]:6.1f}")
    print(f"{'Erlang C plan (' + str(sum(roster) // 2) + ' agent-hours)':34} {sum(calls):8.0f} "
          f"{'':8} {'':8} {promised:7.1%}   target 80 % within 15 s, connection ≥ 95 %")
    print(f"wallboard: waiting {snap['calls_waiting']}, agents {snap['agents_logged_in']}; mean wait "
          f"older/disabled {fmean(report.waits_vulnerable):.1f} s, others {fmean(report.waits_others):.1f} s")
    checks = audit_day(report, records, config.ring_s)
    offered_by_history = sum(r["offered"] for r in history)
    checks.append(Check("the history endpoint agrees with the call records", offered_by_history == len(records)
                        and sum(r["abandoned"] for r in history) == levels(records)[2],
                        f"{offered_by_history} offered by day and skill"))
    for check in checks:
        print(f"{'PASS' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
    raise SystemExit(0 if all(c.ok for c in checks) else 1)


if __name__ == "__main__":
    main()

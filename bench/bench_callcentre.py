"""Benchmark: a Guangzhou-sized day (35,000 calls) through the call-centre routing code.

Prints the simulation speed and how the Erlang C plan fares, in Erlang's world (exponential
handling, no abandonment: they should agree) and in a realistic one (lognormal talk, wrap-up,
impatience, languages, topics, older callers, dedicated seats). One day's service level is noisy
near Erlang's staffing point (a standard deviation of several points at 200 erlangs), so each world
runs several seeds.

    PYTHONPATH=src .venv/bin/python bench/bench_callcentre.py [calls_per_day [seeds]]
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from datetime import date
from statistics import fmean

from rexian.domain.callcentre.erlang import staffing_plan
from rexian.domain.callcentre.forecast import CallForecast
from rexian.domain.callcentre.simulator import MANDARIN_ONLY, SimulationConfig, simulate_day


def main(calls_per_day: float = 35000, seeds: int = 5) -> None:
    calls = CallForecast.flat(calls_per_day).for_day(date(2026, 3, 2))
    worlds = {
        "erlang": SimulationConfig(
            talk_mean_s=240, talk_sigma=None, acw_mean_s=0, patience_mean_s=None, mix=MANDARIN_ONLY
        ),
        "realistic": SimulationConfig(dedicated_seats=4),
    }
    for name, world in worlds.items():
        plan = staffing_plan(calls, world.aht_s, target=0.8, within_s=15)
        predicted = sum(p.calls * p.service_level for p in plan) / sum(calls)
        levels = []
        for seed in range(seeds):
            started = time.perf_counter()
            report = simulate_day(calls, [p.agents for p in plan], replace(world, seed=seed))
            seconds = time.perf_counter() - started
            day = report.day
            levels.append(day.service_level)
            print(
                f"{name:9} seed {seed}: {day.offered} calls in {seconds:.1f} s ({day.offered / seconds:,.0f} calls/s); "
                f"within 15 s {day.service_level:.1%}; connection {day.connection_rate:.1%}; "
                f"ASA {day.asa_s:.1f} s; abandoned {day.abandoned}; "
                f"older callers ASA {report.vulnerable.asa_s or 0:.1f} s vs {report.others.asa_s or 0:.1f} s"
            )
        print(
            f"{name:9} agent-hours {sum(p.agents for p in plan) / 2:.0f}; answered within 15 s: "
            f"simulated mean {fmean(levels):.1%} (min {min(levels):.1%}, max {max(levels):.1%}) "
            f"vs Erlang C {predicted:.1%}"
        )


if __name__ == "__main__":
    main(*(float(a) for a in sys.argv[1:2]), *(int(a) for a in sys.argv[2:3]))

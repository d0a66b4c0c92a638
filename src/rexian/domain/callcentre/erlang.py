"""Erlang C staffing: how many agents a half hour needs to answer X % of calls within T seconds.

Erlang C models M/M/n: Poisson arrivals, exponential handling, no abandonment, an endless queue.
It is computed from the Erlang B recursion B(k) = A·B(k-1) / (k + A·B(k-1)), which stays in [0, 1]
for any number of agents (no factorials, no overflow at a city's 200+ erlangs).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass


def erlang_b(agents: int, traffic: float) -> float:
    """Blocking probability with `agents` servers offered `traffic` erlangs and no queue."""
    b = 1.0
    for k in range(1, agents + 1):
        b = traffic * b / (k + traffic * b)
    return b


def _erlang_b_series(traffic: float) -> Iterator[tuple[int, float]]:
    """(n, B(n, A)) for n = 1, 2, ...: one recursion step per extra agent."""
    b, n = 1.0, 0
    while True:
        n += 1
        b = traffic * b / (n + traffic * b)
        yield n, b


def _c_from_b(agents: int, traffic: float, b: float) -> float:
    if agents <= traffic:
        return 1.0
    return agents * b / (agents - traffic * (1.0 - b))


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that a call waits at all (1 when the agents cannot keep up)."""
    return _c_from_b(agents, traffic, erlang_b(agents, traffic))


def _service_level(agents: int, traffic: float, aht_s: float, within_s: float, c: float) -> float:
    if agents <= traffic:
        return 0.0
    return 1.0 - c * math.exp(-(agents - traffic) * within_s / aht_s)


def service_level(agents: int, traffic: float, aht_s: float, within_s: float) -> float:
    """Share of calls answered within `within_s` seconds."""
    return _service_level(agents, traffic, aht_s, within_s, erlang_c(agents, traffic))


def average_speed_of_answer(agents: int, traffic: float, aht_s: float) -> float:
    """Mean wait over all calls, in seconds (infinite when the agents cannot keep up)."""
    if agents <= traffic:
        return math.inf
    return erlang_c(agents, traffic) * aht_s / (agents - traffic)


def agents_needed(
    calls: float,
    aht_s: float,
    target: float = 0.8,
    within_s: float = 15.0,
    interval_s: float = 1800.0,
    max_occupancy: float = 1.0,
) -> int:
    """The fewest agents that answer `target` of `calls` (per `interval_s`) within `within_s`."""
    traffic = calls * aht_s / interval_s
    if traffic <= 0:
        return 0
    floor = traffic / max_occupancy
    for n, b in _erlang_b_series(traffic):
        if n > floor and _service_level(n, traffic, aht_s, within_s, _c_from_b(n, traffic, b)) >= target:
            return n
    raise AssertionError("unreachable: service level tends to 1 as agents grow")


@dataclass(frozen=True, slots=True)
class IntervalPlan:
    """One half hour of the staffing plan."""

    index: int  # half hour of the day, 0 = 00:00-00:30
    calls: float
    traffic: float
    agents: int
    service_level: float
    asa_s: float


def staffing_plan(
    calls_per_interval: Sequence[float],
    aht_s: float,
    target: float = 0.8,
    within_s: float = 15.0,
    interval_s: float = 1800.0,
) -> list[IntervalPlan]:
    """Agents per interval for a forecast, with the service level Erlang C promises for each."""
    plan = []
    for i, calls in enumerate(calls_per_interval):
        n = agents_needed(calls, aht_s, target, within_s, interval_s)
        traffic = calls * aht_s / interval_s
        plan.append(
            IntervalPlan(
                index=i,
                calls=calls,
                traffic=traffic,
                agents=n,
                service_level=service_level(n, traffic, aht_s, within_s) if n else 1.0,
                asa_s=average_speed_of_answer(n, traffic, aht_s) if n else 0.0,
            )
        )
    return plan

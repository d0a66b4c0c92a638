"""Service levels: one record per call, and the numbers GB/T 33358 asks for.

Definitions (kept in one place so the wallboard, reports and tests agree):
- answered within T (service level) = calls answered within T s / calls that stopped waiting
  (answered + abandoned); calls still waiting are not counted yet;
- connection rate (接通率) = answered / offered, target ≥ 95 % over 24 hours;
- ASA = mean wait of answered calls; AHT = talk + hold + after-call work; ACW = wrap-up time.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import fmean

ANSWER_WITHIN_S = 15.0  # GB/T 33358-2016
CONNECTION_TARGET = 0.95  # GB/T 33358-2016, over 24 hours


@dataclass(slots=True)
class CallRecord:
    """What happened to one call; filled in by `CallCentre` as the call moves on."""

    call_id: str
    skill: str  # the skill group the call is counted under: its topic, else its language
    offered_at: datetime
    answered_at: datetime | None = None
    agent_id: str | None = None
    ended_at: datetime | None = None
    abandoned_at: datetime | None = None
    hold_s: float = 0.0
    acw_s: float | None = None
    transfers: int = 0

    @property
    def wait_s(self) -> float | None:
        stop = self.answered_at or self.abandoned_at
        return None if stop is None else (stop - self.offered_at).total_seconds()

    @property
    def talk_s(self) -> float | None:
        if self.answered_at is None or self.ended_at is None:
            return None
        return (self.ended_at - self.answered_at).total_seconds()

    @property
    def handle_s(self) -> float | None:
        """Talk (hold included) plus after-call work, once both are known."""
        talk = self.talk_s
        return None if talk is None or self.acw_s is None else talk + self.acw_s


@dataclass(frozen=True, slots=True)
class Totals:
    """Counts and averages over a set of calls (one wallboard tile, one history row)."""

    offered: int
    answered: int
    abandoned: int
    answered_within: int
    asa_s: float | None
    aht_s: float | None
    acw_s: float | None
    within_s: float

    @property
    def service_level(self) -> float | None:
        done = self.answered + self.abandoned
        return self.answered_within / done if done else None

    @property
    def connection_rate(self) -> float | None:
        return self.answered / self.offered if self.offered else None


def totals(records: Iterable[CallRecord], within_s: float = ANSWER_WITHIN_S) -> Totals:
    records = list(records)
    answered = [r for r in records if r.answered_at is not None]
    waits = [r.wait_s for r in answered]
    handles = [h for r in answered if (h := r.handle_s) is not None]
    acws = [r.acw_s for r in answered if r.acw_s is not None]
    return Totals(
        offered=len(records),
        answered=len(answered),
        abandoned=sum(r.abandoned_at is not None for r in records),
        answered_within=sum(w <= within_s for w in waits if w is not None),
        asa_s=fmean(w for w in waits if w is not None) if waits else None,
        aht_s=fmean(handles) if handles else None,
        acw_s=fmean(acws) if acws else None,
        within_s=within_s,
    )


@dataclass(frozen=True, slots=True)
class HistoryRow:
    period_start: datetime
    key: str  # the skill or the agent id
    totals: Totals


class ServiceLevelLedger:
    """All call records in offer order, with live windows and per-hour/day history."""

    def __init__(self, within_s: float = ANSWER_WITHIN_S) -> None:
        self.within_s = within_s
        self._records: list[CallRecord] = []
        self._offered_at: list[datetime] = []

    def open(self, record: CallRecord) -> None:
        """Start the record of a newly offered call (calls arrive in time order)."""
        self._records.append(record)
        self._offered_at.append(record.offered_at)

    @property
    def records(self) -> list[CallRecord]:
        return self._records

    def window(self, start: datetime, end: datetime) -> list[CallRecord]:
        """Calls offered in [start, end)."""
        lo = bisect.bisect_left(self._offered_at, start)
        hi = bisect.bisect_left(self._offered_at, end)
        return self._records[lo:hi]

    def last(self, now: datetime, span: timedelta = timedelta(hours=24)) -> Totals:
        return totals(self.window(now - span, now + timedelta.resolution), self.within_s)

    def history(self, period: str = "hour", by: str = "skill") -> list[HistoryRow]:
        """Totals per hour or day, per skill or per agent, bucketed by offer time."""
        truncate = _TRUNCATE[period]
        key_of: Callable[[CallRecord], str | None] = {
            "skill": lambda r: r.skill,
            "agent": lambda r: r.agent_id,
        }[by]
        groups: dict[tuple[datetime, str], list[CallRecord]] = defaultdict(list)
        for record in self._records:
            key = key_of(record)
            if key is not None:
                groups[truncate(record.offered_at), key].append(record)
        return [
            HistoryRow(start, key, totals(rows, self.within_s))
            for (start, key), rows in sorted(groups.items())
        ]


_TRUNCATE: dict[str, Callable[[datetime], datetime]] = {
    "hour": lambda t: t.replace(minute=0, second=0, microsecond=0),
    "day": lambda t: t.replace(hour=0, minute=0, second=0, microsecond=0),
}

"""Surge early warning (突发 / 集中诉求): a key whose recent count is far above its usual level.

For every key (category × district, or a place) the daily counts before the recent window give a
seasonal baseline: an EWMA of the daily level, times a day-of-week factor (Mondays are busier
than Sundays). The count in the recent window is compared with the expected count under a
Poisson law; an alert needs a small tail probability, a ratio well above one and a minimum count,
so quiet keys with 0 → 2 never page anyone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from scipy.stats import poisson


@dataclass(frozen=True, slots=True)
class SurgeAlert:
    key: Hashable
    window_start: datetime
    window_end: datetime
    observed: int
    expected: float
    p_value: float
    ratio: float
    evidence_ids: tuple[str, ...]


@dataclass(frozen=True)
class SurgeDetector:
    """Compares the last `window_days` with a baseline of the `history_days` before them."""

    window_days: int = 3
    history_days: int = 90
    halflife_days: float = 14.0
    alpha: float = 1e-4
    min_ratio: float = 3.0
    min_count: int = 5
    floor_rate: float = 0.05  # daily rate assumed for keys never seen before

    def _expected(self, daily: dict[date, int], first: date, window: list[date]) -> float:
        """EWMA daily level × day-of-week factor, summed over the window's days."""
        days = [first + timedelta(d) for d in range(self.history_days)]
        decay = 0.5 ** (1 / self.halflife_days)
        level = 0.0
        weight = 0.0
        for day in days:
            level = decay * level + daily.get(day, 0)
            weight = decay * weight + 1
        level = level / weight if weight else 0.0
        total = sum(daily.get(day, 0) for day in days)
        by_weekday = [0] * 7
        for day in days:
            by_weekday[day.weekday()] += daily.get(day, 0)
        weeks = self.history_days / 7
        expected = 0.0
        for day in window:
            factor = (by_weekday[day.weekday()] / weeks) / (total / self.history_days) if total else 1.0
            expected += max(level * factor, self.floor_rate)
        return expected

    def detect(self, events: Iterable[tuple[Hashable, datetime, str]], now: datetime) -> list[SurgeAlert]:
        """Alerts for keys surging in [now - window_days, now), strongest (smallest p) first."""
        window_start = now - timedelta(days=self.window_days)
        history_start = window_start - timedelta(days=self.history_days)
        daily: dict[Hashable, dict[date, int]] = defaultdict(lambda: defaultdict(int))
        recent: dict[Hashable, list[str]] = defaultdict(list)
        for key, at, record_id in events:
            if window_start <= at < now:
                recent[key].append(record_id)
            elif history_start <= at < window_start:
                daily[key][at.date()] += 1
        window = [window_start.date() + timedelta(d) for d in range(self.window_days)]
        alerts = []
        for key, ids in recent.items():
            observed = len(ids)
            if observed < self.min_count:
                continue
            expected = self._expected(daily.get(key, {}), history_start.date(), window)
            ratio = observed / expected
            p_value = float(poisson.sf(observed - 1, expected))
            if p_value < self.alpha and ratio >= self.min_ratio:
                alerts.append(
                    SurgeAlert(
                        key,
                        window_start,
                        now,
                        observed,
                        round(expected, 2),
                        p_value,
                        round(ratio, 2),
                        tuple(ids),
                    )
                )
        return sorted(alerts, key=lambda a: a.p_value)

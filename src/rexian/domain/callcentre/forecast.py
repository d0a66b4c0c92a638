"""Calls per half hour: from call history on China's calendar, or from a daily volume.

A day is profiled by its kind: an ordinary workday or weekend keeps its weekday (Mondays are
busier than Fridays), statutory holidays share one profile, and make-up working days (调休) share
another. `chinese_calendar` knows the official calendar up to its last published year; later years
fall back to weekends-only (no holidays, no make-up days).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from statistics import fmean

import chinese_calendar

SLOTS_PER_DAY = 48
SLOT = timedelta(minutes=30)

# An assumed intraday shape for a 24-hour city hotline (share of the day's calls per half hour):
# quiet nights, a morning peak from 09:00, a lunch dip, an afternoon peak, a long evening tail.
# Replace it with `CallForecast.from_history` when call records exist.
_SHAPE_WEIGHTS = (
    [0.45, 0.35, 0.28, 0.22, 0.18, 0.15, 0.14, 0.14, 0.15, 0.18, 0.25, 0.35, 0.55, 0.8]  # 00:00-07:00
    + [1.2, 1.7, 2.4, 3.0, 3.6, 3.9, 3.9, 3.8, 3.6, 3.3]  # 07:00-12:00
    + [2.7, 2.4, 2.6, 3.2, 3.6, 3.7, 3.6, 3.5, 3.3, 3.0]  # 12:00-17:00
    + [2.6, 2.2, 1.9, 1.8, 1.7, 1.6, 1.5, 1.35, 1.2, 1.0, 0.85, 0.7, 0.6, 0.5]  # 17:00-24:00
)
DEFAULT_INTRADAY_SHARE: tuple[float, ...] = tuple(w / sum(_SHAPE_WEIGHTS) for w in _SHAPE_WEIGHTS)


class DayKind(StrEnum):
    WORKDAY = "workday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"  # statutory holiday (法定节假日), including its weekend days
    MAKEUP_WORKDAY = "makeup_workday"  # a weekend day worked to make up for a holiday (调休)


def day_kind(day: date) -> DayKind:
    weekend = day.weekday() >= 5
    try:
        workday = chinese_calendar.is_workday(day)
        holiday_name = chinese_calendar.get_holiday_detail(day)[1]
    except NotImplementedError:  # the calendar is published a year at a time
        return DayKind.WEEKEND if weekend else DayKind.WORKDAY
    if workday:
        return DayKind.MAKEUP_WORKDAY if weekend else DayKind.WORKDAY
    return DayKind.HOLIDAY if holiday_name else DayKind.WEEKEND


def _profile_key(day: date) -> str:
    kind = day_kind(day)
    if kind in (DayKind.WORKDAY, DayKind.WEEKEND):
        return f"weekday{day.weekday()}"
    return kind.value


_WORKDAY_KEYS = tuple(f"weekday{d}" for d in range(5))
_WEEKEND_KEYS = ("weekday5", "weekday6")
# where a profile missing from the history borrows from: similar days first
_FALLBACK: Mapping[str, tuple[str, ...]] = {
    **{k: _WORKDAY_KEYS for k in _WORKDAY_KEYS},
    **{k: _WEEKEND_KEYS for k in _WEEKEND_KEYS},
    DayKind.MAKEUP_WORKDAY.value: _WORKDAY_KEYS,
    DayKind.HOLIDAY.value: _WEEKEND_KEYS,
}


@dataclass(frozen=True)
class CallForecast:
    """Mean calls per half hour for each day profile (weekday0..weekday6, holiday, makeup_workday)."""

    profiles: Mapping[str, tuple[float, ...]]

    @classmethod
    def from_history(cls, call_times: Iterable[datetime]) -> CallForecast:
        """Average each profile over every day from the first call to the last (days without calls
        count as zero). Times are local (Asia/Shanghai) wall-clock times."""
        counts: dict[date, list[int]] = defaultdict(lambda: [0] * SLOTS_PER_DAY)
        for t in call_times:
            counts[t.date()][(t.hour * 60 + t.minute) // 30] += 1
        if not counts:
            raise ValueError("no call history")
        first, last = min(counts), max(counts)
        by_key: dict[str, list[list[int]]] = defaultdict(list)
        for i in range((last - first).days + 1):
            day = first + timedelta(days=i)
            by_key[_profile_key(day)].append(counts.get(day, [0] * SLOTS_PER_DAY))
        return cls({key: tuple(_mean_profile(days)) for key, days in by_key.items()})

    @classmethod
    def flat(cls, calls_per_day: float, shape: Sequence[float] = DEFAULT_INTRADAY_SHARE) -> CallForecast:
        """The same day every day: `calls_per_day` spread by an intraday shape."""
        profile = tuple(calls_per_day * s for s in shape)
        return cls({key: profile for key in _FALLBACK})

    def for_day(self, day: date) -> list[float]:
        key = _profile_key(day)
        if key in self.profiles:
            return list(self.profiles[key])
        similar = [self.profiles[k] for k in _FALLBACK[key] if k in self.profiles]
        return _mean_profile(similar or list(self.profiles.values()))

    def daily_total(self, day: date) -> float:
        return sum(self.for_day(day))


def _mean_profile(days: Sequence[Sequence[float]]) -> list[float]:
    return [fmean(slot) for slot in zip(*days, strict=True)]

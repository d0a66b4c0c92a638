"""China's working-day calendar (工作日), with the official holidays and make-up working days (调休).

The official schedule is published year by year. Known years come from the maintained
`chinese_calendar` package; operators load any other year's schedule as data (holidays and
make-up working days). A year nobody has loaded falls back to "Monday to Friday" and is reported
in `warnings`, so a deadline running into next year never crashes the hotline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from rexian.domain.clock import LOCAL_TZ


@dataclass(frozen=True)
class YearSchedule:
    """The official schedule of one year: days off beyond weekends, and weekend days worked."""

    year: int
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()  # make-up working days on weekends (调休上班)

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


def _package_is_working_day(day: date) -> bool | None:
    """The package's answer, or None for a year it does not know."""
    import chinese_calendar

    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


@dataclass
class WorkingCalendar:
    """Answers "is this a working day?" and counts working days; operator schedules win."""

    schedules: Mapping[int, YearSchedule] = field(default_factory=dict)
    use_package: bool = True
    warnings: set[int] = field(default_factory=set)  # years answered by the weekends-only fallback
    _known: dict[date, bool] = field(default_factory=dict, repr=False, compare=False)  # answers so far

    @classmethod
    def from_days(cls, days: Iterable[tuple[date, str]], use_package: bool = True) -> WorkingCalendar:
        """Build from (day, "holiday" | "workday") rows, as loaded by an operator."""
        by_year: dict[int, tuple[set[date], set[date]]] = {}
        for day, kind in days:
            holidays, workdays = by_year.setdefault(day.year, (set(), set()))
            (holidays if kind == "holiday" else workdays).add(day)
        schedules = {
            year: YearSchedule(year, frozenset(h), frozenset(w)) for year, (h, w) in by_year.items()
        }
        return cls(schedules=schedules, use_package=use_package)

    def is_working_day(self, day: date) -> bool:
        answer = self._known.get(day)
        if answer is None:
            answer = self._known[day] = self._lookup(day)
        return answer

    def _lookup(self, day: date) -> bool:
        schedule = self.schedules.get(day.year)
        if schedule is not None:
            return schedule.is_working_day(day)
        if self.use_package:
            answer = _package_is_working_day(day)
            if answer is not None:
                return answer
        self.warnings.add(day.year)
        return day.weekday() < 5

    def covers(self, year: int) -> bool:
        """True when the official schedule of `year` is known (loaded or packaged)."""
        if year in self.schedules:
            return True
        return self.use_package and _package_is_working_day(date(year, 6, 1)) is not None

    def next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """End (23:59:59 local) of the `days`-th working day after the day of `start`."""
        day = start.astimezone(LOCAL_TZ).date()
        for _ in range(days):
            day = self.next_working_day(day)
        return datetime.combine(day, time(23, 59, 59), tzinfo=LOCAL_TZ)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Working days whose whole or part lies in [start, end), counted by local date."""
        first = start.astimezone(LOCAL_TZ).date()
        last = end.astimezone(LOCAL_TZ).date()
        count, day = 0, first
        while day < last:
            if self.is_working_day(day):
                count += 1
            day += timedelta(days=1)
        return count

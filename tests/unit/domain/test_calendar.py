"""The working calendar: China's official holidays and make-up working days (调休), and years
nobody has published yet."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from rexian.domain.calendar import WorkingCalendar
from rexian.domain.clock import LOCAL_TZ


@pytest.mark.parametrize(("day", "working"), [
    # National Day 2026: Oct 1-7 off, Sat Oct 10 worked to make up, Thu 8 and Fri 9 ordinary.
    (date(2026, 9, 30), True),
    (date(2026, 10, 1), False),
    (date(2026, 10, 5), False),  # a Monday inside the holiday
    (date(2026, 10, 7), False),
    (date(2026, 10, 8), True),
    (date(2026, 10, 9), True),
    (date(2026, 10, 10), True),  # Saturday, make-up working day
    (date(2026, 10, 11), False),  # Sunday
    # Spring Festival 2026: Feb 15-23 off, Sat Feb 14 and Sat Feb 28 worked.
    (date(2026, 2, 13), True),
    (date(2026, 2, 14), True),
    (date(2026, 2, 15), False),
    (date(2026, 2, 17), False),  # 除夕 is the 16th, New Year's Day the 17th
    (date(2026, 2, 23), False),  # a Monday inside the holiday
    (date(2026, 2, 24), True),
    (date(2026, 2, 28), True),
    (date(2026, 3, 1), False),
])
def test_the_2026_official_schedule_is_followed(day: date, working: bool):
    calendar = WorkingCalendar()

    assert calendar.is_working_day(day) is working
    assert calendar.warnings == set()


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL_TZ)


@pytest.mark.parametrize(("start", "days", "due"), [
    # A complaint received Mon 2026-09-28 has 15 working days, counted from the next day:
    # Sep 29 (1), Sep 30 (2), Oct 1-7 holiday, Oct 8 (3), Oct 9 (4), Sat Oct 10 make-up day (5),
    # Oct 12-16 (6-10), Oct 19-23 (11-15): due at the end of Fri Oct 23.
    (local(2026, 9, 28, 10, 0), 15, local(2026, 10, 23, 23, 59, 59)),
    # Fri Oct 9 + 1: the make-up Saturday Oct 10 is the next working day.
    (local(2026, 10, 9, 16, 0), 1, local(2026, 10, 10, 23, 59, 59)),
    # Wed Sep 30 + 1 skips the whole National Day week.
    (local(2026, 9, 30, 9, 0), 1, local(2026, 10, 8, 23, 59, 59)),
    # Fri Feb 13 + 1 is Sat Feb 14 (make-up); + 2 jumps the Spring Festival to Tue Feb 24.
    (local(2026, 2, 13, 9, 0), 1, local(2026, 2, 14, 23, 59, 59)),
    (local(2026, 2, 13, 9, 0), 2, local(2026, 2, 24, 23, 59, 59)),
    # Fri Feb 27 + 1 is the make-up Sat Feb 28.
    (local(2026, 2, 27, 9, 0), 1, local(2026, 2, 28, 23, 59, 59)),
    # 23:30 UTC on Sep 29 is already Sep 30 in Shanghai: counting starts from the local date.
    (datetime.fromisoformat("2026-09-29T23:30:00+00:00"), 1, local(2026, 10, 8, 23, 59, 59)),
])
def test_working_days_are_added_across_holidays_and_make_up_days(start: datetime, days: int, due: datetime):
    assert WorkingCalendar().add_working_days(start, days) == due


def test_working_days_between_counts_only_working_days_by_local_date():
    calendar = WorkingCalendar()

    # Sep 28, 29, 30, Oct 8, 9, 10 (make-up Saturday); Oct 11 is the end date, not counted.
    assert calendar.working_days_between(local(2026, 9, 28, 9, 0), local(2026, 10, 11, 9, 0)) == 6


def test_a_year_without_a_published_schedule_falls_back_to_weekends_only_and_says_so():
    calendar = WorkingCalendar()

    assert not calendar.covers(2027)
    assert calendar.is_working_day(date(2027, 1, 1)) is True  # a Friday; the real 元旦 is unknown here
    assert calendar.is_working_day(date(2027, 1, 2)) is False  # Saturday
    assert calendar.add_working_days(local(2026, 12, 31, 10, 0), 3) == local(2027, 1, 5, 23, 59, 59)
    assert calendar.warnings == {2027}


def test_an_operator_loaded_schedule_is_used_for_a_year_the_package_does_not_know():
    calendar = WorkingCalendar.from_days([
        (date(2027, 1, 1), "holiday"),
        (date(2027, 2, 6), "holiday"),  # a Saturday listed as holiday changes nothing
        (date(2027, 2, 8), "holiday"),
        (date(2027, 2, 20), "workday"),  # a Saturday worked to make up
    ])

    assert calendar.covers(2027)
    assert calendar.is_working_day(date(2027, 1, 1)) is False
    assert calendar.is_working_day(date(2027, 2, 20)) is True
    assert calendar.is_working_day(date(2027, 2, 21)) is False
    # Thu Dec 31 2026 + 1: Jan 1 is off, Sat/Sun 2-3 too, so Mon Jan 4.
    assert calendar.add_working_days(local(2026, 12, 31, 10, 0), 1) == local(2027, 1, 4, 23, 59, 59)
    # Fri Feb 19 + 1 is the make-up Saturday.
    assert calendar.add_working_days(local(2027, 2, 19, 10, 0), 1) == local(2027, 2, 20, 23, 59, 59)
    assert calendar.warnings == set()


def test_an_operator_schedule_overrides_the_package_for_a_year_it_knows():
    calendar = WorkingCalendar.from_days([(date(2026, 10, 9), "holiday")])

    assert calendar.is_working_day(date(2026, 10, 9)) is False
    assert calendar.is_working_day(date(2026, 10, 1)) is True  # only the operator's rows count for 2026


def test_without_the_package_every_unloaded_year_is_weekends_only_and_reported():
    calendar = WorkingCalendar(use_package=False)

    assert not calendar.covers(2026)
    assert calendar.is_working_day(date(2026, 10, 1)) is True
    assert calendar.warnings == {2026}

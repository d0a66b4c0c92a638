"""Half-hour call forecasts on China's calendar, from real Beijing 12345 call times."""

import csv
from datetime import date, datetime

import pytest

from rexian.config import get_settings
from rexian.domain.callcentre.forecast import DEFAULT_INTRADAY_SHARE, CallForecast, DayKind, day_kind


def beijing_call_times() -> list[datetime]:
    path = get_settings().data_dir / "beijing12345" / "workorders_2024-08_09.csv"
    with path.open(encoding="utf-8") as f:
        stamps = [row["来电时间"] for row in csv.DictReader(f) if row["来电时间"]]
    formats = ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M:%S")
    return [next(d for fmt in formats if (d := _parse(s, fmt))) for s in stamps]


def _parse(s: str, fmt: str) -> datetime | None:
    try:
        return datetime.strptime(s, fmt)
    except ValueError:
        return None


@pytest.mark.parametrize(
    ("day", "kind"),
    [
        (date(2024, 9, 13), DayKind.WORKDAY),
        (date(2024, 9, 14), DayKind.MAKEUP_WORKDAY),  # Saturday worked for the Mid-Autumn break
        (date(2024, 9, 16), DayKind.HOLIDAY),
        (date(2024, 9, 21), DayKind.WEEKEND),
        (date(2027, 1, 1), DayKind.WORKDAY),  # beyond the published calendar: weekends only
        (date(2027, 1, 2), DayKind.WEEKEND),
    ],
)
def test_days_are_classified_on_china_s_official_calendar(day, kind):
    assert day_kind(day) is kind


def test_real_beijing_history_gives_busier_workdays_than_weekends_and_holidays():
    forecast = CallForecast.from_history(beijing_call_times())
    workday = forecast.daily_total(date(2024, 9, 10))  # a Tuesday
    assert workday > forecast.daily_total(date(2024, 9, 8))  # a Sunday
    assert workday > forecast.daily_total(date(2024, 10, 2))  # National Day week
    tuesday = forecast.for_day(date(2024, 9, 10))
    assert sum(tuesday[18:36]) > sum(tuesday[0:12])  # 09:00-18:00 busier than 00:00-06:00


def test_days_without_calls_count_as_zero_in_the_average():
    history = [datetime(2026, 3, 2, 9, 5)] * 4 + [
        datetime(2026, 3, 16, 9, 20)
    ] * 2  # Mondays, one empty between
    monday = CallForecast.from_history(history).for_day(date(2026, 3, 23))
    assert monday[18] == pytest.approx((4 + 0 + 2) / 3)


def test_a_make_up_working_day_borrows_the_workday_profile_when_history_has_none():
    history = [datetime(2026, 3, 2, 10, 0)] * 6 + [datetime(2026, 3, 3, 10, 0)] * 2  # Monday, Tuesday
    forecast = CallForecast.from_history(history)
    assert forecast.daily_total(date(2024, 9, 14)) == pytest.approx((6 + 2) / 2)


def test_a_flat_forecast_spreads_the_daily_volume_over_the_day():
    forecast = CallForecast.flat(35000)
    day = forecast.for_day(date(2026, 3, 2))
    assert sum(day) == pytest.approx(35000)
    assert len(day) == len(DEFAULT_INTRADAY_SHARE) == 48
    assert max(range(48), key=day.__getitem__) in range(16, 36)  # the peak falls in office hours

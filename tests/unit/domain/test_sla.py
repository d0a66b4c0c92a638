"""Time limits: reply deadlines per appeal type and urgency, sign-for and callback deadlines, and
the traffic lights shown on each."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from tests.factories import order_in, policy

from rexian.domain.calendar import WorkingCalendar
from rexian.domain.clock import LOCAL_TZ
from rexian.domain.sla import DeadlinePolicy, Light, TimeLimits
from rexian.domain.vocabulary import AppealType, Urgency
from rexian.domain.workorder import Status


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL_TZ)


RECEIVED = local(2026, 3, 2, 10, 0)  # Mon; March 2026 has no holiday, April 6 (清明) does


@pytest.mark.parametrize(("appeal_type", "due"), [
    (AppealType.CONSULTATION, local(2026, 3, 4, 23, 59, 59)),  # 2 working days: Tue, Wed
    (AppealType.HELP, local(2026, 3, 16, 23, 59, 59)),  # 10: two full weeks later, Monday
    (AppealType.SUGGESTION, local(2026, 3, 16, 23, 59, 59)),
    (AppealType.COMPLAINT, local(2026, 3, 23, 23, 59, 59)),  # 15: three weeks later
    (AppealType.REPORT, local(2026, 3, 23, 23, 59, 59)),
])
def test_a_normal_reply_is_due_in_working_days_by_appeal_type(appeal_type: AppealType, due: datetime):
    assert policy().reply_due(RECEIVED, appeal_type, Urgency.NORMAL) == due


@pytest.mark.parametrize(("urgency", "hours"), [(Urgency.URGENT, 24), (Urgency.EMERGENCY, 2)])
def test_an_urgent_reply_is_due_in_hours_whatever_the_calendar(urgency: Urgency, hours: int):
    national_day = local(2026, 10, 1, 22, 0)

    for appeal_type in AppealType:
        assert policy().reply_due(national_day, appeal_type, urgency) == national_day + timedelta(hours=hours)


def test_the_limits_are_configurable():
    limits = TimeLimits(reply_working_days={**TimeLimits().reply_working_days, AppealType.CONSULTATION: 1},
                        reply_hours={Urgency.URGENT: 12})
    custom = DeadlinePolicy(WorkingCalendar(), limits)

    assert custom.reply_due(RECEIVED, AppealType.CONSULTATION, Urgency.NORMAL) == local(2026, 3, 3, 23, 59, 59)
    assert custom.reply_due(RECEIVED, AppealType.HELP, Urgency.URGENT) == RECEIVED + timedelta(hours=12)
    assert custom.reply_due(RECEIVED, AppealType.HELP, Urgency.EMERGENCY) == local(2026, 3, 16, 23, 59, 59)


@pytest.mark.parametrize(("dispatched", "due"), [
    (local(2026, 3, 6, 16, 0), local(2026, 3, 9, 23, 59, 59)),  # Fri → Mon
    (local(2026, 9, 30, 16, 0), local(2026, 10, 8, 23, 59, 59)),  # over National Day
    (local(2026, 10, 9, 16, 0), local(2026, 10, 10, 23, 59, 59)),  # the make-up Saturday counts
])
def test_sign_for_is_due_within_one_working_day_of_dispatch(dispatched: datetime, due: datetime):
    assert policy().sign_due(dispatched, Urgency.NORMAL) == due


def test_an_urgent_order_must_be_signed_for_within_an_hour():
    dispatched = local(2026, 10, 3, 9, 0)

    assert policy().sign_due(dispatched, Urgency.EMERGENCY) == dispatched + timedelta(hours=1)


@pytest.mark.parametrize(("replied", "due"), [
    (local(2026, 3, 4, 15, 0), local(2026, 3, 5, 23, 59, 59)),
    (local(2026, 2, 13, 15, 0), local(2026, 2, 14, 23, 59, 59)),  # Fri → make-up Sat before Spring Festival
    (local(2026, 2, 14, 15, 0), local(2026, 2, 24, 23, 59, 59)),  # then over the whole holiday
])
def test_the_callback_is_due_one_working_day_after_the_reply(replied: datetime, due: datetime):
    assert policy().callback_due(replied) == due


START = local(2026, 3, 2, 0, 0)
DUE = START + timedelta(hours=100)


@pytest.mark.parametrize(("now", "light"), [
    (START, Light.GREEN),
    (START + timedelta(hours=74), Light.GREEN),  # 26 % of the time left
    (START + timedelta(hours=76), Light.YELLOW),  # 24 % left: under the 25 % threshold
    (DUE, Light.YELLOW),  # due now is not yet late
    (DUE + timedelta(seconds=1), Light.RED),
])
def test_a_deadline_turns_yellow_near_its_end_and_red_once_past(now: datetime, light: Light):
    assert policy().light(DUE, START, now) == light


def test_a_missing_deadline_has_no_light():
    assert policy().light(None, START, START) is None


def test_an_order_shows_a_light_only_on_its_running_deadlines():
    dispatched = order_in(Status.DISPATCHED)
    suspended = order_in(Status.SUSPENDED)
    replied = order_in(Status.REPLIED)
    now = dispatched.events[-1].at

    assert set(dispatched.lights(policy(), now)) == {"sign", "reply", "callback"}
    assert dispatched.lights(policy(), now) == {"sign": Light.GREEN, "reply": Light.GREEN, "callback": None}
    assert suspended.lights(policy(), now) == {"sign": None, "reply": None, "callback": None}
    assert replied.lights(policy(), now + timedelta(days=30)) == {"sign": None, "reply": None,
                                                                  "callback": Light.RED}

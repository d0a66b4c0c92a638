"""Time limits (办理时限): deadlines by appeal type and urgency, and their traffic lights.

Defaults follow the Guangdong 12345 rules: consultation 2, help and suggestion 10, complaint and
report 15 working days from receipt; urgent and emergency matters in hours; sign-for within 1
working day of dispatch; callback within 1 working day of the reply. All configurable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from rexian.domain.calendar import WorkingCalendar
from rexian.domain.clock import LOCAL_TZ
from rexian.domain.vocabulary import AppealType, Urgency


class Light(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


@dataclass(frozen=True)
class TimeLimits:
    """The configurable limits. Working days unless the name says hours."""

    reply_working_days: dict[AppealType, int] = field(
        default_factory=lambda: {
            AppealType.CONSULTATION: 2,
            AppealType.HELP: 10,
            AppealType.SUGGESTION: 10,
            AppealType.COMPLAINT: 15,
            AppealType.REPORT: 15,
        }
    )
    reply_hours: dict[Urgency, int] = field(
        default_factory=lambda: {Urgency.URGENT: 24, Urgency.EMERGENCY: 2}
    )
    sign_working_days: int = 1
    callback_working_days: int = 1
    return_window_working_days: int = 1  # a unit may return (退单) within this window after dispatch
    reopen_window_days: int = 30  # a closed order may be reopened for this many days
    yellow_fraction: float = 0.25  # yellow when less than this share of the allowed time is left


@dataclass(frozen=True)
class DeadlinePolicy:
    """Computes deadlines on the working calendar."""

    calendar: WorkingCalendar
    limits: TimeLimits = field(default_factory=TimeLimits)

    def reply_due(self, received_at: datetime, appeal_type: AppealType, urgency: Urgency) -> datetime:
        hours = self.limits.reply_hours.get(urgency)
        if hours is not None:
            return received_at + timedelta(hours=hours)
        return self.calendar.add_working_days(received_at, self.limits.reply_working_days[appeal_type])

    def sign_due(self, dispatched_at: datetime, urgency: Urgency) -> datetime:
        if urgency in self.limits.reply_hours:
            return dispatched_at + timedelta(hours=1)
        return self.calendar.add_working_days(dispatched_at, self.limits.sign_working_days)

    def callback_due(self, replied_at: datetime) -> datetime:
        return self.calendar.add_working_days(replied_at, self.limits.callback_working_days)

    def return_window_closes(self, dispatched_at: datetime) -> datetime:
        return self.calendar.add_working_days(dispatched_at, self.limits.return_window_working_days)

    def extend(self, due: datetime, working_days: int) -> datetime:
        """An approved extension moves the deadline by working days, keeping its local time of day."""
        local_due = due.astimezone(LOCAL_TZ)
        moved = self.calendar.add_working_days(local_due, working_days)
        return datetime.combine(moved.date(), local_due.timetz())

    def shift_for_suspension(self, due: datetime, suspended_at: datetime, resumed_at: datetime) -> datetime:
        """Suspension pauses the clock: the deadline moves by the working days spent suspended,
        or by the wall-clock pause when it did not span a working day."""
        paused = self.calendar.working_days_between(suspended_at, resumed_at)
        return self.extend(due, paused) if paused else due + (resumed_at - suspended_at)

    def light(self, due: datetime | None, started_at: datetime, now: datetime) -> Light | None:
        """Green while time is comfortable, yellow near the end, red when past due."""
        if due is None:
            return None
        if now > due:
            return Light.RED
        total = (due - started_at).total_seconds()
        left = (due - now).total_seconds()
        if total <= 0 or left / total < self.limits.yellow_fraction:
            return Light.YELLOW
        return Light.GREEN

"""The clock is injected everywhere time matters, so tests and simulations control it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def zoned(at: datetime | None) -> datetime | None:
    """A time given without a zone is a local (Beijing) time."""
    return at.replace(tzinfo=LOCAL_TZ) if at is not None and at.tzinfo is None else at


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Real time, timezone-aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to (tests, simulations, replays)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def advance(self, **kwargs: float) -> None:
        self._at += timedelta(**kwargs)

    def set(self, at: datetime) -> None:
        self._at = at

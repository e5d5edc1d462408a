"""Time: stored in UTC, shown in Japan time. The clock is injectable so tests can move it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def to_jst(value: datetime) -> datetime:
    return as_utc(value).astimezone(JST)


def jst_text(value: datetime) -> str:
    return to_jst(value).strftime("%Y-%m-%d %H:%M:%S JST")


class Clock:
    """The system clock; tests use ``FrozenClock``."""

    def now(self) -> datetime:
        return utcnow()


class FrozenClock(Clock):
    def __init__(self, at: datetime) -> None:
        self.at = as_utc(at)

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta

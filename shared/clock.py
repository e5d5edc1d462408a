"""Time: stored in UTC, shown in Japan time. The clock is injectable so tests can move it."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from shared.settings import Settings

JST = ZoneInfo("Asia/Tokyo")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_jst(value: datetime) -> datetime:
    return as_utc(value).astimezone(JST)


def jst_text(value: datetime) -> str:
    return to_jst(value).strftime("%Y-%m-%d %H:%M:%S JST")


class Clock:
    """The system clock; in-process tests use ``FrozenClock``.

    With an offset file (``TSUNAGI_CLOCK_FILE``, test mode only) it runs that many seconds
    ahead: every process of a test system reads the same file, so a test moves time for
    all of them at once instead of waiting (deadlines, escalations, idle sign-outs)."""

    # Re-reading the file at most this often keeps ``now()`` cheap on hot paths.
    RECHECK_S = 0.2

    def __init__(self, offset_file: Path | None = None) -> None:
        self.offset_file = offset_file
        self._offset = timedelta(0)
        self._checked = float("-inf")

    @classmethod
    def from_settings(cls, settings: Settings) -> Clock:
        return cls(settings.clock_file)

    def offset(self) -> timedelta:
        if self.offset_file is None:
            return timedelta(0)
        if time.monotonic() - self._checked >= self.RECHECK_S:
            self._checked = time.monotonic()
            try:
                self._offset = timedelta(seconds=float(self.offset_file.read_text(encoding="utf-8").strip() or 0))
            except (OSError, ValueError):
                self._offset = timedelta(0)
        return self._offset

    def now(self) -> datetime:
        return utcnow() + self.offset()


def set_clock_offset(offset_file: Path, seconds: float) -> None:
    """Moves every process reading ``offset_file`` to ``seconds`` ahead of real time
    (written atomically, so a reader never sees half a number)."""
    offset_file.parent.mkdir(parents=True, exist_ok=True)
    scratch = offset_file.with_suffix(".tmp")
    scratch.write_text(f"{seconds}\n", encoding="utf-8")
    os.replace(scratch, offset_file)


class FrozenClock(Clock):
    def __init__(self, at: datetime) -> None:
        super().__init__()
        self.at = as_utc(at)

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta

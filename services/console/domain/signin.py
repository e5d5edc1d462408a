"""Sign-in rules: slowing down and locking after failed attempts, idle sessions. No I/O.

Failures are counted per account id as typed, whether or not such an account exists,
so neither the answer nor the lockout tells an attacker which ids are real."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class LockoutPolicy:
    attempts: int  # consecutive failures that lock the id
    lock_for: timedelta

    def after_failure(self, failures_before: int, now: datetime) -> tuple[int, datetime | None]:
        """The new failure count and, once it reaches the limit, until when the id is locked."""
        failures = failures_before + 1
        return failures, (now + self.lock_for if failures >= self.attempts else None)

    @staticmethod
    def delay(failures: int) -> float:
        """Seconds to wait before answering a failed attempt: doubling, at most 4 s."""
        return float(min(0.25 * 2 ** max(failures - 1, 0), 4.0))


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and now < locked_until


def minutes_left(locked_until: datetime, now: datetime) -> int:
    return max(1, -(-int((locked_until - now).total_seconds()) // 60))


def is_idle(last_active_at: datetime, now: datetime, idle_timeout: timedelta) -> bool:
    return now - last_active_at >= idle_timeout


# A page view marks the session active at most this often (one write, not one per view).
ACTIVITY_RESOLUTION = timedelta(seconds=30)


def should_record_activity(last_active_at: datetime, now: datetime) -> bool:
    return now - last_active_at >= ACTIVITY_RESOLUTION

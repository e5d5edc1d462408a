"""How many business days a deadline leaves (what the agency's and the coordinator's
pages show as 「あと2営業日」 / 「1営業日超過」)."""

from __future__ import annotations

from datetime import datetime

from shared.calendar import JAPAN_PUBLIC
from shared.clock import JST

# Friday 2026-11-20; Monday 11/23 is 勤労感謝の日.
FRIDAY_NOON = datetime(2026, 11, 20, 12, tzinfo=JST)


def _end_of(day: int) -> datetime:
    return JAPAN_PUBLIC.end_of_day(datetime(2026, 11, day).date())


def test_days_left_count_business_days_only() -> None:
    assert JAPAN_PUBLIC.business_days_left(_end_of(20), FRIDAY_NOON) == 0  # due today
    assert JAPAN_PUBLIC.business_days_left(_end_of(24), FRIDAY_NOON) == 1  # the weekend and the holiday skipped
    assert JAPAN_PUBLIC.business_days_left(_end_of(25), FRIDAY_NOON) == 2


def test_past_the_deadline_counts_business_days_late_at_least_one() -> None:
    saturday = datetime(2026, 11, 21, 10, tzinfo=JST)
    assert JAPAN_PUBLIC.business_days_left(_end_of(20), saturday) == -1
    wednesday = datetime(2026, 11, 25, 10, tzinfo=JST)
    assert JAPAN_PUBLIC.business_days_left(_end_of(20), wednesday) == -2  # 11/24 and 11/25 begun

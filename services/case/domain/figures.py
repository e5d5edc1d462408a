"""PDCA arithmetic for supervisors: business days, durations, ageing buckets. No I/O."""

from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta

import holidays

from shared.clock import to_jst

ACCEPTANCE_DEADLINE_BUSINESS_DAYS = 3
AGEING_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-7日", 0, 7), ("8-30日", 8, 30), ("31-90日", 31, 90), ("91日以上", 91, None))

_JP_HOLIDAYS = holidays.country_holidays("JP")


def is_business_day(day: date) -> bool:
    """Weekdays that are not Japanese public holidays nor the year-end closure (12/29–1/3)."""
    if day.weekday() >= 5 or day in _JP_HOLIDAYS:
        return False
    return not ((day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3))


def business_deadline(start: datetime, business_days: int = ACCEPTANCE_DEADLINE_BUSINESS_DAYS) -> date:
    """The JST date by the end of which something started at ``start`` is due."""
    day = to_jst(start).date()
    counted = 0
    while counted < business_days:
        day += timedelta(days=1)
        if is_business_day(day):
            counted += 1
    return day


def accepted_within_deadline(requested_at: datetime, accepted_at: datetime) -> bool:
    return to_jst(accepted_at).date() <= business_deadline(requested_at)


def hours_between(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds() / 3600)


def duration_stats(hours: list[float]) -> dict[str, float | int | None]:
    if not hours:
        return {"count": 0, "median_hours": None, "mean_hours": None, "max_hours": None}
    return {"count": len(hours), "median_hours": round(statistics.median(hours), 1),
            "mean_hours": round(statistics.fmean(hours), 1), "max_hours": round(max(hours), 1)}


def ageing_bucket(days: int) -> str:
    for label, low, high in AGEING_BUCKETS:
        if days >= low and (high is None or days <= high):
            return label
    return AGEING_BUCKETS[-1][0]


def month_of(value: datetime) -> str:
    return f"{to_jst(value):%Y-%m}"

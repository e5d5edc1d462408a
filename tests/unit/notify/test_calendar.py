"""The business-day calendar (shared/calendar.py): JST, weekends, Japanese public
holidays, the year-end closure."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from shared.calendar import BusinessCalendar, hours_late, parse_month_day
from shared.clock import JST, as_utc

CAL = BusinessCalendar()


def jst(*args: int) -> datetime:
    return as_utc(datetime(*args, tzinfo=JST))


def test_weekends_holidays_and_closure_are_not_business_days() -> None:
    assert CAL.is_business_day(date(2026, 11, 20))  # Friday
    assert not CAL.is_business_day(date(2026, 11, 21))  # Saturday
    assert not CAL.is_business_day(date(2026, 11, 22))  # Sunday
    assert not CAL.is_business_day(date(2026, 11, 23))  # 勤労感謝の日 (Monday)
    assert CAL.holiday_name(date(2026, 11, 23)) is not None
    assert not CAL.is_business_day(date(2026, 12, 29))  # year-end closure, a Tuesday
    assert not CAL.is_business_day(date(2027, 1, 3))  # closure (and a Sunday)
    assert CAL.is_business_day(date(2027, 1, 4))  # Monday after the closure is open


def test_friday_before_a_holiday_weekend_is_due_end_of_tuesday() -> None:
    sent = jst(2026, 11, 20, 16, 0)  # Friday 16:00, Monday 11/23 is a holiday
    assert CAL.business_deadline(sent, 1) == jst(2026, 11, 25, 0, 0)  # 24:00 of Tuesday 11/24
    # A naive "+1 weekday" would have said Monday.
    assert CAL.business_deadline(sent, 1) > jst(2026, 11, 24, 0, 0)


def test_silver_week_counts_three_holidays_in_a_row() -> None:
    # 2026-09-21 (敬老の日), 22 (国民の休日), 23 (秋分の日): Fri 9/18 → Thu 9/24.
    assert CAL.business_deadline(jst(2026, 9, 18, 9, 0), 1) == jst(2026, 9, 25, 0, 0)


def test_golden_week() -> None:
    # 2026: 4/29 Wed holiday; 5/2–5/6 Sat..Wed (5/6 振替休日). Thu 4/30, Fri 5/1 are open.
    assert CAL.business_deadline(jst(2026, 4, 28, 10, 0), 1) == jst(2026, 5, 1, 0, 0)  # Thu 4/30
    assert CAL.business_deadline(jst(2026, 5, 1, 10, 0), 1) == jst(2026, 5, 8, 0, 0)  # Thu 5/7
    assert CAL.business_deadline(jst(2026, 5, 1, 10, 0), 3) == jst(2026, 5, 12, 0, 0)  # Mon 5/11


def test_year_end_closure_pushes_deadlines_into_january() -> None:
    # Mon 12/28 → closed 12/29–1/3 (then Sun 1/3), first business day Mon 1/4/2027.
    assert CAL.business_deadline(jst(2026, 12, 28, 15, 0), 1) == jst(2027, 1, 5, 0, 0)
    no_closure = BusinessCalendar(year_end_closure=None)
    assert no_closure.business_deadline(jst(2026, 12, 28, 15, 0), 1) == jst(2026, 12, 30, 0, 0)


def test_closure_is_configurable() -> None:
    cal = BusinessCalendar.from_config(
        {"year_end_closure": {"from": "12-28", "to": "01-05"}, "closed_days": ["2026-08-14"]}
    )
    assert not cal.is_business_day(date(2026, 12, 28))
    assert not cal.is_business_day(date(2027, 1, 5))
    assert not cal.is_business_day(date(2026, 8, 14))
    assert BusinessCalendar.from_config({"year_end_closure": None}).year_end_closure is None
    with pytest.raises(ValueError):
        BusinessCalendar.from_config({"year_end_closure": {"from": "13-01", "to": "01-03"}})
    with pytest.raises(ValueError):
        BusinessCalendar.from_config({"holidays": []})
    with pytest.raises(ValueError):
        parse_month_day("12/29")


def test_jst_not_utc_decides_the_day() -> None:
    # 2026-11-19 23:30 UTC is Friday 08:30 JST: it is a Friday request, not a Thursday one.
    assert CAL.business_deadline(datetime(2026, 11, 19, 23, 30, tzinfo=UTC), 1) == jst(2026, 11, 25, 0, 0)


def test_chained_deadline_moves_one_business_day() -> None:
    deadline = jst(2026, 11, 25, 0, 0)  # end of Tuesday
    assert CAL.business_deadline(deadline, 1) == jst(2026, 11, 26, 0, 0)  # end of Wednesday


def test_lateness_in_business_days_and_hours() -> None:
    deadline = jst(2026, 11, 20, 0, 0)  # end of Thursday 11/19
    assert CAL.business_days_late(deadline, deadline) == 0
    assert CAL.business_days_late(deadline, jst(2026, 11, 20, 10, 0)) == 1  # Friday in progress
    assert CAL.business_days_late(deadline, jst(2026, 11, 23, 10, 0)) == 1  # weekend + holiday do not count
    assert CAL.business_days_late(deadline, jst(2026, 11, 24, 10, 0)) == 2
    assert hours_late(deadline, deadline + timedelta(hours=5, minutes=30)) == 5.5
    assert hours_late(deadline, deadline - timedelta(hours=1)) == 0


def test_emergency_hours_are_clock_hours_even_on_holidays() -> None:
    from shared.spans import Span

    sent = jst(2026, 11, 22, 22, 0)  # Sunday night before a holiday
    assert Span(hours=4).after(sent, CAL) == jst(2026, 11, 23, 2, 0)


def test_business_days_between_counts_every_span_as_a_day_by_day_walk_would() -> None:
    calendar = BusinessCalendar.from_config({"closed_days": ["2026-08-14"]})

    def walked(first: date, last: date) -> int:
        count, day = 0, first
        while day < last:
            day += timedelta(days=1)
            count += calendar.is_business_day(day)
        return count

    rng = random.Random(22)
    for _ in range(2000):
        first = date(2016, 1, 1) + timedelta(days=rng.randrange(0, 5000))
        last = first + timedelta(days=rng.randrange(-40, 900))
        assert calendar.business_days_between(first, last) == walked(first, last), (first, last)

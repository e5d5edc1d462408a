"""Business hours (営業時間): only the office's opening hours of business days count —
spans in business hours, the hours a case has waited, the next opening."""

from __future__ import annotations

from datetime import datetime

import pytest

from shared.calendar import JAPAN_PUBLIC, BusinessCalendar
from shared.clock import JST, as_utc
from shared.spans import Span, SpanError


def jst(*parts: int) -> datetime:
    return as_utc(datetime(*parts, tzinfo=JST))  # type: ignore[misc]


# Friday 2026-11-20; Monday 11-23 is 勤労感謝の日.
FRIDAY_4PM = jst(2026, 11, 20, 16, 0)


def test_business_hours_skip_the_night_the_weekend_and_a_holiday() -> None:
    assert JAPAN_PUBLIC.business_hours_after(FRIDAY_4PM, 1) == jst(2026, 11, 20, 17, 0)
    # 1¼ h on Friday, then Tuesday from 8:30 (Saturday, Sunday and the holiday closed).
    assert JAPAN_PUBLIC.business_hours_after(FRIDAY_4PM, 4) == jst(2026, 11, 24, 11, 15)
    assert JAPAN_PUBLIC.business_hours_after(jst(2026, 11, 21, 10, 0), 1) == jst(2026, 11, 24, 9, 30)
    assert JAPAN_PUBLIC.business_hours_after(jst(2026, 11, 24, 7, 0), 0.5) == jst(2026, 11, 24, 9, 0)


def test_the_hours_between_two_moments_count_opening_hours_only() -> None:
    assert JAPAN_PUBLIC.business_hours_between(FRIDAY_4PM, jst(2026, 11, 24, 11, 15)) == pytest.approx(4.0)
    assert JAPAN_PUBLIC.business_hours_between(FRIDAY_4PM, jst(2026, 11, 23, 12, 0)) == pytest.approx(1.25)
    # A full business day in between counts its 8¾ hours.
    assert JAPAN_PUBLIC.business_hours_between(jst(2026, 11, 24, 17, 0), jst(2026, 11, 26, 9, 0)) == pytest.approx(
        0.25 + 8.75 + 0.5
    )
    assert JAPAN_PUBLIC.business_hours_between(jst(2026, 11, 24, 12, 0), jst(2026, 11, 24, 11, 0)) == 0.0


def test_the_next_opening_is_now_while_open_else_the_next_business_morning() -> None:
    assert JAPAN_PUBLIC.next_open(jst(2026, 11, 24, 10, 0)) == jst(2026, 11, 24, 10, 0)
    assert JAPAN_PUBLIC.next_open(jst(2026, 11, 21, 0, 0)) == jst(2026, 11, 24, 8, 30)
    assert JAPAN_PUBLIC.next_open(jst(2026, 12, 28, 18, 0)) == jst(2027, 1, 4, 8, 30)  # 年末年始


def test_office_hours_are_configurable_and_checked() -> None:
    late = BusinessCalendar.from_config({"office_hours": {"from": "09:00", "to": "18:00"}})
    assert late.business_hours_after(FRIDAY_4PM, 4) == jst(2026, 11, 24, 11, 0)
    for bad in ({"from": "18:00", "to": "09:00"}, {"from": "9時", "to": "18:00"}, {"to": "18:00"}):
        with pytest.raises(ValueError):
            BusinessCalendar.from_config({"office_hours": bad})


def test_a_span_in_business_hours() -> None:
    span = Span.from_config({"business_hours": 4})
    assert span.after(FRIDAY_4PM, JAPAN_PUBLIC) == jst(2026, 11, 24, 11, 15)
    assert span.describe() == "4営業時間"
    for bad in ({"business_hours": 0}, {"business_hours": True}, {"business_hours": "4"}):
        with pytest.raises(SpanError, match="business_hours must be a number > 0"):
            Span.from_config(bad)

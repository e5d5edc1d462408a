"""Dates and deadlines as the console shows them: Japan time, Japanese words."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.console.entrypoints.formatting import (
    FILTERS,
    business_days_left,
    datetime_local_value,
    days_waiting,
    elapsed_days,
    hours_left,
    jst_date,
    jst_datetime,
    jst_time,
    parse_datetime_local,
    parse_time,
)
from shared.clock import JST, jst_text

UTC = UTC
EXPECTED = datetime(2026, 12, 2, 5, 5, tzinfo=UTC)  # 2026年12月2日(水) 14:05 JST


@pytest.mark.parametrize(
    "value",
    [
        EXPECTED,
        datetime(2026, 12, 2, 14, 5, tzinfo=JST),
        datetime(2026, 12, 2, 5, 5),  # naive: stored UTC (SQLite)
        "2026-12-02T05:05:00Z",
        "2026-12-02T05:05:00+00:00",
        "2026-12-02T14:05:00+09:00",
        "2026-12-02T05:05:00",  # naive ISO text: UTC
        "2026-12-02 14:05:00 JST",
        "2026-12-02 14:05 JST",
        "  2026-12-02 14:05:00 JST ",
    ],
)
def test_parse_time_reads_every_form_the_services_send(value: datetime | str) -> None:
    parsed = parse_time(value)
    assert parsed == EXPECTED
    assert parsed is not None and parsed.utcoffset() == timedelta(0)


def test_parse_time_reads_what_shared_clock_writes() -> None:
    assert parse_time(jst_text(EXPECTED)) == EXPECTED


@pytest.mark.parametrize("value", [None, "", "   "])
def test_missing_times_are_none_and_show_as_nothing(value: str | None) -> None:
    assert parse_time(value) is None
    assert jst_datetime(value) == ""
    assert jst_date(value) == ""
    assert jst_time(value) == ""


@pytest.mark.parametrize("value", ["昨日", "2026-13-02T00:00:00Z", "2026/12/02 14:05"])
def test_unreadable_time_text_is_an_error_not_a_blank(value: str) -> None:
    with pytest.raises(ValueError):
        parse_time(value)


def test_datetime_in_japanese_with_weekday() -> None:
    assert jst_datetime("2026-12-02T05:05:00Z") == "2026年12月2日(水) 14:05"
    assert jst_date("2026-12-02T05:05:00Z") == "2026年12月2日(水)"
    assert jst_time("2026-12-02T05:05:00Z") == "14:05"


def test_single_digit_hours_keep_two_digits() -> None:
    assert jst_datetime("2026-12-02T00:07:00Z") == "2026年12月2日(水) 09:07"


@pytest.mark.parametrize(
    ("utc", "shown"),
    [
        # 15:00 UTC is already the next day in Japan.
        ("2026-12-01T14:59:00Z", "2026年12月1日(火) 23:59"),
        ("2026-12-01T15:00:00Z", "2026年12月2日(水) 00:00"),
        # Midnight UTC is 9 o'clock the same day in Japan.
        ("2026-12-02T00:00:00Z", "2026年12月2日(水) 09:00"),
    ],
)
def test_midnight_in_japan_is_not_midnight_utc(utc: str, shown: str) -> None:
    assert jst_datetime(utc) == shown


def test_year_boundary_follows_japan_time() -> None:
    assert jst_datetime("2026-12-31T14:59:00Z") == "2026年12月31日(木) 23:59"
    assert jst_datetime("2026-12-31T15:00:00Z") == "2027年1月1日(金) 00:00"
    assert jst_date("2026-12-31T15:00:00Z") == "2027年1月1日(金)"


@pytest.mark.parametrize(
    ("day", "weekday"),
    [(30, "月"), (1, "火"), (2, "水"), (3, "木"), (4, "金"), (5, "土"), (6, "日")],
)
def test_each_weekday(day: int, weekday: str) -> None:
    month = 11 if day == 30 else 12
    moment = datetime(2026, month, day, 12, 0, tzinfo=JST)
    assert jst_date(moment) == f"2026年{month}月{day}日({weekday})"


def test_a_plain_date_is_never_shifted_by_a_time_zone() -> None:
    assert jst_date(date(2026, 12, 31)) == "2026年12月31日(木)"


def test_days_waiting() -> None:
    assert days_waiting(0) == "今日"
    assert days_waiting(1) == "1日"
    assert days_waiting(12) == "12日"
    assert days_waiting(None) == ""


def test_business_days_left() -> None:
    assert business_days_left(2) == "あと2営業日"
    assert business_days_left(1) == "あと1営業日"
    assert business_days_left(0) == "今日まで"
    assert business_days_left(-3) == "3営業日超過"
    assert business_days_left(None) == ""


def test_hours_left_for_urgent_cases() -> None:
    assert hours_left(5) == "あと5時間"
    assert hours_left(0) == "1時間以内"
    assert hours_left(-2) == "2時間超過"
    assert hours_left(None) == ""


def test_elapsed_days_count_japan_calendar_days() -> None:
    now = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # 10:00 JST on the 2nd
    assert elapsed_days("2026-12-01T15:30:00Z", now) == 0  # 00:30 JST the same day
    assert elapsed_days("2026-12-01T14:30:00Z", now) == 1  # 23:30 JST the day before
    assert elapsed_days("2026-11-20 09:00:00 JST", now) == 12
    assert elapsed_days(None, now) is None


def test_datetime_local_round_trip_in_japan_time() -> None:
    assert datetime_local_value("2026-12-31T15:00:00Z") == "2027-01-01T00:00"
    assert parse_datetime_local("2027-01-01T00:00") == datetime(2026, 12, 31, 15, 0, tzinfo=UTC)
    assert parse_datetime_local(datetime_local_value(EXPECTED)) == EXPECTED
    assert datetime_local_value(None) == ""
    assert parse_datetime_local("  ") is None


@pytest.mark.parametrize("text", ["明日", "2026-12-02T14:05+09:00", "2026-12-02T25:00"])
def test_datetime_local_rejects_what_the_input_cannot_send(text: str) -> None:
    with pytest.raises(ValueError):
        parse_datetime_local(text)


def test_filters_are_registered_under_their_names() -> None:
    assert set(FILTERS) == {
        "jst_datetime",
        "jst_date",
        "jst_time",
        "days_waiting",
        "business_days_left",
        "hours_left",
        "datetime_local_value",
    }
    assert all(FILTERS[name].__name__ == name for name in FILTERS)

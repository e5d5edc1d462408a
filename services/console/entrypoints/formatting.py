"""How the console writes times and deadlines: Japan time, Japanese dates, plain words.

Pure functions, registered as Jinja filters by the console (``FILTERS``). The services
hand over times as aware datetimes, ISO-8601 strings (``Z`` or an offset; naive means
UTC, as everything is stored in UTC) or their own ``"2026-12-02 14:05:00 JST"`` text;
pages show ``2026年12月2日(水) 14:05`` and deadlines as ``あと2営業日`` / ``3営業日超過``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from shared.clock import JST

WEEKDAYS = "月火水木金土日"  # date.weekday(): Monday is 0

# shared.clock.jst_text writes "%Y-%m-%d %H:%M:%S JST"; seconds are optional here.
_JST_TEXT = re.compile(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?\s*JST")


def parse_time(value: datetime | str | None) -> datetime | None:
    """An aware UTC datetime, or None for a missing value (None or blank text).

    Text that is neither ISO-8601 nor the services' JST form raises ValueError: a
    malformed time from an API is a bug to see, not a blank to hide.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return _as_utc(value)
    text = value.strip()
    if not text:
        return None
    match = _JST_TEXT.fullmatch(text)
    if match:
        year, month, day, hour, minute, second = (int(part or 0) for part in match.groups())
        return datetime(year, month, day, hour, minute, second, tzinfo=JST).astimezone(UTC)
    return _as_utc(datetime.fromisoformat(text))


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _jst_day(value: datetime | date | str | None) -> date | None:
    # A plain date is already a calendar day: shown as is, never shifted by a time zone.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    moment = parse_time(value)
    return None if moment is None else moment.astimezone(JST).date()


def _japanese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日({WEEKDAYS[day.weekday()]})"


def jst_date(value: datetime | date | str | None) -> str:
    """「2026年12月2日(水)」 in Japan time; "" when there is no value."""
    day = _jst_day(value)
    return "" if day is None else _japanese_date(day)


def jst_datetime(value: datetime | str | None) -> str:
    """「2026年12月2日(水) 14:05」 in Japan time; "" when there is no value."""
    moment = parse_time(value)
    if moment is None:
        return ""
    local = moment.astimezone(JST)
    return f"{_japanese_date(local.date())} {local:%H:%M}"


def jst_time(value: datetime | str | None) -> str:
    """「14:05」 in Japan time, for entries under a day's heading; "" when there is no value."""
    moment = parse_time(value)
    return "" if moment is None else f"{moment.astimezone(JST):%H:%M}"


def datetime_local_value(value: datetime | str | None) -> str:
    """「2026-12-02T14:05」 (Japan time): the value an <input type="datetime-local"> shows."""
    moment = parse_time(value)
    return "" if moment is None else f"{moment.astimezone(JST):%Y-%m-%dT%H:%M}"


def parse_datetime_local(text: str | None) -> datetime | None:
    """What a datetime-local input sends (Japan time, no zone) → aware UTC; None if blank.

    Raises ValueError for anything else, for the form to show as a field error.
    """
    if text is None or not text.strip():
        return None
    local = datetime.fromisoformat(text.strip())
    if local.tzinfo is not None:
        raise ValueError("datetime-local values carry no time zone")
    return local.replace(tzinfo=JST).astimezone(UTC)


def days_waiting(days: int | None) -> str:
    """How long something has waited: 「今日」 for less than a day, else 「12日」."""
    if days is None:
        return ""
    return "今日" if days <= 0 else f"{days}日"


def business_days_left(days: int | None) -> str:
    """「あと2営業日」, 「今日まで」 on the last day, 「3営業日超過」 once past."""
    if days is None:
        return ""
    if days > 0:
        return f"あと{days}営業日"
    if days == 0:
        return "今日まで"
    return f"{-days}営業日超過"


def hours_left(hours: int | None) -> str:
    """For 緊急 deadlines counted in whole hours: 「あと5時間」, 「1時間以内」, 「2時間超過」."""
    if hours is None:
        return ""
    if hours > 0:
        return f"あと{hours}時間"
    if hours == 0:
        return "1時間以内"
    return f"{-hours}時間超過"


def elapsed_days(since: datetime | str | None, now: datetime) -> int | None:
    """Whole days between two moments, counted on Japan's calendar (for days_waiting)."""
    start = parse_time(since)
    if start is None:
        return None
    return (_as_utc(now).astimezone(JST).date() - start.astimezone(JST).date()) // timedelta(days=1)


FILTERS = {
    "jst_datetime": jst_datetime,
    "jst_date": jst_date,
    "jst_time": jst_time,
    "days_waiting": days_waiting,
    "business_days_left": business_days_left,
    "hours_left": hours_left,
    "datetime_local_value": datetime_local_value,
}

"""Business days in Japan time (営業日): Saturdays, Sundays, Japanese public holidays
(from the maintained ``holidays`` library) and the year-end closure (年末年始,
12/29–1/3 by default, configurable) are not business days.

The deadline rule, used by follow-ups and reusable by the PDCA figures:

- "within N business days" of a moment ends at **24:00 JST of the Nth business day
  after the JST date of that moment** (the day itself never counts). A referral sent
  on Friday 16:00 before a Monday holiday, with N = 1, is due at the end of Tuesday.
- An instant at exactly 24:00 belongs to the day that ends then, so chaining
  deadlines ("one more business day after that deadline") moves one business day.
- "within H hours" is plain clock time: emergencies (緊急) do not wait for business
  days.
- "within H business hours" counts only the office's opening hours (8:30–17:15 JST by
  default, configurable) of business days: a case received on Friday evening before a
  holiday Monday starts waiting on Tuesday at opening.

Everything returned is timezone-aware UTC; the JST view is only for the calendar.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property, lru_cache
from typing import Any

import holidays

from shared.clock import JST, as_utc

MonthDay = tuple[int, int]
DEFAULT_YEAR_END_CLOSURE: tuple[MonthDay, MonthDay] = ((12, 29), (1, 3))
DEFAULT_OFFICE_HOURS: tuple[time, time] = (time(8, 30), time(17, 15))
_TINY = timedelta(microseconds=1)
# Running counts of business days start here (any year works; this keeps the recursion short).
_FIRST_YEAR = 2020


@lru_cache(maxsize=1)
def _japan_holidays() -> holidays.HolidayBase:
    return holidays.Japan()  # expands to new years on demand


def load_holidays() -> None:
    """Load the holiday data now. The first ``holidays.Japan()`` imports its country
    module: about 0.1 s of CPU, which otherwise the first deadline a process computes
    (its first referral) pays — and every event queued behind it waits. Services that
    compute business-day deadlines call this while they start."""
    _japan_holidays().get(date.today())


def parse_month_day(text: str) -> MonthDay:
    """``"12-29"`` → (12, 29); raises ValueError with the offending text."""
    try:
        month, day = (int(part) for part in str(text).split("-"))
        date(2000, month, day)  # a leap year, so 02-29 is allowed
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a month-day like 12-29: {text!r}") from exc
    return month, day


def parse_clock(text: Any) -> time:
    """``"08:30"`` → 08:30; raises ValueError with the offending text."""
    try:
        hour, minute = (int(part) for part in str(text).split(":"))
        return time(hour, minute)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a time of day like 08:30: {text!r}") from exc


def _office_hours(raw: Any) -> tuple[time, time]:
    if not isinstance(raw, dict) or set(raw) != {"from", "to"}:
        raise ValueError("office_hours must be {from: HH:MM, to: HH:MM}")
    opens, closes = parse_clock(raw["from"]), parse_clock(raw["to"])
    if opens >= closes:
        raise ValueError(f"office_hours: opening {raw['from']!r} must be before closing {raw['to']!r}")
    return opens, closes


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        raise ValueError(f"closed_days: not a date like 2026-08-14: {value!r}")
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError(f"closed_days: not a date like 2026-08-14: {value!r}") from exc


@dataclass(frozen=True)
class BusinessCalendar:
    """Japan's public calendar plus a closure period and any extra closed days, and the
    office's opening hours on a business day (for spans in business hours)."""

    year_end_closure: tuple[MonthDay, MonthDay] | None = DEFAULT_YEAR_END_CLOSURE
    closed_days: frozenset[date] = field(default_factory=frozenset)
    office_hours: tuple[time, time] = DEFAULT_OFFICE_HOURS

    @classmethod
    def from_config(cls, config: dict[str, Any] | None) -> BusinessCalendar:
        """``{year_end_closure: {from: "12-29", to: "01-03"} | null, closed_days: [2026-08-14],
        office_hours: {from: "08:30", to: "17:15"}}``"""
        config = dict(config or {})
        closure: tuple[MonthDay, MonthDay] | None = DEFAULT_YEAR_END_CLOSURE
        if "year_end_closure" in config:
            raw = config.pop("year_end_closure")
            if raw is None:
                closure = None
            elif isinstance(raw, dict) and set(raw) == {"from", "to"}:
                closure = (parse_month_day(raw["from"]), parse_month_day(raw["to"]))
            else:
                raise ValueError("year_end_closure must be {from: MM-DD, to: MM-DD} or null")
        listed = config.pop("closed_days", None) or []
        if not isinstance(listed, list):
            raise ValueError(f"closed_days must be a list of dates like [2026-08-14], got {listed!r}")
        days = frozenset(_date(d) for d in listed)
        office = _office_hours(config.pop("office_hours")) if "office_hours" in config else DEFAULT_OFFICE_HOURS
        if config:
            raise ValueError(f"unknown calendar settings: {sorted(config)}")
        return cls(year_end_closure=closure, closed_days=days, office_hours=office)

    # Days ---------------------------------------------------------------------------
    def in_closure(self, day: date) -> bool:
        if self.year_end_closure is None:
            return False
        start, end = self.year_end_closure
        md = (day.month, day.day)
        if start <= end:
            return start <= md <= end
        return md >= start or md <= end  # wraps over New Year

    def holiday_name(self, day: date) -> str | None:
        return _japan_holidays().get(day)

    def is_business_day(self, day: date) -> bool:
        return (
            day.weekday() < 5
            and self.holiday_name(day) is None
            and not self.in_closure(day)
            and day not in self.closed_days
        )

    def nth_business_day_after(self, day: date, n: int) -> date:
        if n < 0:
            raise ValueError("n must not be negative")
        found = 0
        while found < n:
            day += timedelta(days=1)
            if self.is_business_day(day):
                found += 1
        return day

    # Instants -----------------------------------------------------------------------
    @staticmethod
    def jst_day_of(moment: datetime) -> date:
        """The JST date an instant belongs to; 24:00 belongs to the day ending then."""
        return (as_utc(moment) - _TINY).astimezone(JST).date()

    @staticmethod
    def end_of_day(day: date) -> datetime:
        """24:00 JST of ``day``, as UTC."""
        return as_utc(datetime.combine(day + timedelta(days=1), time(0), tzinfo=JST))

    def business_deadline(self, start: datetime, business_days: int) -> datetime:
        """End (24:00 JST) of the Nth business day after the day of ``start``."""
        return self.end_of_day(self.nth_business_day_after(self.jst_day_of(start), business_days))

    def business_days_late(self, deadline: datetime, now: datetime) -> int:
        """How many business days have begun since ``deadline`` (the day in progress
        counts): 0 while not yet late."""
        if as_utc(now) <= as_utc(deadline):
            return 0
        return self.business_days_between(self.jst_day_of(deadline), as_utc(now).astimezone(JST).date())

    def business_days_left(self, deadline: datetime, now: datetime) -> int:
        """Business days after today up to the deadline's day (0: due today); once past
        it, minus the business days late (at least one)."""
        if as_utc(now) > as_utc(deadline):
            return -max(self.business_days_late(deadline, now), 1)
        return self.business_days_between(as_utc(now).astimezone(JST).date(), self.jst_day_of(deadline))

    # Business hours -----------------------------------------------------------------
    def _open_span(self, day: date) -> tuple[datetime, datetime] | None:
        """The office's opening hours of ``day`` as UTC instants; None when it is closed."""
        if not self.is_business_day(day):
            return None
        opens, closes = self.office_hours
        return (
            as_utc(datetime.combine(day, opens, tzinfo=JST)),
            as_utc(datetime.combine(day, closes, tzinfo=JST)),
        )

    def business_hours_after(self, start: datetime, hours: float) -> datetime:
        """The instant when ``hours`` of opening hours have passed since ``start``."""
        left = timedelta(hours=hours)
        moment = as_utc(start)
        day = moment.astimezone(JST).date()
        while True:
            span = self._open_span(day)
            if span is not None and moment < span[1]:
                begin = max(moment, span[0])
                if begin + left <= span[1]:
                    return begin + left
                left -= span[1] - begin
            day += timedelta(days=1)

    def next_open(self, moment: datetime) -> datetime:
        """``moment`` if the office is open then, else its next opening."""
        return self.business_hours_after(moment, 0)

    def business_hours_between(self, start: datetime, end: datetime) -> float:
        """Opening hours between two instants (0 when ``end`` is not after ``start``)."""
        first, last = as_utc(start), as_utc(end)
        if last <= first:
            return 0.0
        first_day, last_day = first.astimezone(JST).date(), last.astimezone(JST).date()
        opens, closes = self.office_hours
        full_day = (datetime.combine(first_day, closes) - datetime.combine(first_day, opens)).total_seconds()
        total = 0.0
        for day in (first_day, last_day) if last_day > first_day else (first_day,):
            span = self._open_span(day)
            if span is not None:
                total += max(0.0, (min(last, span[1]) - max(first, span[0])).total_seconds())
        if last_day > first_day:
            total += full_day * self.business_days_between(first_day, last_day - timedelta(days=1))
        return total / 3600

    def business_days_between(self, first: date, last: date) -> int:
        """Business days after ``first`` up to and including ``last``: a difference of two
        running counts (each year's counted once), so a long overdue list costs no more
        per row than a short one."""
        if last <= first:
            return 0
        return self._running_count(last) - self._running_count(first)

    def _running_count(self, day: date) -> int:
        """Business days from 1 January of ``day``'s year up to and including ``day``,
        plus those of every earlier year since ``_FIRST_YEAR`` (a constant offset
        before it: only differences are used)."""
        return self._year_start(day.year) + self._year_counts(day.year)[day.timetuple().tm_yday - 1]

    def _year_counts(self, year: int) -> list[int]:
        cache = self._cache
        if year not in cache:
            day, running, counts = date(year, 1, 1), 0, []
            while day.year == year:
                running += self.is_business_day(day)
                counts.append(running)
                day += timedelta(days=1)
            cache[year] = counts
        return cache[year]

    def _year_start(self, year: int) -> int:
        if year <= _FIRST_YEAR:
            return -sum(self._year_counts(y)[-1] for y in range(year, _FIRST_YEAR))
        return self._year_start(year - 1) + self._year_counts(year - 1)[-1]

    @cached_property
    def _cache(self) -> dict[int, list[int]]:
        return {}


def hours_late(deadline: datetime, now: datetime) -> float:
    """Clock hours past the deadline, rounded down to a tenth; 0 while not late."""
    seconds = (as_utc(now) - as_utc(deadline)).total_seconds()
    return math.floor(max(seconds, 0.0) / 360) / 10


JAPAN_PUBLIC = BusinessCalendar()

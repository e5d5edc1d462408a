"""Reporting periods of the PDCA figures (集計期間), in Japan time. No I/O.

A period is a month, a quarter or a fiscal year (年度). The city's fiscal year starts in
April, so January–March belong to the fiscal year that began the April before, and the
quarters are Apr–Jun (第1四半期), Jul–Sep, Oct–Dec and Jan–Mar (第4四半期). Every period
is chosen by any month inside it and runs from 00:00 JST of its first day to 24:00 JST
of its last; both services count with these bounds, so their figures line up."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from shared.clock import JST, to_jst
from shared.errors import InvalidInput

PeriodKind = Literal["month", "quarter", "fiscal_year"]
PERIOD_KINDS: tuple[PeriodKind, ...] = ("month", "quarter", "fiscal_year")
FISCAL_YEAR_START_MONTH = 4
# Bounds for ``at``: anything outside is a typing mistake, and the arithmetic stays in range.
FIRST_YEAR, LAST_YEAR = 2000, 2099
_MONTH_TEXT = re.compile(r"([0-9]{4})-([0-9]{2})")
_LENGTH = {"month": 1, "quarter": 3, "fiscal_year": 12}


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str, *, field: str = "at") -> Month:
        """``"2026-12"`` → Month(2026, 12); anything else is a 422 on ``field``."""
        found = _MONTH_TEXT.fullmatch(text.strip())
        if found is None or not 1 <= int(found[2]) <= 12 or not FIRST_YEAR <= int(found[1]) <= LAST_YEAR:
            raise InvalidInput(
                f"「{text}」は年月として読めません。{FIRST_YEAR}-01〜{LAST_YEAR}-12 の範囲で、"
                "2026-12 のように YYYY-MM の形で指定してください。",
                field=field,
            )
        return cls(int(found[1]), int(found[2]))

    @classmethod
    def of(cls, moment: datetime) -> Month:
        """The JST month an instant falls in."""
        local = to_jst(moment)
        return cls(local.year, local.month)

    def shifted(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        following = self.shifted(1)
        return date.fromordinal(date(following.year, following.month, 1).toordinal() - 1)

    @property
    def starts_at(self) -> datetime:
        """00:00 JST of the first day, as UTC."""
        return datetime(self.year, self.month, 1, tzinfo=JST).astimezone(UTC)

    @property
    def fiscal_year(self) -> int:
        return self.year if self.month >= FISCAL_YEAR_START_MONTH else self.year - 1

    @property
    def text(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"

    def as_dict(self) -> dict[str, str]:
        return {
            "month": self.text,
            "label": self.label,
            "start": self.first_day.isoformat(),
            "end": self.last_day.isoformat(),
        }


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    first: Month  # the period's first month

    @classmethod
    def containing(cls, kind: PeriodKind, month: Month) -> Period:
        if kind == "month":
            return cls(kind, month)
        # Months since the fiscal year began (April = 0), then back to the period's start.
        into_year = (month.month - FISCAL_YEAR_START_MONTH) % 12
        return cls(kind, month.shifted(-(into_year % _LENGTH[kind])))

    @property
    def months(self) -> tuple[Month, ...]:
        return tuple(self.first.shifted(i) for i in range(_LENGTH[self.kind]))

    @property
    def last(self) -> Month:
        return self.first.shifted(_LENGTH[self.kind] - 1)

    @property
    def start(self) -> date:
        return self.first.first_day

    @property
    def end(self) -> date:
        """The last day, inclusive."""
        return self.last.last_day

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """[00:00 JST of the first day, 00:00 JST after the last day), as UTC."""
        return self.first.starts_at, self.last.shifted(1).starts_at

    @property
    def quarter(self) -> int:
        """1–4 within the fiscal year (第1四半期 = April–June)."""
        return (self.first.month - FISCAL_YEAR_START_MONTH) % 12 // 3 + 1

    @property
    def label(self) -> str:
        if self.kind == "month":
            return self.first.label
        if self.kind == "quarter":
            return f"{self.first.fiscal_year}年度 第{self.quarter}四半期({self.first.month}〜{self.last.month}月)"
        return f"{self.first.fiscal_year}年度"

    def previous(self) -> Period:
        """The period of the same kind just before (Q1's is the previous fiscal year's Q4)."""
        return Period(self.kind, self.first.shifted(-_LENGTH[self.kind]))

    def chart_months(self) -> tuple[Month, ...]:
        """The months a chart of this period draws: a month is seen against the 12 months
        ending with it; a quarter or a fiscal year month by month."""
        if self.kind == "month":
            return tuple(self.first.shifted(i) for i in range(-11, 1))
        return self.months

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "label": self.label, "start": self.start.isoformat(), "end": self.end.isoformat()}


def months_between(first: Month, last: Month) -> tuple[Month, ...]:
    """Every month from ``first`` to ``last``, both included."""
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    return tuple(first.shifted(i) for i in range(max(count, 0)))


def month_boundaries(months: tuple[Month, ...]) -> list[datetime]:
    """The UTC instants that cut consecutive months apart: n months → n + 1 instants."""
    if not months:
        return []
    return [m.starts_at for m in months] + [months[-1].shifted(1).starts_at]

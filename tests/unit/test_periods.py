"""Reporting periods (shared/periods.py): months, quarters and fiscal years starting in April."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from shared.errors import InvalidInput
from shared.periods import PERIOD_KINDS, Month, Period, month_boundaries, months_between

EVERY_MONTH = months_between(Month(2000, 1), Month(2099, 12))


def test_month_arithmetic_crosses_years() -> None:
    assert Month(2026, 12).shifted(1) == Month(2027, 1)
    assert Month(2027, 1).shifted(-1) == Month(2026, 12)
    assert Month(2026, 4).shifted(-28) == Month(2023, 12)
    assert Month(2028, 2).last_day == date(2028, 2, 29) and Month(2026, 2).last_day == date(2026, 2, 28)
    assert Month(2026, 12).last_day == date(2026, 12, 31)
    assert len(EVERY_MONTH) == 1200 and months_between(Month(2026, 5), Month(2026, 4)) == ()


def test_january_to_march_belong_to_the_previous_fiscal_year() -> None:
    assert [Month(2027, m).fiscal_year for m in (1, 2, 3, 4)] == [2026, 2026, 2026, 2027]
    assert Month(2026, 12).fiscal_year == 2026


@pytest.mark.parametrize(
    ("at", "first", "last", "label"),
    [
        (Month(2026, 4), Month(2026, 4), Month(2026, 6), "2026年度 第1四半期(4〜6月)"),
        (Month(2026, 6), Month(2026, 4), Month(2026, 6), "2026年度 第1四半期(4〜6月)"),
        (Month(2026, 7), Month(2026, 7), Month(2026, 9), "2026年度 第2四半期(7〜9月)"),
        (Month(2026, 11), Month(2026, 10), Month(2026, 12), "2026年度 第3四半期(10〜12月)"),
        (Month(2027, 1), Month(2027, 1), Month(2027, 3), "2026年度 第4四半期(1〜3月)"),
        (Month(2027, 3), Month(2027, 1), Month(2027, 3), "2026年度 第4四半期(1〜3月)"),
    ],
)
def test_quarters_of_the_fiscal_year(at: Month, first: Month, last: Month, label: str) -> None:
    quarter = Period.containing("quarter", at)
    assert (quarter.first, quarter.last, quarter.label) == (first, last, label)


def test_labels_and_dates() -> None:
    assert Period.containing("month", Month(2026, 12)).as_dict() == {
        "kind": "month",
        "label": "2026年12月",
        "start": "2026-12-01",
        "end": "2026-12-31",
    }
    assert Period.containing("quarter", Month(2026, 12)).as_dict() == {
        "kind": "quarter",
        "label": "2026年度 第3四半期(10〜12月)",
        "start": "2026-10-01",
        "end": "2026-12-31",
    }
    assert Period.containing("fiscal_year", Month(2027, 2)).as_dict() == {
        "kind": "fiscal_year",
        "label": "2026年度",
        "start": "2026-04-01",
        "end": "2027-03-31",
    }
    assert Month(2026, 2).as_dict() == {
        "month": "2026-02",
        "label": "2026年2月",
        "start": "2026-02-01",
        "end": "2026-02-28",
    }


def test_previous_periods() -> None:
    assert Period.containing("month", Month(2026, 1)).previous().label == "2025年12月"
    assert Period.containing("quarter", Month(2026, 5)).previous().label == "2025年度 第4四半期(1〜3月)"
    assert Period.containing("quarter", Month(2027, 2)).previous().label == "2026年度 第3四半期(10〜12月)"
    assert Period.containing("fiscal_year", Month(2026, 3)).previous().label == "2024年度"
    assert Period.containing("fiscal_year", Month(2026, 4)).previous().label == "2025年度"


@pytest.mark.parametrize("kind", PERIOD_KINDS)
def test_every_month_of_a_century(kind) -> None:
    length = {"month": 1, "quarter": 3, "fiscal_year": 12}[kind]
    for month in EVERY_MONTH:
        period = Period.containing(kind, month)
        assert month in period.months and len(period.months) == length
        assert all(Period.containing(kind, m) == period for m in period.months)
        assert period.months == months_between(period.first, period.last)
        previous = period.previous()
        assert previous.last.shifted(1) == period.first and previous.kind == kind
        assert previous.end + timedelta(days=1) == period.start
        if kind != "month":
            assert all(m.fiscal_year == period.first.fiscal_year for m in period.months)
            assert period.first.month in ((4,) if kind == "fiscal_year" else (1, 4, 7, 10))
        if kind == "fiscal_year":
            assert period.label == f"{month.fiscal_year}年度"


def test_bounds_are_japan_midnights() -> None:
    start, end = Period.containing("quarter", Month(2026, 11)).bounds
    assert start == datetime(2026, 9, 30, 15, 0, tzinfo=UTC)  # 10/1 00:00 JST
    assert end == datetime(2026, 12, 31, 15, 0, tzinfo=UTC)  # 1/1 00:00 JST
    assert Month.of(datetime(2026, 11, 30, 15, 0, tzinfo=UTC)) == Month(2026, 12)  # 12/1 00:00 JST
    assert Month.of(datetime(2026, 11, 30, 14, 59, tzinfo=UTC)) == Month(2026, 11)
    cuts = month_boundaries((Month(2026, 12), Month(2027, 1)))
    assert cuts == [
        datetime(2026, 11, 30, 15, tzinfo=UTC),
        datetime(2026, 12, 31, 15, tzinfo=UTC),
        datetime(2027, 1, 31, 15, tzinfo=UTC),
    ]
    assert month_boundaries(()) == []


def test_chart_months() -> None:
    month = Period.containing("month", Month(2026, 3))
    assert month.chart_months()[0] == Month(2025, 4) and month.chart_months()[-1] == Month(2026, 3)
    assert len(month.chart_months()) == 12
    assert Period.containing("quarter", Month(2027, 1)).chart_months() == (
        Month(2027, 1),
        Month(2027, 2),
        Month(2027, 3),
    )
    assert Period.containing("fiscal_year", Month(2026, 9)).chart_months() == months_between(
        Month(2026, 4), Month(2027, 3)
    )


@pytest.mark.parametrize(
    "text",
    [
        "2026-13",
        "2026-00",
        "2026-1",
        "202612",
        "26-12",
        "2026/12",
        "",
        "abcd-ef",
        "1999-12",
        "2100-01",
        "2026-12-01",
        "２０２６-12",
    ],
)
def test_bad_months_are_refused_in_japanese(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        Month.parse(text)
    assert refused.value.field == "at" and "YYYY-MM" in refused.value.message


def test_good_months_parse() -> None:
    assert Month.parse("2026-04") == Month(2026, 4) and Month.parse(" 2000-01 ") == Month(2000, 1)
    assert Month.parse("2099-12").text == "2099-12"

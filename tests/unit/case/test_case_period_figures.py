"""The period figures' pure parts: quantiles from a few ranks, the assembly of a period and
its previous one from monthly counts, the series, the ageing cut-offs and the CSV."""

from __future__ import annotations

import csv
import io
import random
import statistics
from datetime import UTC, datetime, timedelta

import pytest

from services.case.domain.figures import AGEING_BUCKETS, ageing_bucket, ageing_cutoffs, quantile
from services.case.domain.period_figures import Counted, Durations, Keys, compare_periods, durations_by_group, series
from services.case.domain.queue import age_days
from services.case.entrypoints.figures_csv import HEADER, period_figures_csv
from shared.periods import Month, Period, months_between


def _percentile_cont(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 10, 11, 29, 30, 101, 1000])
def test_quantiles_from_the_ranks_around_them_match_the_full_list(count: int) -> None:
    values = sorted(random.Random(count).uniform(0, 500) for _ in range(count))
    everything = dict(enumerate(values))
    assert quantile(everything, count, 0.5) == pytest.approx(statistics.median(values))
    assert quantile(everything, count, 0.9) == pytest.approx(_percentile_cont(values, 0.9))
    for q in (0.5, 0.9):  # what the database hands back: the ranks within one of q * (n - 1)
        position = q * (count - 1)
        near = {rank: v for rank, v in everything.items() if position - 1 <= rank <= position + 1}
        assert quantile(near, count, q) == quantile(everything, count, q)


def test_quantile_of_nothing() -> None:
    assert quantile({}, 0, 0.5) is None


def test_durations_by_group() -> None:
    rows = [(0, 0, 2, 1.0), (0, 1, 2, 3.0), (1, 0, 1, 10.04)]
    assert durations_by_group(rows) == {0: Durations(2, 2.0, 2.8), 1: Durations(1, 10.0, 10.0)}
    assert durations_by_group([]) == {}


SPAN = months_between(Month(2026, 7), Month(2026, 12))  # previous quarter, then the chosen one
KEYS = Keys(
    areas=("中部", "西部", "市全域"),
    school_districts=("SD07", "SD12", "不明"),
    categories=("孤立", "就労"),
    channels=("窓口", "電話"),
)
COUNTED = Counted(
    consultations=[
        (2, "西部", "SD12", "窓口", 1),
        (3, "中部", "SD07", "電話", 2),
        (4, "中部", "SD07", "電話", 1),
        (4, "市全域", "不明", "メール", 1),
    ],
    categories=[(2, "就労", 1), (3, "孤立", 2), (4, "孤立", 1), (4, "古い分類", 1)],
    cases=[(2, "西部", 1), (3, "中部", 1), (4, "中部", 1), (4, "市全域", 1)],
)


def test_a_period_beside_the_previous_one_lists_the_same_keys() -> None:
    quarter = Period.containing("quarter", Month(2026, 11))
    current, previous = compare_periods(
        SPAN, quarter.months, quarter.previous().months, COUNTED, KEYS, {"current": Durations(2, 1.5, 2.0)}, {}
    )
    assert current["consultations"] == {
        "total": 4,
        "by_area": {"中部": 3, "西部": 0, "市全域": 1},
        "by_school_district": {"SD07": 3, "SD12": 0, "不明": 1},
        "by_category": {"孤立": 3, "就労": 0, "古い分類": 1},  # unknown keys after the known ones
        "by_channel": {"窓口": 0, "電話": 3, "メール": 1},
    }
    assert current["cases"] == {"opened": 3, "by_area": {"中部": 2, "西部": 0, "市全域": 1}}
    assert current["time_to_first_contact"] == {"count": 2, "median_hours": 1.5, "p90_hours": 2.0, "without_contact": 1}
    assert current["time_to_first_handoff"] == {
        "count": 0,
        "median_hours": None,
        "p90_hours": None,
        "without_handoff": 3,
    }
    assert previous["consultations"]["total"] == 1
    assert previous["consultations"]["by_channel"] == {"窓口": 1, "電話": 0, "メール": 0}
    assert previous["consultations"]["by_category"] == {"孤立": 0, "就労": 1, "古い分類": 0}
    assert previous["cases"] == {"opened": 1, "by_area": {"中部": 0, "西部": 1, "市全域": 0}}
    assert previous["time_to_first_contact"]["without_contact"] == 1


def test_series_has_every_chart_month_even_empty_ones() -> None:
    chart = months_between(Month(2026, 10), Month(2026, 12))
    entries = series(SPAN, chart, COUNTED, {0: Durations(1, 3.0, 3.0)}, {})
    assert [(e["month"], e["consultations"], e["cases_opened"]) for e in entries] == [
        ("2026-10", 2, 1),
        ("2026-11", 2, 2),
        ("2026-12", 0, 0),
    ]
    assert entries[0]["time_to_first_contact"] == {"count": 1, "median_hours": 3.0, "p90_hours": 3.0}
    assert entries[2] == {
        "month": "2026-12",
        "label": "2026年12月",
        "start": "2026-12-01",
        "end": "2026-12-31",
        "consultations": 0,
        "cases_opened": 0,
        "time_to_assignment": {"count": 0, "median_hours": None, "p90_hours": None},
        "time_to_triage": {"count": 0, "median_hours": None, "p90_hours": None},
        "time_to_first_contact": {"count": 0, "median_hours": None, "p90_hours": None},
        "time_to_first_handoff": {"count": 0, "median_hours": None, "p90_hours": None},
    }


def test_series_months_still_to_come_have_no_counts_rather_than_zero() -> None:
    chart = months_between(Month(2026, 10), Month(2026, 12))
    entries = series(SPAN, chart, COUNTED, {}, {}, until=Month(2026, 11))
    assert [(e["month"], e["consultations"], e["cases_opened"]) for e in entries] == [
        ("2026-10", 2, 1),
        ("2026-11", 2, 2),
        ("2026-12", None, None),
    ]


def test_ageing_cutoffs_agree_with_the_buckets() -> None:
    now = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    cutoffs, oldest = ageing_cutoffs(now)
    assert [label for label, _ in cutoffs] + [oldest] == [label for label, _, _ in AGEING_BUCKETS]

    def in_sql(opened_at: datetime) -> str:  # what the CASE … WHEN opened_at > cutoff says
        return next((label for label, cutoff in cutoffs if opened_at > cutoff), oldest)

    for minutes in range(0, 100 * 24 * 60, 37):
        opened_at = now - timedelta(minutes=minutes)
        assert in_sql(opened_at) == ageing_bucket(age_days(opened_at, now)), minutes
    assert in_sql(now + timedelta(hours=1)) == "0-7日"


def test_csv_has_one_row_per_number() -> None:
    quarter = Period.containing("quarter", Month(2026, 11))
    current, previous = compare_periods(SPAN, quarter.months, quarter.previous().months, COUNTED, KEYS, {}, {})
    data = {
        "generated_at_jst": "2026-12-01 12:00:00 JST",
        "scope": ["中部", "市全域"],
        "period": quarter.as_dict(),
        "previous": quarter.previous().as_dict(),
        "current": current,
        "previous_figures": previous,
        "series": series(SPAN, quarter.chart_months(), COUNTED, {}, {}),
        "ageing_of_open_cases": {"0-7日": 1},
        "registered_helpers": {"中部": {"ほっとネット推進員": 2}},
        "school_district_names": {"SD07": "サンプル第7小学校区"},
    }
    rows = list(csv.reader(io.StringIO(period_figures_csv(data))))
    assert tuple(rows[0]) == HEADER and all(len(r) == len(HEADER) for r in rows)
    assert ["now", "", "", "", "registered_helpers", "中部", "ほっとネット推進員", "2"] in rows
    assert ["", "", "", "", "scope", "", "", "中部 市全域"] in rows
    assert [
        "current",
        "2026年度 第3四半期(10〜12月)",
        "2026-10-01",
        "2026-12-31",
        "consultations",
        "by_area",
        "中部",
        "3",
    ] in rows
    assert [
        "previous",
        "2026年度 第2四半期(7〜9月)",
        "2026-07-01",
        "2026-09-30",
        "time_to_first_contact",
        "median_hours",
        "",
        "",
    ] in rows
    assert ["series", "2026年12月", "2026-12-01", "2026-12-31", "cases_opened", "", "", "0"] in rows
    assert ["now", "", "", "", "ageing_of_open_cases", "0-7日", "", "1"] in rows
    assert ["", "", "", "", "school_district_names", "", "SD07", "サンプル第7小学校区"] in rows

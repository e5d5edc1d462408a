"""The activity and 見守り figures from the database's monthly counts: a period's
breakdowns (same keys in both periods), alerts among check-ins, missed check-ins, and
the chart months (null when they have not happened)."""

from __future__ import annotations

from services.case.domain.activity_figures import ActivityCounts, month_part, period_part
from services.case.domain.period_figures import Keys
from shared.events.watch import ACTIVITY_KINDS

KEYS = Keys(areas=("北東部", "中部", "市全域"), school_districts=("SD01", "SD07", "不明"))
COUNTS = ActivityCounts(
    activities=[
        (0, "中部", "SD07", "アウトリーチ", False, 2),
        (1, "中部", "SD07", "訪問", True, 1),
        (1, "北東部", None, "電話", True, 3),
        (1, "西部", "SD15", "地域の集まり", False, 1),
    ],
    checkins=[
        (0, "中部", "SD07", "変わりなし", 4),
        (1, "中部", "SD07", "気になる変化", 1),
        (1, "中部", "SD06", "緊急", 1),
        (1, "北東部", "SD01", "変わりなし", 2),
    ],
    missed=[(1, "中部", "SD07", 2), (0, "北東部", "SD01", 1)],
)


def test_a_period_counts_activities_by_kind_area_and_school_district() -> None:
    part = period_part(COUNTS, [1], KEYS, COUNTS)["activities"]
    assert part["total"] == 5
    assert (part["on_cases"], part["without_case"]) == (4, 1)
    assert list(part["by_kind"]) == list(ACTIVITY_KINDS)
    assert part["by_kind"]["電話"] == 3 and part["by_kind"]["アウトリーチ"] == 0
    assert part["by_area"] == {"北東部": 3, "中部": 1, "市全域": 0, "西部": 1}
    assert part["by_school_district"] == {"SD01": 0, "SD07": 1, "不明": 3, "SD06": 0, "SD15": 1}


def test_check_ins_done_missed_and_alerts_raised() -> None:
    part = period_part(COUNTS, [1], KEYS, COUNTS)["checkins"]
    assert (part["done"], part["missed"], part["alerts"]) == (4, 2, 2)
    assert part["alerts_by_area"]["中部"] == 2 and part["alerts_by_area"]["北東部"] == 0
    assert part["missed_by_area"] == {"北東部": 0, "中部": 2, "市全域": 0, "西部": 0}
    assert part["done_by_school_district"]["SD07"] == 1 and part["done_by_school_district"]["SD01"] == 2
    assert part["alerts_by_school_district"]["SD06"] == 1 and part["missed_by_school_district"]["SD07"] == 2
    assert part["done_by_school_district"]["SD07"] == 1 and part["done_by_school_district"]["SD01"] == 2
    assert part["alerts_by_school_district"]["SD06"] == 1 and part["missed_by_school_district"]["SD07"] == 2


def test_both_periods_list_the_same_keys_even_at_zero() -> None:
    before, now = (period_part(COUNTS, [m], KEYS, COUNTS) for m in (0, 1))
    for block, breakdown in (
        ("activities", "by_area"),
        ("activities", "by_school_district"),
        ("checkins", "done_by_area"),
    ):
        assert list(before[block][breakdown]) == list(now[block][breakdown])
    assert before["activities"]["by_area"]["西部"] == 0


def test_a_chart_month_and_one_not_yet_happened() -> None:
    month = month_part(COUNTS, 1, True)
    assert month["activities"]["total"] == 5 and month["activities"]["by_kind"]["訪問"] == 1
    assert month["checkins"] == {"done": 4, "missed": 2, "alerts": 2}
    future = month_part(COUNTS, 2, False)
    assert future["activities"]["total"] is None and future["checkins"]["done"] is None
    assert month_part(ActivityCounts(), 0, True)["checkins"] == {"done": 0, "missed": 0, "alerts": 0}

"""The dashboard's activity and 見守り figures: each chart's table says the numbers of the
case service's answer (school districts by name), and the headline compares the periods."""

from __future__ import annotations

from typing import Any

from services.console.entrypoints.pages.dashboard_activities import activity_figures, activity_headline

KINDS = {"アウトリーチ": 2, "同行": 1, "訪問": 0, "電話": 0, "地域の集まり": 0}


def _part(total: int, missed: int) -> dict[str, Any]:
    return {
        "activities": {
            "total": total,
            "on_cases": 1,
            "without_case": total - 1,
            "by_kind": KINDS,
            "by_area": {"中部": total},
            "by_school_district": {"SD07": total, "不明": 0},
        },
        "checkins": {
            "done": 1,
            "missed": missed,
            "alerts": 1,
            **{f"{m}_by_area": {"中部": n} for m, n in (("done", 1), ("missed", missed), ("alerts", 1))},
            **{f"{m}_by_school_district": {"SD07": n} for m, n in (("done", 1), ("missed", missed), ("alerts", 1))},
        },
    }


CASE = {
    "period": {"label": "2026年12月"},
    "previous": {"label": "2026年11月"},
    "current": _part(3, 2),
    "previous_figures": _part(1, 0),
    "series": [
        {
            "month": "2026-12",
            "label": "2026年12月",
            "activities": {"total": 3, "by_kind": KINDS},
            "checkins": {"done": 1, "missed": 2, "alerts": 1},
        }
    ],
    "school_district_names": {"SD07": "サンプル第7小学校区", "不明": "不明"},
}


def test_each_chart_has_its_table_with_the_numbers() -> None:
    figures = {f.id: f for f in activity_figures(CASE)}
    assert list(figures) == [
        "activities_monthly",
        "activities_by_kind",
        "activities_by_area",
        "activities_by_school_district",
        "checkins_monthly",
        "checkins_by_area",
        "checkins_by_school_district",
    ]
    assert figures["activities_monthly"].rows == [("2026年12月", "3", "2", "1", "0", "0", "0")]
    assert ("サンプル第7小学校区", "3件", "1件") in figures["activities_by_school_district"].rows
    assert figures["checkins_monthly"].rows == [("2026年12月", "1", "2", "1")]
    assert figures["checkins_by_school_district"].rows[0] == ("サンプル第7小学校区", "1", "2", "1")
    assert "<svg" in str(figures["checkins_by_area"].chart)


def test_the_headline_compares_activities_and_check_ins() -> None:
    rows = dict((name, (now, before)) for name, now, before in activity_headline(CASE))
    assert rows["活動"] == ("3件", "1件")
    assert rows["見守りの確認(未実施)"] == ("2件", "0件")


def test_nothing_is_drawn_from_figures_without_activities() -> None:
    bare = {**CASE, "current": {}, "previous_figures": {}}
    assert activity_figures(bare) == [] and activity_headline(bare) == []

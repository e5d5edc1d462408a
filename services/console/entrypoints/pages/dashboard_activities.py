"""The dashboard's activity and 見守り figures (「相談件数や活動件数」): activities per month
and by kind, area and school district; check-ins done, missed and alerts raised per
month and by area — each a chart with its table, from the case service's figures."""

from __future__ import annotations

from typing import Any

from services.console.entrypoints.charts import Series, bar_chart, line_chart
from services.console.entrypoints.pages.dashboard_parts import Figure, by, cell, pair

CHECKIN_MEASURES = (("done", "実施"), ("missed", "未実施"), ("alerts", "気になる変化・緊急"))
STYLES = ("current", "previous", "p90")


def activity_figures(case: dict[str, Any]) -> list[Figure]:
    now, before = case["current"], case["previous_figures"]
    if "activities" not in now:
        return []  # a case service without activities: nothing to draw
    names = (case["period"]["label"], case["previous"]["label"])
    series = case["series"]
    months = [f"{int(m['month'][5:])}月" for m in series]
    kinds = list(now["activities"]["by_kind"])
    figures = [
        Figure(
            "activities_monthly",
            "活動件数(月別)",
            line_chart(
                "活動件数(月別)",
                months,
                [
                    Series("活動", [m["activities"]["total"] for m in series]),
                    Series("うちアウトリーチ", [m["activities"]["by_kind"].get("アウトリーチ") for m in series], "p90"),
                ],
                unit="件",
            ),
            ("月", "活動", *kinds),
            [
                (m["label"], cell(m["activities"]["total"]), *(cell(m["activities"]["by_kind"].get(k)) for k in kinds))
                for m in series
            ],
        )
    ]
    for key, title, label_names in (
        ("by_kind", "種類別の活動", None),
        ("by_area", "圏域別の活動", None),
        ("by_school_district", "小学校区別の活動", case.get("school_district_names")),
    ):
        shown, current, previous = by(now["activities"], before["activities"], key, label_names)
        figures.append(pair(title, f"activities_{key}", shown, current, previous, names))
    figures.append(
        Figure(
            "checkins_monthly",
            "見守りの確認(月別)",
            line_chart(
                "見守りの確認(月別)",
                months,
                [
                    Series(label, [m["checkins"][measure] for m in series], style)  # type: ignore[arg-type]
                    for (measure, label), style in zip(CHECKIN_MEASURES, STYLES, strict=True)
                ],
                unit="件",
            ),
            ("月", *(label for _, label in CHECKIN_MEASURES)),
            [(m["label"], *(cell(m["checkins"][measure]) for measure, _ in CHECKIN_MEASURES)) for m in series],
        )
    )
    checkins = now["checkins"]
    district_names = case.get("school_district_names") or {}
    for key, where, names_of in (("area", "圏域", {}), ("school_district", "小学校区", district_names)):
        keys = list(checkins[f"done_by_{key}"])
        shown = [names_of.get(k, k) for k in keys]
        title = f"{where}別の見守りの確認({case['period']['label']})"
        figures.append(
            Figure(
                f"checkins_by_{key}",
                title,
                bar_chart(
                    title,
                    shown,
                    [
                        Series(label, [checkins[f"{measure}_by_{key}"][k] for k in keys], style)  # type: ignore[arg-type]
                        for (measure, label), style in zip(CHECKIN_MEASURES, STYLES, strict=True)
                    ],
                ),
                (where, *(label for _, label in CHECKIN_MEASURES)),
                [
                    (name, *(cell(checkins[f"{measure}_by_{key}"][k]) for measure, _ in CHECKIN_MEASURES))
                    for k, name in zip(keys, shown, strict=True)
                ],
            )
        )
    return figures


def activity_headline(case: dict[str, Any]) -> list[tuple[str, str, str]]:
    now, before = case["current"], case["previous_figures"]
    if "activities" not in now:
        return []
    return [
        ("活動", cell(now["activities"]["total"], "件"), cell(before["activities"]["total"], "件")),
        (
            "うちケースのない地域の活動",
            cell(now["activities"]["without_case"], "件"),
            cell(before["activities"]["without_case"], "件"),
        ),
        *(
            (f"見守りの確認({label})", cell(now["checkins"][m], "件"), cell(before["checkins"][m], "件"))
            for m, label in CHECKIN_MEASURES
        ),
    ]

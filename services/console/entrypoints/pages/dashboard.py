"""ダッシュボード: the PDCA figures a supervisor steers the plan with, as charts with the
tables of their numbers beside them, for a month, a quarter or a fiscal year (from April) against the
period before it; each downloadable as CSV. The numbers come from the case service (the
consultations and cases) and the referral service (handoffs accepted within their
deadline); the console only draws them."""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.entrypoints.charts import Series, bar_chart, line_chart
from services.console.entrypoints.pages.common import page
from services.console.entrypoints.pages.dashboard_activities import activity_figures, activity_headline
from services.console.entrypoints.pages.dashboard_parts import Figure
from services.console.entrypoints.pages.dashboard_parts import by as _by
from services.console.entrypoints.pages.dashboard_parts import cell as _cell
from services.console.entrypoints.pages.dashboard_parts import pair as _pair
from services.console.entrypoints.pages.labels import Labels
from services.console.entrypoints.web import Console, ConsoleDep, acting_as, render
from services.console.handlers.signin import SignedIn
from shared.http.app import correlation_id_of

router = APIRouter(include_in_schema=False)
Supervisor = Annotated[SignedIn, Depends(acting_as("supervisor"))]
PERIODS = (("month", "月"), ("quarter", "四半期"), ("fiscal_year", "年度(4月から)"))
MONTH = re.compile(r"^(20\d\d)-(0[1-9]|1[0-2])$")


def figures_of(case: dict[str, Any], referral: dict[str, Any], labels: Labels) -> list[Figure]:
    now, before = case["current"], case["previous_figures"]
    names = (case["period"]["label"], case["previous"]["label"])
    # The axis names the month only; the year is in the table beside the chart.
    months = [f"{int(m['month'][5:])}月" for m in case["series"]]
    figures = [
        Figure(
            "monthly",
            "相談と開設したケース(月別)",
            line_chart(
                "相談と開設したケース(月別)",
                months,
                [
                    Series("相談", [m["consultations"] for m in case["series"]]),
                    Series("開設したケース", [m["cases_opened"] for m in case["series"]], "p90"),
                ],
                unit="件",
            ),
            ("月", "相談", "開設したケース"),
            [(m["label"], _cell(m["consultations"]), _cell(m["cases_opened"])) for m in case["series"]],
        ),
    ]
    for measure, title in (
        ("time_to_assignment", "担当が決まるまでの時間(受付から、月別)"),
        ("time_to_triage", "トリアージまでの時間(受付から、月別)"),
        ("time_to_first_contact", "最初の接触までの時間(月別)"),
        ("time_to_first_handoff", "最初のつなぎまでの時間(月別)"),
    ):
        medians = [m[measure]["median_hours"] for m in case["series"]]
        p90s = [m[measure]["p90_hours"] for m in case["series"]]
        figures.append(
            Figure(
                measure,
                title,
                line_chart(title, months, [Series("中央値", medians), Series("90パーセンタイル", p90s, "p90")]),
                ("月", "中央値", "90パーセンタイル", "件数"),
                [
                    (
                        m["label"],
                        _cell(m[measure]["median_hours"], "時間"),
                        _cell(m[measure]["p90_hours"], "時間"),
                        _cell(m[measure]["count"]),
                    )
                    for m in case["series"]
                ],
            )
        )
    for key, title, label_names in (
        ("by_area", "圏域別の相談", None),
        ("by_school_district", "小学校区別の相談", case.get("school_district_names")),
        ("by_category", "相談分類別の相談", {c: labels.category(c) for c in now["consultations"]["by_category"]}),
        ("by_channel", "経路別の相談", None),
    ):
        shown, current, previous = _by(now["consultations"], before["consultations"], key, label_names)
        figures.append(_pair(title, key, shown, current, previous, names))
    previous_kinds = {k["agency_kind"]: k for k in referral["previous_figures"]["by_agency_kind"]}
    # The kinds referred to in either period (the directory has many more).
    kinds = [
        k
        for k in referral["current"]["by_agency_kind"]
        if k["requested"] or previous_kinds.get(k["agency_kind"], {}).get("requested")
    ]

    def percent(row: dict[str, Any] | None) -> float | None:
        share = (row or {}).get("share_accepted_within_deadline")
        return None if share is None else round(share * 100, 1)

    figures.append(
        _pair(
            "期限内に受諾された紹介の割合(機関の種別)",
            "acceptance",
            [k["agency_kind"] for k in kinds],
            [percent(k) for k in kinds],
            [percent(previous_kinds.get(k["agency_kind"])) for k in kinds],
            names,
            unit="%",
        )
    )
    figures += activity_figures(case)
    ageing = case["ageing_of_open_cases"]
    figures.append(
        Figure(
            "ageing",
            "終結していないケースの経過日数(いま)",
            bar_chart("終結していないケースの経過日数(いま)", list(ageing), [Series("ケース", list(ageing.values()))]),
            ("経過日数", "ケース"),
            [(k, _cell(v)) for k, v in ageing.items()],
        )
    )
    helpers = case.get("registered_helpers", {})
    kinds = sorted({kind for by_kind in helpers.values() for kind in by_kind})
    title = "地域の支援者の登録者数(いま、圏域別)"
    figures.append(
        Figure(
            "helpers",
            title,
            bar_chart(title, list(helpers), [Series("登録者", [sum(k.values()) for k in helpers.values()])], unit="人"),
            ("圏域", *kinds, "計"),
            [
                (area, *(_cell(by_kind.get(kind, 0)) for kind in kinds), _cell(sum(by_kind.values())))
                for area, by_kind in helpers.items()
            ],
        )
    )
    return figures


def headline(case: dict[str, Any], referral: dict[str, Any]) -> list[tuple[str, str, str]]:
    """This period against the one before it, in words."""
    now, before = case["current"], case["previous_figures"]
    total_now, total_before = referral["current"]["total"], referral["previous_figures"]["total"]

    def pct(total: dict[str, Any]) -> str:
        share = total.get("share_accepted_within_deadline")
        return "—" if share is None else f"{share * 100:.0f}%"

    return [
        ("相談", _cell(now["consultations"]["total"], "件"), _cell(before["consultations"]["total"], "件")),
        ("開設したケース", _cell(now["cases"]["opened"], "件"), _cell(before["cases"]["opened"], "件")),
        (
            "最初の接触まで(中央値)",
            _cell(now["time_to_first_contact"]["median_hours"], "時間"),
            _cell(before["time_to_first_contact"]["median_hours"], "時間"),
        ),
        (
            "最初のつなぎまで(中央値)",
            _cell(now["time_to_first_handoff"]["median_hours"], "時間"),
            _cell(before["time_to_first_handoff"]["median_hours"], "時間"),
        ),
        ("期限内に受諾された紹介", pct(total_now), pct(total_before)),
        *activity_headline(case),
    ]


def _chosen(period: str, at: str, errors: dict[str, str]) -> dict[str, str]:
    params = {"period": period if period in dict(PERIODS) else "month"}
    if at:
        if MONTH.fullmatch(at):
            params["at"] = at
        else:
            errors["at"] = "年月を「2026-12」の形で入力してください。"
    return params


async def load(
    console: Console, who: SignedIn, params: dict[str, str], correlation_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    case, referral = await asyncio.gather(
        console.backend.get("case", "/v1/figures", who, params=params, correlation_id=correlation_id),
        console.backend.get("referral", "/v1/referrals/figures", who, params=params, correlation_id=correlation_id),
    )
    return case, referral


@router.get("/dashboard")
async def dashboard(
    request: Request, who: Supervisor, console: ConsoleDep, period: str = "month", at: str = ""
) -> Response:
    errors: dict[str, str] = {}
    params = _chosen(period, at.strip(), errors)
    case, referral = await load(console, who, params, correlation_id_of(request))
    labels = Labels(console.reference.current)
    context = {
        "case": case,
        "referral": referral,
        "figures": figures_of(case, referral, labels),
        "headline": headline(case, referral),
        "params": params,
        "errors": errors,
        "at": at,
        "period_options": list(PERIODS),
        "query": "&".join(f"{k}={v}" for k, v in params.items()),
    }
    return render(request, "dashboard.html", await page(request, who, "ダッシュボード", **context))


@router.get("/dashboard/{which}.csv")
async def dashboard_csv(
    request: Request, which: str, who: Supervisor, console: ConsoleDep, period: str = "month", at: str = ""
) -> Response:
    source = {"figures": ("case", "/v1/figures"), "referrals": ("referral", "/v1/referrals/figures")}.get(which)
    if source is None:
        return Response(status_code=404)
    params = {**_chosen(period, at.strip(), {}), "format": "csv"}
    upstream = await console.backend.request(
        source[0], "GET", source[1], who, params=params, correlation_id=correlation_id_of(request)
    )
    headers = {k: v for k, v in upstream.headers.items() if k.lower() in ("content-type", "content-disposition")}
    return Response(upstream.content, headers=headers)

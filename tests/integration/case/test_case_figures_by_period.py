"""The supervisor's dashboard figures by period (GET /v1/figures?period=…&at=…): a month,
a quarter and a fiscal year beside the previous one, a month-by-month series, counted by
Japan-time month, on both databases."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from case_helpers import coordinator, supervisor
from figures_support import contact_after, figures_of, ok, open_case_at

from shared.clock import FrozenClock
from shared.events.watch import ACTIVITY_KINDS
from tests.support.services import bearer, running_service

EMPTY_DURATIONS = {"count": 0, "median_hours": None, "p90_hours": None}


async def test_figures_by_month_quarter_and_fiscal_year(make_settings, database_backend) -> None:
    settings = make_settings()
    clock = FrozenClock(datetime(2026, 9, 10, 1, 0, tzinfo=UTC))
    sv, chubu, seibu = supervisor(settings), coordinator(settings), coordinator(settings, "西部", "csw-seibu-1")
    place = {"name": None, "age_group": "80代"}
    async with running_service("intake", settings) as intake, running_service("case", settings, clock) as case:
        # September (2026年度 第2四半期): a 中部 case, first contact after 4 hours.
        a = await open_case_at(
            intake,
            case,
            settings,
            clock,
            datetime(2026, 9, 10, 1, 0, tzinfo=UTC),
            chubu,
            person={**place, "approximate_place": "サンプル町1丁目"},
        )
        await contact_after(case, clock, a, 4, chubu, "csw-chubu-1")
        # 1 October 00:30 JST (still 30 September in UTC): counted in October, Q3.
        b = await open_case_at(
            intake,
            case,
            settings,
            clock,
            datetime(2026, 9, 30, 15, 30, tzinfo=UTC),
            seibu,
            school_district="SD12",
            channel="窓口",
            categories=["就労"],
            household=[],
            person={"age_group": "40代"},
        )
        version = await contact_after(case, clock, b, 2, seibu, "csw-seibu-1")
        clock.advance(timedelta(hours=8))  # referred 10 hours after opening: the first handoff
        await ok(
            await case.post(
                f"/v1/cases/{b['id']}/referrals",
                headers=seibu,
                json={"agency_id": "hc-5", "purpose": "就労の相談", "share": ["categories"], "version": version},
            ),
            201,
        )
        # November: two 中部 cases reached after 1 and 3 hours, a second consultation joining
        # the first of them (a consultation, not a case), and a city-wide case not yet reached.
        c = await open_case_at(
            intake,
            case,
            settings,
            clock,
            datetime(2026, 11, 9, 1, 0, tzinfo=UTC),
            chubu,
            person={**place, "approximate_place": "サンプル町3丁目"},
        )
        await contact_after(case, clock, c, 1, chubu, "csw-chubu-1")
        d = await open_case_at(
            intake,
            case,
            settings,
            clock,
            datetime(2026, 11, 16, 1, 0, tzinfo=UTC),
            chubu,
            person={**place, "approximate_place": "サンプル町4丁目"},
            categories=["孤立"],
        )
        await contact_after(case, clock, d, 3, chubu, "csw-chubu-1")
        joined = await open_case_at(
            intake,
            case,
            settings,
            clock,
            datetime(2026, 11, 20, 1, 0, tzinfo=UTC),
            chubu,
            person={**place, "approximate_place": "サンプル町3丁目"},
        )
        assert joined["id"] == c["id"]
        await open_case_at(
            intake,
            case,
            settings,
            clock,
            datetime(2026, 11, 25, 1, 0, tzinfo=UTC),
            chubu,
            school_district="不明",
            categories=["生活困窮"],
            person={**place, "approximate_place": "駅前"},
        )
        clock.at = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 1 December, 12:00 JST

        month = await figures_of(case, sv, period="month", at="2026-11")
        assert month["period"] == {"kind": "month", "label": "2026年11月", "start": "2026-11-01", "end": "2026-11-30"}
        assert month["previous"] == {"kind": "month", "label": "2026年10月", "start": "2026-10-01", "end": "2026-10-31"}
        now = month["current"]
        assert now["consultations"]["total"] == 4
        assert now["consultations"]["by_area"] == {"北東部": 0, "中部": 3, "西部": 0, "南部": 0, "市全域": 1}
        assert now["consultations"]["by_school_district"]["SD07"] == 3
        assert now["consultations"]["by_school_district"]["不明"] == 1
        assert sum(now["consultations"]["by_school_district"].values()) == 4
        assert {k: v for k, v in now["consultations"]["by_category"].items() if v} == {
            "孤立": 1,
            "生活困窮": 1,
            "ひきこもり": 2,
            "8050": 2,
        }
        assert now["consultations"]["by_channel"] == {
            "窓口": 0,
            "電話": 4,
            "メール": 0,
            "アウトリーチ": 0,
            "居場所・サロン": 0,
        }
        assert now["cases"] == {"opened": 3, "by_area": {"北東部": 0, "中部": 2, "西部": 0, "南部": 0, "市全域": 1}}
        assert now["time_to_first_contact"] == {"count": 2, "median_hours": 2.0, "p90_hours": 2.8, "without_contact": 1}
        assert now["time_to_first_handoff"] == {**EMPTY_DURATIONS, "without_handoff": 3}
        # Both 中部 cases were taken as soon as they arrived; the city-wide one waits.
        assert now["time_to_assignment"] == {
            "count": 2,
            "median_hours": 0.0,
            "p90_hours": 0.0,
            "without_assignment": 1,
        }
        assert now["time_to_triage"] == {**EMPTY_DURATIONS, "without_triage": 3}
        before = month["previous_figures"]
        assert before["consultations"]["total"] == 1 and before["consultations"]["by_area"]["西部"] == 1
        assert before["consultations"]["by_channel"]["窓口"] == 1
        assert list(before["consultations"]["by_category"]) == list(now["consultations"]["by_category"])
        assert before["time_to_first_contact"] == {
            "count": 1,
            "median_hours": 2.0,
            "p90_hours": 2.0,
            "without_contact": 0,
        }
        assert before["time_to_first_handoff"] == {
            "count": 1,
            "median_hours": 10.0,
            "p90_hours": 10.0,
            "without_handoff": 0,
        }
        series = month["series"]
        assert [s["month"] for s in series] == ["2025-12", *(f"2026-{m:02d}" for m in range(1, 12))]
        by_month = {s["month"]: s for s in series}
        assert by_month["2025-12"] == {
            "month": "2025-12",
            "label": "2025年12月",
            "start": "2025-12-01",
            "end": "2025-12-31",
            "consultations": 0,
            "cases_opened": 0,
            "time_to_assignment": EMPTY_DURATIONS,
            "time_to_triage": EMPTY_DURATIONS,
            "time_to_first_contact": EMPTY_DURATIONS,
            "time_to_first_handoff": EMPTY_DURATIONS,
            "activities": {"total": 0, "by_kind": dict.fromkeys(ACTIVITY_KINDS, 0)},
            "checkins": {"done": 0, "missed": 0, "alerts": 0},
        }
        assert [by_month[m]["consultations"] for m in ("2026-09", "2026-10", "2026-11")] == [1, 1, 4]
        assert [by_month[m]["cases_opened"] for m in ("2026-09", "2026-10", "2026-11")] == [1, 1, 3]
        assert by_month["2026-09"]["time_to_first_contact"] == {"count": 1, "median_hours": 4.0, "p90_hours": 4.0}
        assert by_month["2026-11"]["time_to_first_contact"] == {"count": 2, "median_hours": 2.0, "p90_hours": 2.8}
        assert by_month["2026-10"]["time_to_first_handoff"]["median_hours"] == 10.0
        # Ageing is of today's open cases, whatever the period.
        assert month["ageing_of_open_cases"] == {"0-7日": 1, "8-30日": 2, "31-90日": 2, "91日以上": 0}
        assert month["scope"] == "市全域" and month["school_district_names"]["SD12"]

        # The quarter chosen by default: the one holding today (JST), against Jul–Sep.
        quarter = await figures_of(case, sv, period="quarter")
        assert quarter["period"]["label"] == "2026年度 第3四半期(10〜12月)"
        assert quarter["previous"]["label"] == "2026年度 第2四半期(7〜9月)"
        assert quarter["current"]["consultations"]["total"] == 5 and quarter["current"]["cases"]["opened"] == 4
        assert quarter["current"]["time_to_first_contact"] == {
            "count": 3,
            "median_hours": 2.0,
            "p90_hours": 2.8,
            "without_contact": 1,
        }
        assert quarter["previous_figures"]["consultations"]["total"] == 1
        assert [(s["month"], s["consultations"]) for s in quarter["series"]] == [
            ("2026-10", 1),
            ("2026-11", 4),
            ("2026-12", 0),
        ]
        assert quarter == await figures_of(case, sv, period="quarter", at="2026-10")

        # February 2027 is in fiscal year 2026 (April to March).
        year = await figures_of(case, sv, period="fiscal_year", at="2027-02")
        assert year["period"] == {
            "kind": "fiscal_year",
            "label": "2026年度",
            "start": "2026-04-01",
            "end": "2027-03-31",
        }
        assert year["current"]["consultations"]["total"] == 6 and year["current"]["cases"]["opened"] == 5
        assert year["current"]["time_to_first_contact"]["median_hours"] == 2.5
        assert year["current"]["time_to_first_contact"]["p90_hours"] == 3.7
        assert year["previous_figures"]["consultations"]["total"] == 0
        assert [s["month"] for s in year["series"]][::11] == ["2026-04", "2027-03"]

        # A coordinator gets their own area (and the city-wide queue) only.
        west = await figures_of(case, seibu, period="month", at="2026-11")
        assert west["scope"] == ["市全域", "西部"]
        assert west["current"]["consultations"]["by_area"] == {"西部": 0, "市全域": 1}
        assert west["previous_figures"]["consultations"]["by_area"] == {"西部": 1, "市全域": 0}
        assert set(west["current"]["consultations"]["by_school_district"]) >= {"SD12", "不明"}
        assert "SD07" not in west["current"]["consultations"]["by_school_district"]

        exported = await case.get("/v1/figures", headers=sv, params={"period": "quarter", "format": "csv"})
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
        assert 'filename="figures-quarter-2026-10.csv"' in exported.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert rows[0] == ["part", "label", "start", "end", "section", "measure", "key", "value"]
        assert [
            "current",
            "2026年度 第3四半期(10〜12月)",
            "2026-10-01",
            "2026-12-31",
            "consultations",
            "total",
            "",
            "5",
        ] in rows
        assert [
            "previous",
            "2026年度 第2四半期(7〜9月)",
            "2026-07-01",
            "2026-09-30",
            "cases",
            "by_area",
            "中部",
            "1",
        ] in rows
        assert [
            "series",
            "2026年11月",
            "2026-11-01",
            "2026-11-30",
            "time_to_first_contact",
            "p90_hours",
            "",
            "2.8",
        ] in rows
        assert [
            "series",
            "2026年12月",
            "2026-12-01",
            "2026-12-31",
            "time_to_first_contact",
            "median_hours",
            "",
            "",
        ] in rows
        assert ["now", "", "", "", "ageing_of_open_cases", "31-90日", "", "2"] in rows

        # Without parameters: the all-time figures, as before.
        assert (await figures_of(case, sv))["consultations"]["total"] == 6


async def test_bad_periods_are_refused_in_japanese(make_settings, database_backend) -> None:
    settings = make_settings()
    async with running_service("case", settings) as case:
        sv = supervisor(settings)
        for params, field in (
            ({"period": "month", "at": "2026-13"}, ["at"]),
            ({"at": "26-1"}, ["at"]),
            ({"period": "week"}, ["query", "period"]),
        ):
            refused = await case.get("/v1/figures", headers=sv, params=params)
            assert refused.status_code == 422, refused.text
            problem = refused.json()
            assert problem["errors"][0]["loc"] == field and problem["title"] == "入力内容に誤りがあります"
        empty = await figures_of(case, sv, period="fiscal_year", at="2026-04")
        assert empty["current"]["consultations"]["total"] == 0 and len(empty["series"]) == 12
        assert empty["ageing_of_open_cases"] == {"0-7日": 0, "8-30日": 0, "31-90日": 0, "91日以上": 0}
        assert (
            await case.get("/v1/figures", headers=bearer(settings, "reporter", "vol-1"), params={"period": "month"})
        ).status_code == 403

"""The figures kept for closed months (figure_months, figure_counts, figure_durations):
they answer exactly what a live count answers, a late event for a closed month (a
backdated contact, a merge) counts that month again in its own transaction, and
``rebuild`` reproduces what the events kept — on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from case_helpers import coordinator, supervisor
from figures_support import figures_of, ok, open_case_at
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.case.adapters.figure_projection import rebuild
from services.case.adapters.orm import figure_counts, figure_durations, figure_months
from shared.clock import FrozenClock
from tests.support.services import running_service

KEPT = (figure_months, figure_counts, figure_durations)
ASKED = (
    {"period": "month", "at": "2026-09"},
    {"period": "month", "at": "2026-10"},
    {"period": "quarter", "at": "2026-09"},
    {"period": "fiscal_year"},
    {},  # the all-time figures
)


async def kept(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    async with engine.connect() as db:
        return {
            t.name: sorted(
                tuple(r)
                for r in await db.execute(select(*(c for c in t.c if c.name not in ("refreshed_at", "version"))))
            )
            for t in KEPT
        }


async def answers(case: httpx.AsyncClient, *callers: dict) -> list[Any]:
    found: list[Any] = []
    for caller in callers:
        for params in ASKED:
            found.append(await figures_of(case, caller, **params))
        csv = await case.get(
            "/v1/figures", headers=caller, params={"period": "quarter", "at": "2026-09", "format": "csv"}
        )
        found.append(csv.text)
    return found


def version_of(opened: dict) -> dict:
    return {"version": opened["version"]}


async def contact(case: httpx.AsyncClient, opened: dict, headers: dict, at: str) -> int:
    answer = await case.post(
        f"/v1/cases/{opened['id']}/contacts",
        headers=headers,
        json={
            "contacted_at": at,
            "channel": "電話",
            "whom": "本人",
            "outcome": "サンプル",
            "version": opened["version"],
        },
    )
    return (await ok(answer, 201))["version"]


async def test_kept_months_equal_a_live_count_and_follow_late_events(make_settings, database_backend) -> None:
    settings = make_settings()
    clock = FrozenClock(datetime(2026, 9, 7, 1, 0, tzinfo=UTC))
    sv, chubu, seibu = supervisor(settings), coordinator(settings), coordinator(settings, "西部", "csw-seibu-1")
    async with running_service("intake", settings) as intake, running_service("case", settings, clock) as case:
        engine = case.app.state.services.runtime.engine  # type: ignore[attr-defined]
        opened = []
        for day, place, headers in (
            (7, "1丁目", chubu),
            (9, "2丁目", chubu),
            (14, "3丁目", chubu),
            (21, "5丁目", chubu),
        ):
            at = datetime(2026, 9, day, 1, 0, tzinfo=UTC)
            person = {"name": None, "age_group": "80代", "approximate_place": f"サンプル町{place}"}
            opened.append(await open_case_at(intake, case, settings, clock, at, headers, person=person))
        west = await open_case_at(
            intake,
            case,
            settings,
            clock,
            datetime(2026, 10, 5, 1, 0, tzinfo=UTC),
            seibu,
            school_district="SD12",
            person={"age_group": "40代"},
        )
        clock.at = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
        await contact(case, opened[0], chubu, "2026-09-07T14:00:00+09:00")  # 4 hours after it opened
        await contact(case, west, seibu, "2026-10-06T10:00:00+09:00")

        assert [m.text for m in await rebuild(engine, clock.now())] == ["2026-09", "2026-10"]
        rebuilt = await kept(engine)
        month = await figures_of(case, sv, period="month", at="2026-09")
        assert month["current"]["cases"]["opened"] == 4 and month["current"]["time_to_first_contact"]["count"] == 1
        # The closed quarter beside this one (Jul–Sep): ranked once, remembered while its months stay as kept.
        quarter = await figures_of(case, sv, period="quarter")
        assert quarter["previous_figures"]["time_to_first_contact"]["count"] == 1

        # Late events for September, in November: a backdated first contact, then a merge.
        version = await contact(case, opened[1], chubu, "2026-09-10T12:00:00+09:00")
        month = await figures_of(case, sv, period="month", at="2026-09")
        assert month["current"]["time_to_first_contact"]["count"] == 2
        quarter = await figures_of(case, sv, period="quarter")
        assert quarter["previous_figures"]["time_to_first_contact"]["count"] == 2
        merged = await case.post(
            f"/v1/cases/{opened[1]['id']}/merge",
            headers=chubu,
            json={"into_case_id": opened[2]["id"], "version": version},
        )
        await ok(merged)
        after = await kept(engine)
        assert after != rebuilt
        month = await figures_of(case, sv, period="month", at="2026-09")
        assert month["current"]["cases"]["opened"] == 3
        assert month["current"]["time_to_first_contact"]["count"] == 1  # the merged case's contact goes with it
        quarter = await figures_of(case, sv, period="quarter")
        assert quarter["previous_figures"]["time_to_first_contact"]["count"] == 1
        # A September case first assigned in November: its month's time to assignment is kept again.
        assign = {"coordinator_id": "csw-chubu-1", "version": opened[3]["version"]}
        await ok(await case.post(f"/v1/cases/{opened[3]['id']}/assignment", headers=chubu, json=assign))
        month = await figures_of(case, sv, period="month", at="2026-09")
        assert month["current"]["time_to_assignment"]["count"] == 1
        assert month["current"]["time_to_assignment"]["median_hours"] == 1202.0  # 9/21 10:00 → 11/10 12:00 JST
        quarter = await figures_of(case, sv, period="quarter")
        assert quarter["previous_figures"]["time_to_assignment"]["median_hours"] == 1202.0
        after = await kept(engine)
        projected = await answers(case, sv, chubu, seibu)

        # What the events kept is what a rebuild from the case data keeps.
        await rebuild(engine, clock.now())
        assert await kept(engine) == after

        # And what a live count answers, with nothing kept.
        async with engine.begin() as db:
            for table in KEPT:
                await db.execute(delete(table))
        assert await answers(case, sv, chubu, seibu) == projected


async def test_a_closed_quarters_durations_are_ranked_once_and_again_after_a_late_event(
    make_settings, database_backend
) -> None:
    settings = make_settings()
    clock = FrozenClock(datetime(2026, 7, 2, 1, 0, tzinfo=UTC))
    sv, chubu = supervisor(settings), coordinator(settings)
    async with running_service("intake", settings) as intake, running_service("case", settings, clock) as case:
        runtime = case.app.state.services.runtime  # type: ignore[attr-defined]
        opened = [
            await open_case_at(
                intake,
                case,
                settings,
                clock,
                at,
                chubu,
                person={"name": None, "age_group": "80代", "approximate_place": place},
            )
            for at, place in (
                (datetime(2026, 7, 2, 1, 0, tzinfo=UTC), "サンプル町1丁目"),
                (datetime(2026, 9, 14, 1, 0, tzinfo=UTC), "サンプル町2丁目"),
            )
        ]
        clock.at = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
        await contact(case, opened[0], chubu, "2026-07-02T14:00:00+09:00")
        await rebuild(runtime.engine, clock.now())  # July to October kept
        projection = runtime.unit_of_work().figures

        first = await figures_of(case, sv, period="quarter")  # Oct–Dec beside Jul–Sep, closed
        assert first["previous_figures"]["time_to_first_contact"]["count"] == 1
        assert len(projection._periods) == 1  # ranked, and remembered
        assert await figures_of(case, sv, period="quarter") == first

        # A late first contact for September counts the month again: the quarter is ranked again.
        await contact(case, opened[1], chubu, "2026-09-15T10:00:00+09:00")
        again = await figures_of(case, sv, period="quarter")
        assert again["previous_figures"]["time_to_first_contact"]["count"] == 2
        assert len(projection._periods) == 2

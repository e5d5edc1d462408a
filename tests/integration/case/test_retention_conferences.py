"""Retention and case conferences: a meeting's title is the coordinator's free text about
every case it discussed, so retention erases it with the first of them that falls due
(as a decision and a task go with their own case); the meeting stays, with what it
decided about a case still kept, and a meeting that discussed only kept cases keeps its
title. The retention handler runs in-process on the services' frozen clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from case_helpers import case_of, close_case, consultation, coordinator, submit, supervisor

from services.case.adapters.retention import ERASED_FIELDS
from services.case.handlers.retention import run_retention
from shared.clock import FrozenClock
from shared.events.case import ERASED_TEXT
from shared.settings import Settings
from tests.integration.notify.notify_support import jst
from tests.support.services import running_service


async def _post(case: httpx.AsyncClient, path: str, body: dict[str, Any], expected: int = 200) -> Any:
    answer = await case.post(path, headers=case.headers, json=body)  # the coordinator's (see the test)
    assert answer.status_code == expected, answer.text
    return answer.json()


async def _case(intake: httpx.AsyncClient, case: httpx.AsyncClient, settings: Settings, name: str) -> dict[str, Any]:
    body = consultation(person={**consultation()["person"], "name": name})
    opened = await case_of(case, settings, await submit(intake, settings, body), coordinator(settings))
    assigned = {"coordinator_id": "csw-chubu-1", "version": opened["version"]}
    version = (await _post(case, f"/v1/cases/{opened['id']}/assignment", assigned))["version"]
    return {**opened, "version": version}


async def _meeting(case: httpx.AsyncClient, title: str, case_ids: list[str]) -> str:
    plan = {"kind": "ケース会議", "title": title, "held_on": "2026-12-03", "case_ids": case_ids}
    conference = f"/v1/conferences/{(await _post(case, '/v1/conferences', plan, 201))['conference_id']}"
    version = (await _post(case, f"{conference}/held", {"version": 1}))["version"]
    decisions = [{"case_id": c, "decision": f"サンプル: {title}で決めたこと"} for c in case_ids]
    await _post(case, f"{conference}/minutes", {"decisions": decisions, "version": version})
    return conference


async def test_a_meetings_title_goes_with_the_first_case_it_discussed_that_is_erased(
    make_settings, database_backend
) -> None:
    settings = make_settings()
    clock = FrozenClock(jst(2026, 12, 3, 10, 0))
    async with running_service("intake", settings, clock) as intake, running_service("case", settings, clock) as case:
        case.headers.update(coordinator(settings))
        old = await _case(intake, case, settings, "サンプル 古田")
        kept = await _case(intake, case, settings, "サンプル 残田")
        both = await _meeting(case, "サンプル: 古田さんと残田さんの会議", [old["id"], kept["id"]])
        only_kept = await _meeting(case, "サンプル: 残田さんの会議", [kept["id"]])
        await close_case(case, settings, old["id"], coordinator(settings), old["version"], reason="サンプル: 転居")

        clock.at += timedelta(days=6 * 365)
        services = case.app.state.services  # type: ignore[attr-defined]
        run = await run_retention(services.runtime.unit_of_work, services.reference.live, services.runtime.redis)
        assert [c["case_id"] for c in run["cases"]] == [old["id"]]
        assert "conferences.title" in ERASED_FIELDS

        sv = supervisor(settings)
        minutes = (await case.get(both, headers=sv)).json()
        assert minutes["title"] == ERASED_TEXT
        assert minutes["kind"] == "ケース会議" and minutes["status"] == "minutes_recorded"  # the meeting stays
        decided = {c["case_id"]: c["decision"] for c in minutes["cases"]}
        assert decided == {old["id"]: None, kept["id"]: "サンプル: サンプル: 古田さんと残田さんの会議で決めたこと"}
        assert (await case.get(only_kept, headers=sv)).json()["title"] == "サンプル: 残田さんの会議"
        listed = {c["id"]: c["title"] for c in (await case.get("/v1/conferences", headers=sv)).json()["items"]}
        assert sorted(listed.values()) == sorted([ERASED_TEXT, "サンプル: 残田さんの会議"])

"""Community helpers over HTTP, end to end: intake, case and notify share one clock,
moved by the test. The console tells the services of two helpers (a 中部 推進員, a 西部
民生委員) as its relay would; the coordinator reads the area's registry and gives the
推進員 a 見守り task sharing what consent allows; the helper sees only that, takes it on,
reports a 気になる変化 (the coordinator is alerted) and, the due day missed over a
weekend, is reminded, then the coordinator; done ends the chase. Consent withdrawn
hides the personal fields at the next read; a withdrawn task cannot be taken on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from case_helpers import case_of, consultation, coordinator, submit, timeline_types
from sqlalchemy import select

from services.notify.adapters.orm import followups
from services.notify.domain.routing import HELPER_TASK
from shared.clock import FrozenClock
from shared.events import AccountCreated, Actor, Envelope, new_event_id
from shared.events.account import AccountGrant
from shared.events.personal import SEALED_PREFIX
from tests.integration.notify.notify_support import fast_loops, jst, kinds, publish, published, settle
from tests.support.services import bearer, eventually, running_service

HELPER, OTHER_AREA = "hotnet-7", "minsei-w1"


def _helper_account(account_id: str, area: str, kind: str, at: datetime) -> Envelope:
    """What the console's relay publishes when a helper's account is created."""
    grants = [AccountGrant(role="reporter", scope=account_id), AccountGrant(role="helper", scope=area, kind=kind)]
    return Envelope.wrap(
        AccountCreated(account_id=account_id, disabled=False, grants=grants),
        aggregate_id=account_id,
        actor=Actor(role="system", id="cli"),
        correlation_id=new_event_id(),
        occurred_at=at,
    )


async def _timer_closed(notify: Any, case_id: str) -> bool:
    """Notify has applied the task's end (the event, not the clock): its timer is no longer pending."""
    async with notify.app.state.services.runtime.engine.connect() as db:
        pending = await db.execute(
            select(followups.c.id).where(
                followups.c.case_id == case_id, followups.c.subject == HELPER_TASK, followups.c.status == "pending"
            )
        )
        return pending.first() is None


async def test_a_helper_is_given_a_task_sees_only_what_it_shares_and_is_chased_past_its_day(
    make_settings, database_backend, monkeypatch
) -> None:
    fast_loops(monkeypatch)
    settings = make_settings()
    clock = FrozenClock(jst(2026, 12, 3, 9, 0))  # Thursday
    chubu = coordinator(settings)
    helper = bearer(settings, "helper", "中部", HELPER)
    async with (
        running_service("intake", settings, clock) as intake,
        running_service("case", settings, clock) as case,
        running_service("notify", settings, clock) as notify,
    ):
        await publish(
            settings,
            _helper_account(HELPER, "中部", "ほっとネット推進員", clock.now()),
            _helper_account(OTHER_AREA, "西部", "民生委員・児童委員", clock.now()),
        )
        reference = await submit(
            intake,
            settings,
            consultation(
                person={"name": "サンプル 花子", "age_group": "80代", "approximate_place": "サンプル町1丁目付近"}
            ),
        )
        opened = await case_of(case, settings, reference, chubu)
        case_id, version = opened["id"], opened["version"]

        async def post(path: str, body: dict, expected: int = 200, headers: dict | None = None) -> dict:
            answer = await case.post(path, headers=headers or chubu, json=body)
            assert answer.status_code == expected, answer.text
            return answer.json()

        async def registered() -> list:
            return (await case.get("/v1/helpers", headers=chubu)).json()["items"]

        found = await eventually(registered, what="the case service learning the helpers")
        assert [(h["account_id"], h["kind"], h["open_tasks"]) for h in found] == [(HELPER, "ほっとネット推進員", 0)]

        async def both_counted() -> dict:  # the other area's helper may arrive in a later batch
            counts = (
                await case.get("/v1/helpers/counts", headers=bearer(settings, "supervisor", "city", "sv-1"))
            ).json()
            return counts if counts["total"] == 2 else {}

        counts = await eventually(both_counted, what="both helpers counted")
        assert counts["by_area"]["中部"] == {"ほっとネット推進員": 1}
        # The plan's figures report them too, in JSON and CSV, whatever the period.
        supervisor = bearer(settings, "supervisor", "city", "sv-1")
        figures = (await case.get("/v1/figures", headers=supervisor, params={"period": "month"})).json()
        assert figures["registered_helpers"]["中部"] == {"ほっとネット推進員": 1}
        as_csv = (await case.get("/v1/figures", headers=supervisor, params={"period": "month", "format": "csv"})).text
        assert "now,,,,registered_helpers,中部,ほっとネット推進員,1" in as_csv.replace("\r", "")
        assert (await case.get("/v1/helpers", headers=chubu, params={"area": "西部"})).status_code == 403

        tasks = f"/v1/cases/{case_id}/helper-tasks"
        version = (
            await post(f"/v1/cases/{case_id}/assignment", {"coordinator_id": "csw-chubu-1", "version": version})
        )["version"]
        task = {
            "helper_id": HELPER,
            "kind": "見守り",
            "instructions": "サンプル: 夕方に明かりがつくか見てください",
            "share": ["person_name", "approximate_place", "age_group"],
            "due_on": "2026-12-04",
        }
        # Not yet consented; another area's helper; what a 見守り does not need: refused at the field.
        for changes, field in (
            ({}, "share"),
            ({"helper_id": OTHER_AREA, "share": ["age_group"]}, "helper_id"),
            ({"share": ["noticed"]}, "share"),
        ):
            refused = await post(tasks, {**task, **changes, "version": version}, 422)
            assert refused["errors"][0]["loc"] == [field], refused
        version = (await post(f"/v1/cases/{case_id}/consent", {"consent": "同意あり", "version": version}))["version"]
        given = await post(tasks, {**task, "version": version}, 201)
        task_id, version = given["task_id"], given["version"]

        mine = (await case.get("/v1/helper/tasks", headers=helper)).json()["items"]
        assert [(t["id"], t["status"], t["instructions"]) for t in mine] == [(task_id, "assigned", None)]
        read = (await case.get(f"/v1/helper/tasks/{task_id}", headers=helper)).json()
        assert read["shared"] == {
            "person_name": "サンプル 花子",
            "approximate_place": "サンプル町1丁目付近",
            "age_group": "80代",
        }
        assert read["task"]["instructions"] == task["instructions"]
        stranger = bearer(settings, "helper", "中部", "hotnet-8")
        assert (await case.get(f"/v1/helper/tasks/{task_id}", headers=stranger)).status_code == 404
        reads = (await case.get(f"/v1/cases/{case_id}/reads", headers=chubu)).json()["items"]
        assert any(r["reader_id"] == HELPER and r["what"] == "helper_task" for r in reads), reads
        await eventually(lambda: _kinds(notify, helper, ["helper_task_new"]), what="the helper told of the task")

        checkin = {"kind": "訪問", "outcome": "気になる変化", "note": "サンプル: 雨戸が閉まったまま"}
        await post(f"/v1/helper/tasks/{task_id}/checkins", checkin, 409, helper)  # not yet taken on
        await post(f"/v1/helper/tasks/{task_id}/accept", {}, 200, helper)
        await post(f"/v1/helper/tasks/{task_id}/accept", {}, 409, helper)
        early = {**checkin, "checked_at": "2026-12-03T08:00:00+09:00"}
        refused = await post(f"/v1/helper/tasks/{task_id}/checkins", early, 422, helper)
        assert refused["errors"][0]["loc"] == ["checked_at"], refused
        clock.at = jst(2026, 12, 3, 17, 0)
        await post(f"/v1/helper/tasks/{task_id}/checkins", checkin, 201, helper)
        await eventually(lambda: _kinds(notify, chubu, ["watch_concern"]), what="the coordinator alerted")
        # What the helper did on the task counts as the case's activity (not before the task was given).
        accompanied = {"kind": "同行", "outcome_kind": "関係機関につないだ", "agency_ids": ["hc-3"]}
        too_early = {**accompanied, "happened_at": "2026-12-03T08:00:00+09:00"}
        assert (await post(f"/v1/helper/tasks/{task_id}/activities", too_early, 422, helper))["errors"][0]["loc"] == [
            "happened_at"
        ]
        await post(f"/v1/helper/tasks/{task_id}/activities", accompanied, 404, stranger)
        await post(f"/v1/helper/tasks/{task_id}/activities", accompanied, 201, helper)
        logged = (await case.get(f"/v1/cases/{case_id}/activities", headers=chubu)).json()["items"]
        assert [(a["kind"], a["recorded_by"], a["agency_ids"]) for a in logged] == [("同行", HELPER, ["hc-3"])]

        clock.at = jst(2026, 12, 5, 0, 1)  # Saturday: the day is over, the task not done
        await settle(notify)
        assert "helper_task_reminder" in await _kinds(notify, helper)
        clock.at = jst(2026, 12, 7, 23, 59)  # Monday still the helper's
        await settle(notify)
        assert "helper_task_escalation" not in await _kinds(notify, chubu)
        clock.at = jst(2026, 12, 8, 0, 1)  # one business day after: the coordinator
        await settle(notify)
        assert "helper_task_escalation" in await _kinds(notify, chubu)
        await post(f"/v1/helper/tasks/{task_id}/done", {"reason": "サンプル: 家族に引き継いだ"}, 200, helper)
        await post(f"/v1/helper/tasks/{task_id}/done", {}, 409, helper)
        await eventually(lambda: _timer_closed(notify, case_id), what="notify closing the task's timer")
        clock.at = jst(2026, 12, 11, 0, 1)  # done: the supervisor is never told
        await settle(notify)
        assert await kinds(notify, settings, "supervisor", "city") == []

        seen = (await case.get(tasks, headers=chubu)).json()
        assert [(t["status"], t["note"]) for t in seen["items"]] == [("done", "サンプル: 家族に引き継いだ")]
        assert [c["outcome"] for c in seen["checkins"][task_id]] == ["気になる変化"]
        version = seen["version"]
        expected = {
            "case.helper_task_assigned",
            "case.helper_task_accepted",
            "case.helper_task_checked_in",
            "case.activity_recorded",
            "case.helper_task_done",
            "followup.fired",
        }
        await eventually(
            lambda: _has(timeline_types(case, chubu, case_id), expected), what="the task's story on the timeline"
        )
        sealed = [e for e in await published(settings, "case") if e.type == "case.helper_task_assigned"]
        assert sealed[0].payload["instructions"].startswith(SEALED_PREFIX)

        # Consent withdrawn: the personal fields are gone at the next read.
        version = (await post(f"/v1/cases/{case_id}/consent", {"consent": "同意なし", "version": version}))["version"]
        assert (await case.get(f"/v1/helper/tasks/{task_id}", headers=helper)).json()["shared"] == {"age_group": "80代"}

        # A withdrawn task: the helper is told and cannot take it on.
        second = await post(
            tasks, {**task, "kind": "声かけ", "share": ["age_group"], "due_on": None, "version": version}, 201
        )
        withdrawn = await post(f"{tasks}/{second['task_id']}/cancel", {"version": second["version"]})
        await post(f"/v1/helper/tasks/{second['task_id']}/accept", {}, 409, helper)
        await eventually(
            lambda: _kinds(notify, helper, ["helper_task_cancelled"]), what="the helper told of the withdrawal"
        )
        # A declined task says why, and the coordinator hears of it.
        third = await post(tasks, {**task, "share": [], "due_on": None, "version": withdrawn["version"]}, 201)
        refused = await post(f"/v1/helper/tasks/{third['task_id']}/decline", {}, 422, helper)
        assert refused["errors"][0]["loc"] == ["reason"], refused
        await post(f"/v1/helper/tasks/{third['task_id']}/decline", {"reason": "サンプル: 入院のため"}, 200, helper)
        await eventually(lambda: _kinds(notify, chubu, ["helper_task_declined"]), what="the coordinator told")


async def _kinds(notify, headers: dict[str, str], wanted: list[str] | None = None) -> list[str]:
    answer = await notify.get("/v1/notifications", headers=headers)
    assert answer.status_code == 200, answer.text
    found = sorted(item["kind"] for item in answer.json()["items"])
    if wanted is None:
        return found
    return found if set(wanted) <= set(found) else []


async def _has(types, expected: set[str]) -> bool:
    return expected <= set(await types)

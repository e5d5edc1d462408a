"""見守り over HTTP, end to end: intake, case and notify share one clock, moved by the
test (nothing waits for days). An elderly person living alone is put on a fortnightly
watch by a ほっとネット推進員; the check-in due on the Friday before a holiday weekend
is missed and chased on the business days after it (推進員 → coordinator →
supervisor); the next check-in reports 気になる変化 and the coordinator is alerted, then
緊急 like an urgent consultation; the watch ends and the case can close."""

from __future__ import annotations

from case_helpers import case_of, consultation, coordinator, submit, supervisor, timeline_types

from shared.clock import FrozenClock
from shared.events.personal import SEALED_PREFIX
from tests.integration.notify.notify_support import fast_loops, jst, kinds, published, settle
from tests.support.metrics import Scrape
from tests.support.services import bearer, eventually, running_service

HELPER = "hotnet-12"  # a ほっとネット推進員's account: no name travels


async def _mine(notify, headers: dict[str, str]) -> list[str]:
    """The kinds of the notifications in the case's coordinator's inbox."""
    answer = await notify.get("/v1/notifications", headers=headers)
    assert answer.status_code == 200, answer.text
    return sorted(item["kind"] for item in answer.json()["items"])


async def _pending_checkins(notify) -> float:
    metrics = Scrape((await notify.get("/metrics")).text)
    return sum(s.value for s in metrics.samples("tsunagi_notify_followups_pending", step="checkin"))


async def test_a_missed_check_in_over_a_holiday_weekend_is_chased_then_a_change_alerts_the_coordinator(
    make_settings, database_backend, monkeypatch
) -> None:
    fast_loops(monkeypatch)
    settings = make_settings()
    # Friday 2026-11-06 10:00 JST. Fortnightly: the first check-in is due by the end of
    # Friday 11/20; Monday 11/23 is 勤労感謝の日.
    clock = FrozenClock(jst(2026, 11, 6, 9, 0))
    chubu = coordinator(settings)
    async with (
        running_service("intake", settings, clock) as intake,
        running_service("case", settings, clock) as case,
        running_service("notify", settings, clock) as notify,
    ):
        reference = await submit(
            intake,
            settings,
            consultation(
                person={"name": None, "age_group": "80代", "approximate_place": "サンプル町2丁目"},
                household=[{"relation": "本人", "age_group": "80代"}],
                categories=["孤立", "高齢者介護"],
                urgency="通常",
                noticed="サンプル: 一人暮らし。最近、買い物に出る姿を見ない",
                reporter_role="ほっとネット推進員",
            ),
            reporter=HELPER,
        )
        opened = await case_of(case, settings, reference, chubu)
        case_id, version = opened["id"], opened["version"]

        async def post(path: str, body: dict, expected: int = 200) -> dict:
            answer = await case.post(f"/v1/cases/{case_id}{path}", headers=chubu, json=body)
            assert answer.status_code == expected, answer.text
            return answer.json()

        version = (await post("/assignment", {"coordinator_id": "csw-chubu-1", "version": version}))["version"]
        # She has been to see the person (else the first contact would be chased too).
        contact = {"channel": "訪問", "whom": "本人", "outcome": "サンプル: 一人で暮らしている", "version": version}
        version = (await post("/contacts", contact, 201))["version"]
        version = (await post("/status", {"to": "見守り", "version": version}))["version"]
        clock.at = jst(2026, 11, 6, 10, 0)
        plan = {
            "watcher_kind": "helper",
            "watcher_id": HELPER,
            "every": 14,
            "unit": "days",
            "look_for": "サンプル: 新聞がたまっていないか、夜に明かりがつくか",
            "until": "2027-03-31",
        }
        started = await post("/watch", {**plan, "version": version}, 201)
        plan_id, version = started["plan_id"], started["version"]
        # A second plan, an ended plan, a case closed under a watch: refused.
        await post("/watch", {**plan, "version": version}, 409)
        await post("/status", {"to": "終結", "version": version}, 409)
        watch = (await case.get(f"/v1/cases/{case_id}/watch", headers=chubu)).json()
        assert (watch["current"]["next_due_on"], watch["current"]["next_due_at_jst"]) == (
            "2026-11-20",
            "2026-11-21 00:00:00 JST",
        )
        assert watch["current"]["rhythm"] == "14日ごと" and watch["current"]["look_for"] == plan["look_for"]
        await eventually(lambda: _pending_checkins(notify), what="notify chasing the first check-in")
        sealed = [e for e in await published(settings, "case") if e.type == "case.watch_started"]
        assert sealed[0].payload["look_for"].startswith(SEALED_PREFIX)  # the coordinator's words

        checkins = f"/watch/{plan_id}/checkins"
        # Check-in times obey the plausibility rules: not before the plan, not in the future.
        for when in ("2026-11-06T09:00:00+09:00", "2026-11-06T11:00:00+09:00"):
            refused = await post(
                checkins, {"kind": "訪問", "outcome": "変わりなし", "checked_at": when, "version": version}, 422
            )
            assert refused["errors"][0]["loc"] == ["checked_at"], refused

        clock.at = jst(2026, 11, 20, 23, 59)  # Friday night: not yet missed
        await settle(notify)
        clock.at = jst(2026, 11, 21, 0, 1)  # Saturday: missed → the 推進員 is reminded
        await settle(notify)
        # In their own inbox (addressed to the account, not the area), without the case's id.
        helper_inbox = (
            await notify.get("/v1/notifications", headers=bearer(settings, "helper", "中部", HELPER))
        ).json()
        assert [(n["kind"], n["case_id"]) for n in helper_inbox["items"]] == [("watch_reminder_helper", None)]
        clock.at = jst(2026, 11, 24, 23, 59)  # the holiday Monday and Tuesday: still theirs
        await settle(notify)
        assert await _mine(notify, chubu) == []
        clock.at = jst(2026, 11, 25, 0, 1)  # one business day after: the coordinator
        await settle(notify)
        assert await _mine(notify, chubu) == ["watch_escalation"]
        assert await kinds(notify, settings, "supervisor", "city") == []
        clock.at = jst(2026, 11, 26, 0, 1)  # one more: the supervisor
        await settle(notify)
        assert await kinds(notify, settings, "supervisor", "city") == ["watch_escalation_supervisor"]

        async def fired() -> list:
            found = [e for e in await published(settings, "followup") if e.payload.get("plan_id") == plan_id]
            return found if len(found) == 3 else []

        rungs = await eventually(fired, what="followup.fired for the missed check-in")
        assert [(e.payload["rung"], e.payload["recipient_role"], e.payload["recipient_scope"]) for e in rungs] == [
            (1, "helper", HELPER),
            (2, "coordinator", "中部"),
            (3, "supervisor", "city"),
        ]
        assert [e.occurred_at for e in rungs] == [
            jst(2026, 11, 21, 0, 1),
            jst(2026, 11, 25, 0, 1),
            jst(2026, 11, 26, 0, 1),
        ]

        clock.at = jst(2026, 11, 26, 10, 0)
        current = (await case.get(f"/v1/cases/{case_id}/watch", headers=chubu)).json()
        assert current["current"]["overdue"] and current["current"]["business_days_left"] == -3
        await post(
            checkins,
            {
                "kind": "訪問",
                "outcome": "気になる変化",
                "note": "サンプル: 足元がおぼつかない",
                "version": current["version"],
            },
            201,
        )

        async def alerted() -> list[str]:
            return [k for k in await _mine(notify, chubu) if k == "watch_concern"]

        await eventually(alerted, what="the coordinator alerted of the change")
        after = (await case.get(f"/v1/cases/{case_id}/watch", headers=chubu)).json()
        assert after["current"]["next_due_on"] == "2026-12-10"  # a fortnight after the check-in
        assert [c["outcome"] for c in after["checkins"]] == ["気になる変化"]
        assert {"case.watch_started", "case.checked_in", "followup.fired"} <= set(
            await timeline_types(case, supervisor(settings), case_id)
        )
        reads = (await case.get(f"/v1/cases/{case_id}/reads", headers=supervisor(settings))).json()["items"]
        assert any(r["what"] == "watch" for r in reads)
        # The figures: one check-in missed (three rungs of one timer), one done, one alert.
        figures = await case.get("/v1/figures", headers=supervisor(settings), params={"at": "2026-11"})
        assert {k: figures.json()["current"]["checkins"][k] for k in ("done", "missed", "alerts")} == {
            "done": 1,
            "missed": 1,
            "alerts": 1,
        }, figures.text

        # 緊急 is told like an urgent consultation; ending the watch stops the chase and
        # lets the case be closed.
        urgent = {"kind": "電話", "outcome": "緊急", "version": after["version"]}
        version = (await post(checkins, urgent, 201))["version"]

        async def urgent_told() -> bool:
            return "watch_urgent" in await _mine(notify, chubu)

        await eventually(urgent_told, what="the coordinator told of the emergency")
        version = (await post(f"/watch/{plan_id}/end", {"version": version}))["version"]
        await post(checkins, {**urgent, "version": version}, 409)

        async def nothing_chased() -> bool:
            return await _pending_checkins(notify) == 0

        await eventually(nothing_chased, what="the ended watch no longer chased")
        await post("/status", {"to": "終結", "version": version})

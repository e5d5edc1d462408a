"""Durable follow-ups: business-day deadlines, escalation, cancellation, two replicas,
catching up after downtime. The clock is injected and moved; nothing sleeps for real."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from services.notify.adapters.orm import followup_firings
from shared.clock import FrozenClock
from shared.events import new_event_id
from tests.integration.notify.notify_support import (
    AREA,
    agency_move,
    fast_loops,
    in_app_only_reference,
    jst,
    kinds,
    publish,
    published,
    requested,
    settle,
)
from tests.support.metrics import Scrape
from tests.support.services import bearer, eventually, running_service


async def test_ignored_over_a_holiday_weekend_escalates_on_the_right_business_day(
    make_settings, tmp_path, database_backend, monkeypatch
) -> None:
    fast_loops(monkeypatch)
    settings = make_settings(reference_dir=in_app_only_reference(tmp_path))
    # Friday 2026-11-20 10:00 JST; Monday 11/23 is 勤労感謝の日. Acknowledge within 1
    # business day = by the end of Tuesday 11/24.
    clock = FrozenClock(jst(2026, 11, 20, 10, 0))
    case_id, referral_id = new_event_id(), new_event_id()
    coordinator = bearer(settings, "coordinator", AREA)
    async with running_service("notify", settings, clock) as notify:
        await publish(settings, requested(referral_id, case_id, clock.now()))
        await eventually(lambda: kinds(notify, settings, "agency", "hc-3"), what="new referral notice")

        clock.at = jst(2026, 11, 23, 18, 0)  # the holiday Monday: not late
        await settle(notify)
        clock.at = jst(2026, 11, 24, 23, 59)  # Tuesday night: still not late
        await settle(notify)
        assert await kinds(notify, settings, "agency", "hc-3") == ["referral_new"]
        assert (await notify.get("/v1/overdue", headers=coordinator)).json()["count"] == 0

        clock.at = jst(2026, 11, 25, 0, 1)  # Wednesday: overdue → reminder to the agency
        await settle(notify)
        assert await kinds(notify, settings, "agency", "hc-3") == ["followup_reminder", "referral_new"]
        assert await kinds(notify, settings, "coordinator", AREA) == []
        overdue = (await notify.get("/v1/overdue", headers=coordinator)).json()
        assert [(i["step"], i["late_business_days"], i["escalated_to"]) for i in overdue["items"]] == [
            ("acknowledge", 1, "agency")
        ]
        assert (overdue["total"], overdue["count"]) == (1, 1)
        beyond = (await notify.get("/v1/overdue", params={"offset": 1}, headers=coordinator)).json()
        assert (beyond["items"], beyond["total"]) == ([], 1)
        # The counts are of every overdue referral, whichever page is read.
        assert [(c["key"], c["n"]) for c in beyond["by_agency"]] == [("hc-3", 1)]
        assert [(c["name"], c["n"]) for c in beyond["by_area"]] == [(AREA, 1)]

        clock.at = jst(2026, 11, 25, 23, 0)  # one business day later not yet over
        await settle(notify)
        assert await kinds(notify, settings, "coordinator", AREA) == []

        clock.at = jst(2026, 11, 26, 0, 1)  # Thursday: escalate to the coordinator
        await settle(notify)
        assert await kinds(notify, settings, "coordinator", AREA) == ["followup_escalation"]
        assert await kinds(notify, settings, "supervisor", "city") == []

        clock.at = jst(2026, 11, 27, 0, 1)  # Friday: to the supervisor
        await settle(notify)
        supervisor = await kinds(notify, settings, "supervisor", "city")
        assert supervisor == ["followup_escalation_supervisor"]
        # Decide within 3 business days (Tue, Wed, Thu) was due at the end of Thursday too.
        agency = await kinds(notify, settings, "agency", "hc-3")
        assert agency.count("followup_reminder") == 2

        overdue = (
            await notify.get("/v1/overdue", headers=bearer(settings, "supervisor", "city"), params={"agency": "hc-3"})
        ).json()
        ack = next(i for i in overdue["items"] if i["step"] == "acknowledge")
        assert [(c["key"], c["n"]) for c in overdue["by_agency"]] == [("hc-3", 2)]  # acknowledge and decide
        assert ack["late_business_days"] == 3 and ack["escalated_to"] == "supervisor"
        assert ack["late"] == "3営業日目" and ack["due_at_jst"] == "2026-11-25 00:00:00 JST"
        metrics = Scrape((await notify.get("/metrics")).text)
        assert metrics.value("tsunagi_notify_followups_overdue", step="acknowledge", rungs_fired="3") == 1
        assert metrics.value("tsunagi_notify_followups_overdue", step="decide", rungs_fired="1") == 1

        async def fired() -> list:
            found = [e for e in await published(settings, "followup") if e.payload["step"] == "acknowledge"]
            return found if len(found) == 3 else []

        events = await eventually(fired, what="followup.fired events")
        assert [(e.payload["rung"], e.payload["recipient_role"]) for e in events] == [
            (1, "agency"),
            (2, "coordinator"),
            (3, "supervisor"),
        ]
        assert all(e.case_id == case_id for e in events)


async def test_handled_referral_cancels_its_followups(make_settings, tmp_path, database_backend, monkeypatch) -> None:
    fast_loops(monkeypatch)
    settings = make_settings(reference_dir=in_app_only_reference(tmp_path))
    clock = FrozenClock(jst(2026, 11, 20, 10, 0))
    case_id, referral_id = new_event_id(), new_event_id()
    coordinator = bearer(settings, "coordinator", AREA)

    async def steps() -> dict[str, str]:
        response = await notify.get(f"/v1/referrals/{referral_id}/followups", headers=coordinator)
        return (
            {f"{f['step']}{f['round']}": f["status"] for f in response.json()["items"]}
            if response.status_code == 200
            else {}
        )

    async with running_service("notify", settings, clock) as notify:
        await publish(
            settings,
            requested(referral_id, case_id, clock.now()),
            agency_move("acknowledged", referral_id, case_id, clock.now() + timedelta(hours=1)),
        )
        await eventually(lambda: kinds(notify, settings, "coordinator", AREA), what="acknowledged notice")
        assert await steps() == {"acknowledge1": "done", "decide1": "pending"}

        clock.at = jst(2026, 11, 26, 12, 0)  # past the acknowledgement deadline: nothing to remind
        await settle(notify)
        assert await kinds(notify, settings, "agency", "hc-3") == ["referral_new"]

        clock.at = jst(2026, 11, 27, 0, 1)  # decide (3 business days) is overdue
        await settle(notify)
        assert await kinds(notify, settings, "agency", "hc-3") == ["followup_reminder", "referral_new"]

        await publish(settings, agency_move("accepted", referral_id, case_id, clock.now()))
        await eventually(lambda: _has(steps, "progress1"), what="progress scheduled")
        assert (await steps())["decide1"] == "done"
        await publish(settings, agency_move("status_changed", referral_id, case_id, clock.now(), status="in_progress"))
        await eventually(lambda: _has(steps, "progress2"), what="next progress round")
        await publish(
            settings,
            agency_move("status_changed", referral_id, case_id, clock.now(), status="cancelled", reason="本人が転居"),
        )
        await eventually(lambda: _all_ended(steps), what="all follow-ups ended")
        assert await steps() == {
            "acknowledge1": "done",
            "decide1": "done",
            "progress1": "done",
            "progress2": "cancelled",
        }
        assert "referral_cancelled" in await kinds(notify, settings, "agency", "hc-3")

        clock.at = jst(2027, 2, 1, 9, 0)  # long after every deadline: nothing more fires
        assert await settle(notify) == 0
        assert (await notify.get("/v1/overdue", headers=coordinator)).json()["count"] == 0


async def _has(steps, key: str) -> bool:
    return key in await steps()


async def _all_ended(steps) -> bool:
    found = await steps()
    return bool(found) and "pending" not in found.values()


async def test_an_out_of_order_request_does_not_restart_done_steps(make_settings, tmp_path, monkeypatch) -> None:
    fast_loops(monkeypatch)
    settings = make_settings(reference_dir=in_app_only_reference(tmp_path))
    clock = FrozenClock(jst(2026, 11, 20, 10, 0))
    case_id, referral_id = new_event_id(), new_event_id()
    async with running_service("notify", settings, clock) as notify:
        # The agency's acceptance arrives before the request itself.
        await publish(settings, agency_move("accepted", referral_id, case_id, clock.now()))
        await publish(settings, requested(referral_id, case_id, clock.now() - timedelta(hours=1)))
        await eventually(lambda: kinds(notify, settings, "agency", "hc-3"), what="request applied")
        response = await notify.get(
            f"/v1/referrals/{referral_id}/followups", headers=bearer(settings, "supervisor", "city")
        )
        assert [f["step"] for f in response.json()["items"]] == ["progress"]


async def test_two_replicas_fire_each_reminder_once(make_settings, tmp_path, database_backend, monkeypatch) -> None:
    fast_loops(monkeypatch, TSUNAGI_NOTIFY_FOLLOWUP_INTERVAL_S="0.01")
    clock = FrozenClock(jst(2026, 11, 20, 10, 0))
    settings_a = make_settings(consumer_name="notify-a", reference_dir=in_app_only_reference(tmp_path))
    settings_b = make_settings(consumer_name="notify-b", reference_dir=in_app_only_reference(tmp_path))
    referrals = [(new_event_id(), new_event_id()) for _ in range(6)]
    async with running_service("notify", settings_a, clock) as a, running_service("notify", settings_b, clock) as b:
        await publish(settings_a, *(requested(r, c, clock.now()) for r, c in referrals))

        async def all_requested() -> bool:
            items = (await a.get("/v1/notifications", headers=bearer(settings_a, "agency", "hc-3"))).json()["items"]
            return len(items) == len(referrals)

        await eventually(all_requested, what="requests applied")
        clock.at = jst(2026, 12, 15, 12, 0)  # every rung of every timer is long due: both race for them
        services = (a.app.state.services, b.app.state.services)
        await asyncio.gather(*(s.timer.run_once() for s in services for _ in range(3)))
        await asyncio.gather(*(s.timer.run_once() for s in services))

        async with services[0].runtime.engine.connect() as session:
            firings = (
                await session.execute(
                    select(followup_firings.c.followup_id, followup_firings.c.rung, func.count()).group_by(
                        followup_firings.c.followup_id, followup_firings.c.rung
                    )
                )
            ).all()
        # 6 referrals × 2 steps (acknowledge, decide) × 3 rungs, each exactly once.
        assert len(firings) == 36 and all(count == 1 for *_key, count in firings)
        agency = await kinds(a, settings_a, "agency", "hc-3")
        assert agency.count("followup_reminder") == 12
        assert (await kinds(b, settings_b, "supervisor", "city")).count("followup_escalation_supervisor") == 12

        async def fired() -> list:
            found = await published(settings_a, "followup")
            return found if len(found) >= 36 else []

        events = await eventually(fired, what="followup.fired events")
        assert len(events) == 36
        assert sum(s.timer.fired_total for s in services) == 36


async def test_catches_up_after_downtime(make_settings, tmp_path, monkeypatch) -> None:
    fast_loops(monkeypatch)
    settings = make_settings(reference_dir=in_app_only_reference(tmp_path))
    clock = FrozenClock(jst(2026, 11, 20, 10, 0))
    case_id, referral_id = new_event_id(), new_event_id()
    async with running_service("notify", settings, clock) as notify:
        await publish(settings, requested(referral_id, case_id, clock.now()))
        await eventually(lambda: kinds(notify, settings, "agency", "hc-3"), what="request applied")
    # Down over the whole escalation period; the timers are rows, so they survive.
    clock.at = jst(2026, 12, 1, 9, 0)
    async with running_service("notify", settings, clock) as notify:

        async def escalated() -> bool:
            return "followup_escalation_supervisor" in await kinds(notify, settings, "supervisor", "city")

        await eventually(escalated, what="catch-up escalation")
        assert (await kinds(notify, settings, "coordinator", AREA)).count("followup_escalation") == 2

"""Which deadline a follow-up chases and by which policy: the one the agency was shown,
the area a moved case belongs to now, hours for an emergency over a weekend, and another
policy file — reloaded with the reference data."""

from __future__ import annotations

import yaml

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
    requested,
    settle,
)
from tests.support.services import bearer, eventually, running_service


async def test_agency_is_chased_on_the_deadline_it_was_shown_and_a_moved_case_escalates_to_its_new_area(
    make_settings, tmp_path, monkeypatch
) -> None:
    from shared.events import SYSTEM
    from shared.events.case import CaseMoved
    from tests.integration.notify.notify_support import envelope

    fast_loops(monkeypatch)
    settings = make_settings(reference_dir=in_app_only_reference(tmp_path))
    clock = FrozenClock(jst(2026, 11, 20, 10, 0))
    case_id, referral_id = new_event_id(), new_event_id()
    shown_ack = jst(2026, 11, 26, 0, 0)  # the referral service told the agency: end of Wednesday
    async with running_service("notify", settings, clock) as notify:
        await publish(settings, requested(referral_id, case_id, clock.now()))
        await publish(
            settings,
            agency_move(
                "received",
                referral_id,
                case_id,
                clock.now(),
                agency_kind="地域包括支援センター",
                urgency="通常",
                acknowledge_by=shown_ack,
                decide_by=jst(2026, 11, 27, 0, 0),
            ),
        )
        await publish(
            settings, envelope(CaseMoved(case_id=case_id, from_area=AREA, to_area="西部"), actor=SYSTEM, at=clock.now())
        )
        supervisor = bearer(settings, "supervisor", "city")

        async def aligned() -> bool:
            response = await notify.get(f"/v1/referrals/{referral_id}/followups", headers=supervisor)
            body = response.json()
            items = {f["step"]: f for f in body.get("items", [])}
            return (
                items.get("acknowledge", {}).get("due_at_jst") == "2026-11-26 00:00:00 JST" and body["area"] == "西部"
            )

        await eventually(aligned, what="deadline aligned with the one shown, case moved")

        clock.at = jst(2026, 11, 25, 12, 0)  # by our own count it would be late; by the shown one not
        await settle(notify)
        assert await kinds(notify, settings, "agency", "hc-3") == ["referral_new"]

        clock.at = jst(2026, 11, 27, 0, 1)  # reminder (26th) and coordinator escalation (27th) due
        await settle(notify)
        assert await kinds(notify, settings, "coordinator", "西部") == ["followup_escalation"]
        assert await kinds(notify, settings, "coordinator", AREA) == []
        west = await notify.get("/v1/overdue", headers=bearer(settings, "coordinator", "西部"))
        assert {i["step"] for i in west.json()["items"]} == {"acknowledge", "decide"}


async def test_emergency_referral_is_chased_in_hours_over_a_weekend(make_settings, tmp_path, monkeypatch) -> None:
    fast_loops(monkeypatch)
    settings = make_settings(reference_dir=in_app_only_reference(tmp_path))
    clock = FrozenClock(jst(2026, 11, 21, 20, 0))  # Saturday evening
    case_id, referral_id = new_event_id(), new_event_id()
    async with running_service("notify", settings, clock) as notify:
        await publish(settings, requested(referral_id, case_id, clock.now(), urgency="緊急"))
        await eventually(lambda: kinds(notify, settings, "agency", "hc-3"), what="request applied")
        clock.at = jst(2026, 11, 21, 23, 59)
        assert await settle(notify) == 0
        clock.at = jst(2026, 11, 22, 0, 0)  # 4 clock hours: Sunday is no excuse
        await settle(notify)
        assert "followup_reminder" in await kinds(notify, settings, "agency", "hc-3")
        clock.at = jst(2026, 11, 22, 2, 0)  # +2 hours: the coordinator
        await settle(notify)
        assert await kinds(notify, settings, "coordinator", AREA) == ["followup_escalation"]
        clock.at = jst(2026, 11, 22, 4, 30)  # +2 hours: the supervisor
        await settle(notify)
        assert await kinds(notify, settings, "supervisor", "city") == ["followup_escalation_supervisor"]
        overdue = (await notify.get("/v1/overdue", headers=bearer(settings, "supervisor", "city"))).json()
        ack = next(i for i in overdue["items"] if i["step"] == "acknowledge")
        assert ack["late_hours"] == 4.5 and ack["late"] == "4.5時間"


async def test_another_policy_file_is_used_and_reloaded_with_the_reference_data(
    make_settings, tmp_path, monkeypatch
) -> None:
    """TSUNAGI_NOTIFY_FOLLOWUP_POLICY: another follow-up policy file, loaded through the
    reference data — so ``POST /v1/admin/reference/reload`` re-reads it too."""
    policy_file = tmp_path / "fast-followups.yaml"
    spans = ("acknowledge", "decide", "progress", "escalate_to_coordinator", "escalate_to_supervisor")
    policy_file.write_text(yaml.safe_dump({"default": {key: {"hours": 1} for key in spans}}), encoding="utf-8")
    fast_loops(monkeypatch, TSUNAGI_NOTIFY_FOLLOWUP_POLICY=str(policy_file))
    settings = make_settings(reference_dir=in_app_only_reference(tmp_path))
    clock = FrozenClock(jst(2026, 11, 20, 10, 0))  # Friday
    coordinator = bearer(settings, "coordinator", AREA)

    async def acknowledge_due(referral_id: str) -> str | None:
        response = await notify.get(f"/v1/referrals/{referral_id}/followups", headers=coordinator)
        if response.status_code == 404:  # the referral's event is not applied yet
            return None
        items = response.json()["items"]
        return next((i["due_at_jst"] for i in items if i["step"] == "acknowledge"), None)

    async with running_service("notify", settings, clock) as notify:
        first = new_event_id()
        await publish(settings, requested(first, new_event_id(), clock.now()))
        assert await eventually(lambda: acknowledge_due(first), what="timer") == "2026-11-20 11:00:00 JST"

        policy_file.write_text(yaml.safe_dump({"default": {key: {"hours": 2} for key in spans}}), encoding="utf-8")
        reloaded = await notify.post("/v1/admin/reference/reload", headers=bearer(settings, "supervisor", "city"))
        assert reloaded.status_code == 200, reloaded.text
        second = new_event_id()
        await publish(settings, requested(second, new_event_id(), clock.now()))
        assert await eventually(lambda: acknowledge_due(second), what="timer") == "2026-11-20 12:00:00 JST"

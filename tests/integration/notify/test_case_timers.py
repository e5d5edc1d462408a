"""A case's own timers in notify, fed the case service's events on real Redis and a real
database: a 緊急 case unassigned at night is chased by the clock (coordinators after an
hour, the supervisor an hour later); a case moved away from its coordinator waits for a
new one and for a first contact again; a contact ends the wait; 終結 and a merge end
whatever is pending; a decision needed reaches the case's coordinator."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from services.notify.adapters.orm import followups
from shared.clock import FrozenClock
from shared.events import new_event_id
from shared.events.case import CaseAssigned, CaseMerged, CaseMoved, CaseStatusChanged, ContactRecorded, DecisionNeeded
from tests.integration.notify.notify_support import (
    AREA,
    COORDINATOR,
    case_opened,
    envelope,
    fast_loops,
    in_app_only_reference,
    jst,
    kinds,
    publish,
    settle,
)
from tests.support.services import bearer, eventually, running_service


async def _timers(notify: Any, case_id: str) -> list[tuple[str, int, str]]:
    engine = notify.app.state.services.runtime.engine
    async with engine.connect() as db:
        rows = await db.execute(
            select(followups.c.step, followups.c.round, followups.c.status)
            .where(followups.c.referral_id == case_id)
            .order_by(followups.c.step, followups.c.round)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


def _at(clock: FrozenClock, payload: Any) -> Any:
    return envelope(payload, actor=COORDINATOR, at=clock.now())


async def test_a_cases_own_timers_follow_its_events(make_settings, tmp_path, database_backend, monkeypatch) -> None:
    fast_loops(monkeypatch)
    settings = make_settings(reference_dir=in_app_only_reference(tmp_path))
    clock = FrozenClock(jst(2026, 11, 21, 22, 0))  # Saturday night
    urgent, moved, closed, merged = (new_event_id() for _ in range(4))
    async with running_service("notify", settings, clock) as notify:
        await publish(settings, case_opened(urgent, clock.now(), urgency="緊急"))
        await eventually(lambda: _timers(notify, urgent), what="the urgent case waiting for a coordinator")
        clock.at = jst(2026, 11, 21, 23, 1)
        await settle(notify)
        assert (await kinds(notify, settings, "coordinator", AREA)).count("case_unassigned_reminder") == 1
        clock.at = jst(2026, 11, 22, 0, 1)
        await settle(notify)
        assert await kinds(notify, settings, "supervisor", "city") == ["case_unassigned_escalation_supervisor"]

        clock.at = jst(2026, 11, 24, 9, 0)
        await publish(settings, case_opened(moved, clock.now()))
        await eventually(lambda: _timers(notify, moved), what="the case waiting")
        await publish(settings, _at(clock, CaseAssigned(case_id=moved, area=AREA, coordinator_id="csw-chubu-1")))

        async def contact_waits() -> bool:
            return await _timers(notify, moved) == [("assign", 1, "done"), ("contact", 1, "pending")]

        await eventually(contact_waits, what="the wait for the first contact")
        await publish(settings, _at(clock, CaseMoved(case_id=moved, from_area=AREA, to_area="西部")))

        async def waits_again() -> bool:
            return await _timers(notify, moved) == [
                ("assign", 1, "done"),
                ("assign", 2, "pending"),
                ("contact", 1, "cancelled"),
            ]

        await eventually(waits_again, what="a released case waiting for a coordinator again")
        taken = CaseAssigned(case_id=moved, area="西部", coordinator_id="csw-seibu-1")
        await publish(settings, _at(clock, taken))
        contact = ContactRecorded(case_id=moved, contact_id=new_event_id(), channel="電話", contacted_at="x")
        await publish(settings, _at(clock, contact))

        async def contacted() -> bool:
            return await _timers(notify, moved) == [
                ("assign", 1, "done"),
                ("assign", 2, "done"),
                ("contact", 1, "cancelled"),
                ("contact", 2, "done"),
            ]

        await eventually(contacted, what="the new coordinator's contact ending the wait")

        await publish(settings, case_opened(closed, clock.now()), case_opened(merged, clock.now()))
        await eventually(lambda: _timers(notify, merged), what="two more cases waiting")
        change = CaseStatusChanged(case_id=closed, area=AREA, from_status="受付", to_status="終結")
        into = CaseMerged(case_id=urgent, source_case_id=merged, merge_id=new_event_id())
        await publish(settings, _at(clock, change), _at(clock, into))

        async def ended() -> bool:
            return [await _timers(notify, c) for c in (closed, merged)] == [[("assign", 1, "cancelled")]] * 2

        await eventually(ended, what="closing and merging ending the waits")

        decision = DecisionNeeded(case_id=moved, area="西部", referral_ids=[new_event_id()])
        await publish(settings, _at(clock, decision))

        async def asked() -> bool:
            mine = await notify.get("/v1/notifications", headers=bearer(settings, "coordinator", "西部", "csw-seibu-1"))
            return "case_decision_needed" in [item["kind"] for item in mine.json()["items"]]

        await eventually(asked, what="the coordinator asked to decide")

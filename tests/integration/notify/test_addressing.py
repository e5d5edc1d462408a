"""Notifications addressed to the person responsible, on real Redis and a real database:
a case's notifications go to its assigned coordinator (learnt from ``case.assigned``),
to every coordinator of its area only while it is unassigned; a reassignment moves the
later ones to the new coordinator; an agency's go to the agency as before."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select

from services.notify.adapters.orm import cases
from shared.clock import FrozenClock
from shared.events import SYSTEM, new_event_id
from shared.events.case import CaseAssigned, CaseMoved
from shared.settings import Settings
from tests.integration.notify.notify_support import (
    AREA,
    COORDINATOR,
    agency_move,
    case_opened,
    envelope,
    fast_loops,
    in_app_only_reference,
    inbox,
    jst,
    publish,
    requested,
)
from tests.support.services import bearer, eventually, running_service


async def _box(client: httpx.AsyncClient, settings: Settings, person: str, area: str = AREA) -> dict[str, Any]:
    answer = await client.get("/v1/notifications", headers=bearer(settings, "coordinator", area, person))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _kinds(client: httpx.AsyncClient, settings: Settings, person: str, area: str = AREA) -> list[str]:
    return sorted(i["kind"] for i in (await _box(client, settings, person, area))["items"])


def _assigned(case_id: str, to: str, at: datetime, *, previous: str | None = None, area: str = AREA) -> Any:
    payload = CaseAssigned(case_id=case_id, area=area, coordinator_id=to, previous_coordinator_id=previous)
    return envelope(payload, actor=COORDINATOR, at=at)


async def test_the_assigned_coordinator_and_only_they_are_told(
    make_settings, tmp_path, database_backend, monkeypatch
) -> None:
    fast_loops(monkeypatch)
    settings = make_settings(reference_dir=in_app_only_reference(tmp_path))
    clock = FrozenClock(jst(2026, 11, 24, 9, 0))
    case_id, referral_id = new_event_id(), new_event_id()
    async with running_service("notify", settings, clock) as notify:
        at = clock.now()
        await publish(settings, case_opened(case_id, at, urgency="緊急"), requested(referral_id, case_id, at))

        async def both_see_the_unassigned_case() -> bool:
            seen = [await _kinds(notify, settings, p) for p in ("csw-chubu-1", "csw-chubu-2")]
            return seen == [["urgent_case"], ["urgent_case"]]

        await eventually(both_see_the_unassigned_case, what="the area's coordinators told while unassigned")

        await publish(settings, _assigned(case_id, "csw-chubu-1", at))

        async def others_no_longer_see_it() -> bool:
            return await _kinds(notify, settings, "csw-chubu-2") == []

        # case.* and referral.* are separate streams: wait until the assignment is applied.
        await eventually(others_no_longer_see_it, what="the assignment learnt")
        await publish(settings, agency_move("acknowledged", referral_id, case_id, at))

        async def assignee_told() -> bool:
            return await _kinds(notify, settings, "csw-chubu-1") == ["referral_acknowledged", "urgent_case"]

        await eventually(assignee_told, what="the assigned coordinator told")
        other = await _box(notify, settings, "csw-chubu-2")
        assert other["items"] == [] and other["unread_count"] == 0
        assert (await _box(notify, settings, "csw-chubu-1"))["unread_count"] == 2
        acknowledged = next(
            i for i in (await _box(notify, settings, "csw-chubu-1"))["items"] if i["kind"] == "referral_acknowledged"
        )
        # Another coordinator of the area cannot read it either.
        refused = await notify.post(
            f"/v1/notifications/{acknowledged['id']}/read",
            headers=bearer(settings, "coordinator", AREA, "csw-chubu-2"),
        )
        assert refused.status_code == 404
        # The agency's notifications are the agency's, as before.
        assert [i["kind"] for i in (await inbox(notify, settings, "agency", "hc-3"))["items"]] == ["referral_new"]

        # Reassigned: what comes next goes to the new coordinator; what the first was
        # sent stays theirs.
        await publish(settings, _assigned(case_id, "csw-chubu-2", at, previous="csw-chubu-1"))

        async def reassignment_learnt() -> bool:
            return await _kinds(notify, settings, "csw-chubu-2") == ["urgent_case"]

        await eventually(reassignment_learnt, what="the reassignment learnt")
        await publish(settings, agency_move("accepted", referral_id, case_id, at))

        async def new_assignee_told() -> bool:
            return await _kinds(notify, settings, "csw-chubu-2") == ["referral_accepted", "urgent_case"]

        await eventually(new_assignee_told, what="the new coordinator told")
        assert await _kinds(notify, settings, "csw-chubu-1") == ["referral_acknowledged"]


async def test_assignment_learnt_out_of_order_and_a_move_releases_the_case(
    make_settings, tmp_path, monkeypatch
) -> None:
    fast_loops(monkeypatch)
    settings = make_settings(reference_dir=in_app_only_reference(tmp_path))
    clock = FrozenClock(jst(2026, 11, 24, 9, 0))
    case_id, referral_id = new_event_id(), new_event_id()
    async with running_service("notify", settings, clock) as notify:
        at = clock.now()
        # The assignment applied before notify saw the case open; then an older assignment.
        first_id, second_id = new_event_id(), new_event_id()
        earlier = _assigned(case_id, "csw-chubu-2", at).model_copy(update={"event_id": min(first_id, second_id)})
        later = _assigned(case_id, "csw-chubu-1", at).model_copy(update={"event_id": max(first_id, second_id)})
        await publish(settings, later, case_opened(case_id, at, urgency="緊急"), earlier)
        await publish(
            settings,
            requested(referral_id, case_id, at),
            agency_move("declined", referral_id, case_id, at, reason="サンプル"),
        )

        async def assignee_told() -> bool:
            return await _kinds(notify, settings, "csw-chubu-1") == ["referral_declined", "urgent_case"]

        await eventually(assignee_told, what="the later assignment wins")
        assert await _kinds(notify, settings, "csw-chubu-2") == []

        # Routed to 西部's queue: no one holds it, every 西部 coordinator is told.
        moved = envelope(CaseMoved(case_id=case_id, from_area=AREA, to_area="西部"), actor=SYSTEM, at=at)
        await publish(settings, moved)

        async def released() -> bool:
            async with notify.app.state.services.runtime.unit_of_work() as uow:  # type: ignore[attr-defined]
                row = (await uow.db.execute(select(cases).where(cases.c.case_id == case_id))).one()
            return row.area == "西部" and row.coordinator_id is None

        await eventually(released, what="the move applied")
        second = new_event_id()
        await publish(settings, requested(second, case_id, at), agency_move("acknowledged", second, case_id, at))

        async def seibu_told() -> bool:
            return "referral_acknowledged" in await _kinds(notify, settings, "csw-seibu-1", "西部")

        await eventually(seibu_told, what="the new area's coordinators told")


async def test_taking_a_city_wide_case_keeps_it_whichever_event_comes_first(
    make_settings, tmp_path, monkeypatch
) -> None:
    fast_loops(monkeypatch)
    settings = make_settings(reference_dir=in_app_only_reference(tmp_path))
    clock = FrozenClock(jst(2026, 11, 24, 9, 0))
    case_id, referral_id = new_event_id(), new_event_id()
    async with running_service("notify", settings, clock) as notify:
        at = clock.now()
        opened = case_opened(case_id, at)
        # The one update that takes a case from 市全域: assigned and moved, here assigned first.
        await publish(
            settings,
            opened,
            _assigned(case_id, "csw-chubu-1", at),
            envelope(CaseMoved(case_id=case_id, from_area="市全域", to_area=AREA), actor=COORDINATOR, at=at),
            requested(referral_id, case_id, at),
            agency_move("acknowledged", referral_id, case_id, at),
        )

        async def assignee_alone_told() -> bool:
            mine = await _kinds(notify, settings, "csw-chubu-1")
            return mine == ["referral_acknowledged"] and await _kinds(notify, settings, "csw-chubu-2") == []

        # Released by the move, the case's notices would reach csw-chubu-2 too.
        await eventually(assignee_alone_told, what="the coordinator who took it told, alone")

"""Case events that change who sees a referral: the case moving to another area, the
person withdrawing consent — in either arrival order."""

from __future__ import annotations

import json
import time

from tests.integration.referral.referral_support import (
    NON_PERSONAL,
    PERSONAL,
    case_moved,
    consent_recorded,
    publish,
    published,
    requested,
)
from tests.support.services import bearer, eventually, running_service


async def _status(referral, rid: str, headers) -> dict | None:
    response = await referral.get(f"/v1/referrals/{rid}", headers=headers)
    return response.json() if response.status_code == 200 else None


async def test_withdrawn_consent_removes_personal_fields_from_the_agency_view(make_settings, database_backend) -> None:
    settings = make_settings()
    request = requested(case_id="CASE-W")
    rid = request.payload["referral_id"]
    async with running_service("referral", settings) as referral:
        agency = bearer(settings, "agency", "hc-3")
        await publish(settings, request)
        before = await eventually(lambda: _status(referral, rid, agency), what="referral visible")
        assert before["shared"]["person_name"] == PERSONAL["person_name"]

        await publish(settings, consent_recorded("CASE-W", "同意なし"))

        async def narrowed():
            body = await _status(referral, rid, agency)
            return body if body and "person_name" not in body["shared"] else None

        after = await eventually(narrowed, what="personal fields removed")
        assert after["shared"] == NON_PERSONAL
        assert PERSONAL["noticed"] not in json.dumps(after, ensure_ascii=False)
        events = await eventually(
            lambda: _of_type(settings, rid, "referral.sharing_restricted"), what="sharing_restricted event"
        )
        assert set(events[0].payload["withheld_fields"]) >= {"person_name", "noticed", "household"}
        assert events[0].case_id == "CASE-W"

        # Consent given again later does not bring anything back; a re-referral would.
        await publish(settings, consent_recorded("CASE-W", "同意あり"))
        staff = bearer(settings, "coordinator", "中部")
        await eventually(lambda: _applied(referral, 3), what="consent event applied")
        assert (await _status(referral, rid, agency))["shared"] == NON_PERSONAL
        assert "person_name" in (await _status(referral, rid, staff))["withheld"]


async def test_a_late_request_gets_the_later_withdrawal_and_move(make_settings) -> None:
    settings = make_settings()
    request = requested(case_id="CASE-L")  # requested first ...
    time.sleep(0.002)  # event ids are ordered by the millisecond
    withdrawal = consent_recorded("CASE-L", "同意なし")
    moved = case_moved("CASE-L", "中部", "西部")
    rid = request.payload["referral_id"]
    async with running_service("referral", settings) as referral:
        await publish(settings, withdrawal, moved)  # ... but the later case events arrive first
        await eventually(lambda: _applied(referral, 2), what="case events applied")
        await publish(settings, request)
        agency = bearer(settings, "agency", "hc-3")
        body = await eventually(lambda: _status(referral, rid, agency), what="referral visible")
        assert body["shared"] == NON_PERSONAL
        west = bearer(settings, "coordinator", "西部")
        assert (await _status(referral, rid, west))["area"] == "西部"
        assert await _status(referral, rid, bearer(settings, "coordinator", "中部")) is None
        received = (await eventually(lambda: published(settings, referral_id=rid), what="received"))[0]
        assert received.payload["area"] == "西部"


async def test_referrals_follow_their_case_to_another_area(make_settings) -> None:
    settings = make_settings()
    request = requested(case_id="CASE-M")
    rid = request.payload["referral_id"]
    async with running_service("referral", settings) as referral:
        chubu, seibu = bearer(settings, "coordinator", "中部"), bearer(settings, "coordinator", "西部")
        await publish(settings, request)
        await eventually(lambda: _status(referral, rid, chubu), what="referral in 中部")
        first = case_moved("CASE-M", "中部", "西部")
        time.sleep(0.002)  # event ids are ordered by the millisecond
        second = case_moved("CASE-M", "西部", "南部")
        await publish(settings, second, first)  # out of order: the later move must win
        await eventually(lambda: _applied(referral, 3), what="moves applied")
        assert await _status(referral, rid, chubu) is None and await _status(referral, rid, seibu) is None
        nanbu = bearer(settings, "coordinator", "南部")
        assert (await _status(referral, rid, nanbu))["area"] == "南部"
        cancelled = await referral.post(
            f"/v1/referrals/{rid}/cancel", json={"version": 1, "reason": "南部で対応"}, headers=nanbu
        )
        assert cancelled.status_code == 200
        events = await eventually(lambda: _of_type(settings, rid, "referral.status_changed"), what="cancel")
        assert events[0].payload["area"] == "南部"


async def _applied(referral, n: int) -> bool:
    consumer = referral.app.state.services.runtime.consumer
    return consumer.applied_total >= n


async def _of_type(settings, rid: str, event_type: str):
    return [e for e in await published(settings, referral_id=rid) if e.type == event_type] or None

"""Notifications for a referral flow, on real Redis and a real database."""

from __future__ import annotations

from shared.clock import FrozenClock
from shared.events import SYSTEM, new_event_id
from tests.integration.notify.notify_support import (
    AREA,
    agency_move,
    case_opened,
    fast_loops,
    in_app_only_reference,
    inbox,
    jst,
    kinds,
    publish,
    published,
    requested,
)
from tests.support.services import bearer, eventually, running_service


async def test_each_party_is_told_what_it_must_know(make_settings, tmp_path, database_backend, monkeypatch) -> None:
    fast_loops(monkeypatch)
    settings = make_settings(reference_dir=in_app_only_reference(tmp_path))
    clock = FrozenClock(jst(2026, 11, 20, 10, 0))
    case_id, referral_id = new_event_id(), new_event_id()
    async with running_service("notify", settings, clock) as notify:
        at = clock.now()
        await publish(settings, case_opened(case_id, at), requested(referral_id, case_id, at))
        await publish(
            settings,
            agency_move("received", referral_id, case_id, at),
            agency_move("acknowledged", referral_id, case_id, at),
            agency_move("accepted", referral_id, case_id, at),
        )

        async def coordinator_told() -> bool:
            return await kinds(notify, settings, "coordinator", AREA) == ["referral_accepted", "referral_acknowledged"]

        await eventually(coordinator_told, what="coordinator notifications")
        agency_box = await inbox(notify, settings, "agency", "hc-3")
        assert [i["kind"] for i in agency_box["items"]] == ["referral_new"]
        new = agency_box["items"][0]
        assert new["title"] == "新しい依頼が届きました"
        assert "2026-11-25 00:00:00 JST" in new["body"]  # end of Tuesday: Monday 11/23 is a holiday
        assert "サンプル西東京花子" not in new["body"]  # shared fields never go in a notification

        async def reporter_told() -> dict:
            # case.* and referral.* are separate streams: either may be applied first.
            box = await inbox(notify, settings, "reporter", "vol-1")
            return box if len(box["items"]) == 2 else {}

        reporter_box = await eventually(reporter_told, what="reporter notifications")
        assert sorted(i["kind"] for i in reporter_box["items"]) == ["consultation_received", "reporter_connected"]
        for item in reporter_box["items"]:
            assert item["case_id"] is None and item["referral_id"] is None
            assert "C-" not in item["body"] and "hc-3" not in item["body"]
        # Another reporter and another agency see nothing.
        assert (await inbox(notify, settings, "reporter", "vol-2"))["items"] == []
        assert (await inbox(notify, settings, "agency", "hc-1"))["items"] == []

        # Read / unread.
        assert agency_box["unread_count"] == 1
        read = await notify.post(f"/v1/notifications/{new['id']}/read", headers=bearer(settings, "agency", "hc-3"))
        assert read.status_code == 200 and read.json()["read"] is True
        again = await notify.post(f"/v1/notifications/{new['id']}/read", headers=bearer(settings, "agency", "hc-3"))
        assert again.json()["read_at"] == read.json()["read_at"]
        assert (await inbox(notify, settings, "agency", "hc-3", unread="true"))["items"] == []
        # Colleagues share the area's inbox but each has their own unread.
        first = bearer(settings, "coordinator", AREA, subject="csw-chubu-1")
        second = bearer(settings, "coordinator", AREA, subject="csw-chubu-2")
        box = (await notify.get("/v1/notifications", headers=first)).json()
        assert box["unread_count"] == 2
        await notify.post(f"/v1/notifications/{box['items'][0]['id']}/read", headers=first)
        assert (await notify.get("/v1/notifications", headers=first)).json()["unread_count"] == 1
        theirs = (await notify.get("/v1/notifications", params={"unread": "true"}, headers=second)).json()
        assert theirs["unread_count"] == 2 and len(theirs["items"]) == 2
        assert theirs["items"][0]["first_read_at"] is not None  # they can see a colleague has read it
        # Paged like every list: the second page of one holds the older of the two.
        second_page = (await notify.get("/v1/notifications", params={"page": 2, "per_page": 1}, headers=first)).json()
        assert (second_page["total"], second_page["page"], second_page["offset"]) == (2, 2, 1)
        assert [i["id"] for i in second_page["items"]] == [box["items"][1]["id"]]
        other = await notify.post(f"/v1/notifications/{new['id']}/read", headers=bearer(settings, "agency", "hc-1"))
        assert other.status_code == 404
        assert other.headers["content-type"].startswith("application/problem+json")

        # Each notification is published for the case's timeline, caused by its event.
        async def recorded() -> list:
            found = [e for e in await published(settings, "notification") if e.type == "notification.recorded"]
            return found if len(found) == 5 else []

        events = await eventually(recorded, what="notification.recorded events")
        assert {e.case_id for e in events} == {case_id}
        assert all(e.causation_id for e in events)

        # Accepted: acknowledge and decide are done, progress is now followed.
        followups = await notify.get(
            f"/v1/referrals/{referral_id}/followups", headers=bearer(settings, "coordinator", AREA)
        )
        by_step = {f["step"]: f for f in followups.json()["items"]}
        assert by_step["acknowledge"]["status"] == "done" and by_step["decide"]["status"] == "done"
        assert by_step["progress"]["status"] == "pending"
        assert (
            by_step["progress"]["due_at_jst"] == "2026-12-08 00:00:00 JST"
        )  # end of Mon 12/7: 10 business days after 11/20


async def test_a_redelivered_event_notifies_once(make_settings, tmp_path, monkeypatch) -> None:
    fast_loops(monkeypatch)
    settings = make_settings(reference_dir=in_app_only_reference(tmp_path))
    case_id, referral_id = new_event_id(), new_event_id()
    clock = FrozenClock(jst(2026, 11, 20, 10, 0))
    async with running_service("notify", settings, clock) as notify:
        event = requested(referral_id, case_id, clock.now())
        await publish(settings, event, event)
        await eventually(lambda: kinds(notify, settings, "agency", "hc-3"), what="agency notification")
        await publish(settings, agency_move("acknowledged", referral_id, case_id, clock.now()))
        await eventually(lambda: kinds(notify, settings, "coordinator", AREA), what="coordinator notification")
        assert await kinds(notify, settings, "agency", "hc-3") == ["referral_new"]


async def test_urgent_case_and_decline_reach_the_coordinator(make_settings, tmp_path, monkeypatch) -> None:
    fast_loops(monkeypatch)
    settings = make_settings(reference_dir=in_app_only_reference(tmp_path))
    case_id, referral_id = new_event_id(), new_event_id()
    clock = FrozenClock(jst(2026, 11, 24, 9, 0))
    async with running_service("notify", settings, clock) as notify:
        at = clock.now()
        await publish(settings, case_opened(case_id, at, urgency="緊急"), requested(referral_id, case_id, at))
        await publish(settings, agency_move("declined", referral_id, case_id, at, reason="担当区域外のため"))

        async def told() -> list[dict]:
            items = (await inbox(notify, settings, "coordinator", AREA))["items"]
            return items if len(items) == 2 else []

        items = {i["kind"]: i for i in await eventually(told, what="urgent + declined")}
        assert items["urgent_case"]["title"].startswith("【緊急】")
        assert "理由: 担当区域外のため" in items["referral_declined"]["body"]


async def test_agency_hears_when_consent_is_withdrawn(make_settings, tmp_path, monkeypatch) -> None:
    from shared.events.referral import ReferralSharingRestricted
    from tests.integration.notify.notify_support import envelope

    fast_loops(monkeypatch)
    settings = make_settings(reference_dir=in_app_only_reference(tmp_path))
    case_id, referral_id = new_event_id(), new_event_id()
    async with running_service("notify", settings) as notify:
        restricted = ReferralSharingRestricted(
            referral_id=referral_id,
            case_id=case_id,
            agency_id="hc-3",
            area=AREA,
            withheld_fields=["person_name", "noticed"],
        )
        await publish(settings, envelope(restricted, actor=SYSTEM, at=jst(2026, 11, 24, 9, 0)))

        async def told() -> list:
            return (await inbox(notify, settings, "agency", "hc-3"))["items"]

        [item] = await eventually(told, what="restriction notice")
        assert item["kind"] == "referral_sharing_restricted" and referral_id in item["body"]
        assert "person_name" not in item["body"]


async def test_bad_requests_are_problems_in_japanese(make_settings, tmp_path, monkeypatch) -> None:
    fast_loops(monkeypatch)
    settings = make_settings(reference_dir=in_app_only_reference(tmp_path))
    async with running_service("notify", settings) as notify:
        assert (await notify.get("/v1/notifications")).status_code == 401
        bad = await notify.get(
            "/v1/notifications", params={"unread": "maybe"}, headers=bearer(settings, "agency", "hc-3")
        )
        assert bad.status_code == 422 and "unread" in bad.json()["detail"]
        status = await notify.get(
            "/v1/deliveries", params={"status": "lost"}, headers=bearer(settings, "supervisor", "city")
        )
        assert status.status_code == 422 and "使える値" in status.json()["errors"][0]["msg"]
        forbidden = await notify.get("/v1/deliveries", headers=bearer(settings, "coordinator", AREA))
        assert forbidden.status_code == 403
        other_area = await notify.get(
            "/v1/overdue", params={"area": "西部"}, headers=bearer(settings, "coordinator", AREA)
        )
        assert other_area.status_code == 403 and "担当地域" in other_area.json()["detail"]
        supervisor = bearer(settings, "supervisor", "city")
        unknown_area = await notify.get("/v1/overdue", params={"area": "東部"}, headers=supervisor)
        assert unknown_area.status_code == 422 and "東部" in unknown_area.json()["detail"]
        unknown_agency = await notify.get("/v1/overdue", params={"agency": "nope"}, headers=supervisor)
        assert unknown_agency.status_code == 422
        unknown_kind = await notify.get("/v1/notifications", params={"kind": "gossip"}, headers=supervisor)
        assert unknown_kind.status_code == 422 and "referral_new" in unknown_kind.json()["detail"]
        too_many = await notify.get("/v1/notifications", params={"limit": 10_000}, headers=supervisor)
        assert too_many.status_code == 422
        reporter = await notify.get("/v1/overdue", headers=bearer(settings, "reporter", "vol-1"))
        assert reporter.status_code == 403
        weird = await notify.post("/v1/notifications/..%2F/read", headers=bearer(settings, "agency", "hc-3"))
        assert 400 <= weird.status_code < 500
        missing = await notify.post(
            f"/v1/deliveries/{new_event_id()}/retry", headers=bearer(settings, "supervisor", "city")
        )
        assert missing.status_code == 404
        unknown_referral = await notify.get(
            f"/v1/referrals/{new_event_id()}/followups", headers=bearer(settings, "supervisor", "city")
        )
        assert unknown_referral.status_code == 404

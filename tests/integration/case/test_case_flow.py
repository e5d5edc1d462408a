"""The issue-4 contract of the case service, over HTTP, on real Redis and both databases:
a consultation becomes a case in its area's queue, is assigned and referred, and the
agency's moves (out of order, redelivered) land on the case and its timeline."""

from __future__ import annotations

import redis.asyncio as aioredis
from case_helpers import case_of, consultation, coordinator, detail, publish, submit, supervisor, timeline_types

from shared.events import ReferralAccepted, ReferralReceived
from tests.support.services import bearer, eventually, opened_entry, running_service


async def _events(settings, stream: str) -> list:
    redis = aioredis.Redis.from_url(settings.redis_url)
    try:
        return [opened_entry(fields) for _, fields in await redis.xrange(stream)]
    finally:
        await redis.aclose()


async def test_consultation_to_accepted_referral(make_settings, database_backend) -> None:
    settings = make_settings()
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        reference = await submit(intake, settings, consultation())
        chubu = coordinator(settings)
        opened = await case_of(case, settings, reference, chubu)
        case_id = opened["id"]
        assert (opened["area"], opened["status"], opened["stage"]) == ("中部", "受付", "受付済")
        assert opened["case_number"].startswith("K-")
        assert opened["priority"] == "高" and opened["categories"] == ["8050", "ひきこもり"]
        assert [m["relation"] for m in opened["household"]] == ["本人", "長男"]

        # Visibility: another area does not see it; reporters and agencies may not ask.
        seibu = coordinator(settings, "西部", "csw-seibu-1")
        assert (await case.get("/v1/cases", headers=seibu)).json()["items"] == []
        assert (await case.get(f"/v1/cases/{case_id}", headers=seibu)).status_code == 404
        for role, scope in (("reporter", "vol-1"), ("agency", "hc-3")):
            assert (await case.get("/v1/cases", headers=bearer(settings, role, scope))).status_code == 403
        assert (await case.get("/v1/cases")).status_code == 401

        assigned = await case.post(
            f"/v1/cases/{case_id}/assignment",
            headers=chubu,
            json={"coordinator_id": "csw-chubu-1", "version": opened["version"]},
        )
        assert assigned.status_code == 200, assigned.text
        stale = await case.post(
            f"/v1/cases/{case_id}/assignment",
            headers=chubu,
            json={"coordinator_id": "csw-chubu-2", "version": opened["version"]},
        )
        assert stale.status_code == 409
        assert stale.json()["current_version"] == assigned.json()["version"]
        after = await detail(case, chubu, case_id)
        assert (after["status"], after["stage"], after["coordinator_id"]) == ("対応中", "対応中", "csw-chubu-1")

        refused = await case.post(
            f"/v1/cases/{case_id}/referrals",
            headers=chubu,
            json={
                "agency_id": "hc-3",
                "purpose": "訪問をお願いします",
                "share": ["person_name", "age_group"],
                "version": after["version"],
            },
        )
        assert refused.status_code == 422
        assert "同意" in refused.json()["detail"]
        referred = await case.post(
            f"/v1/cases/{case_id}/referrals",
            headers=chubu,
            json={
                "agency_id": "hc-3",
                "purpose": "訪問をお願いします",
                "share": ["age_group", "categories"],
                "version": after["version"],
            },
        )
        assert referred.status_code == 201, referred.text
        referral_id = referred.json()["referral_id"]

        requested = await eventually(
            lambda: _find(settings, "tsunagi.referral", "referral.requested"), what="referral.requested"
        )
        assert requested.case_id == case_id and requested.payload["referral_id"] == referral_id
        assert requested.payload["shared"] == {"age_group": "80代", "categories": ["8050", "ひきこもり"]}

        # The intake reporter sees the stage move.
        reporter = bearer(settings, "reporter", "vol-1")

        async def stage() -> str:
            return (await intake.get(f"/v1/consultations/{reference}", headers=reporter)).json()["stage"]

        await eventually(lambda: _equals(stage, "対応中"), what="reporter stage 対応中")

        # The agency's moves arrive out of order (accepted before received), one twice.
        move = {"referral_id": referral_id, "case_id": case_id, "agency_id": "hc-3", "area": "中部"}
        accepted = await publish(settings, ReferralAccepted(**move), case_id=case_id)
        await publish(settings, ReferralReceived(**move), case_id=case_id)
        await publish(settings, ReferralAccepted(**move), case_id=case_id, envelope=accepted)

        async def connected() -> dict | None:
            current = await detail(case, chubu, case_id)
            return current if current["stage"] == "つなぎ済" and current["referrals"][0]["received_at"] else None

        final = await eventually(connected, what="stage つなぎ済")
        assert final["status"] == "つなぎ中"
        assert final["referrals"][0]["status"] == "accepted"
        await eventually(lambda: _equals(stage, "つなぎ済"), what="reporter stage つなぎ済")

        types = await timeline_types(case, supervisor(settings), case_id)
        assert types.count("referral.accepted") == 1
        assert types[:2] == ["consultation.submitted", "case.opened"]
        for expected in ("case.assigned", "referral.requested", "referral.received", "referral.accepted"):
            assert expected in types
        assert types.index("case.assigned") < types.index("referral.requested")
        # Ordered by event id: the accepted event was created first, so it sorts first.
        assert types.index("referral.accepted") < types.index("referral.received")

        published = await _events(settings, "tsunagi.case")
        assert {"case.opened", "case.assigned", "case.stage_changed"} <= {e.type for e in published}
        assert all(e.case_id == case_id for e in published)
        stage_events = [e for e in published if e.type == "case.stage_changed"]
        assert [e.payload["stage"] for e in stage_events] == ["対応中", "つなぎ済"]
        assert stage_events[-1].correlation_id == "test-correlation"


async def _find(settings, stream: str, type_: str):
    return next((e for e in await _events(settings, stream) if e.type == type_), None)


async def _equals(read, expected) -> bool:
    return await read() == expected

"""Moves are guarded: the right party, the current version, a legal move, a reason
where one is needed. Every refusal is a problem-details 4xx in Japanese, never a 500."""

from __future__ import annotations

import asyncio

from tests.integration.referral.referral_support import publish, published, requested
from tests.support.services import bearer, eventually, running_service


async def _received(referral, settings, **kwargs) -> str:
    request = requested(**kwargs)
    rid = request.payload["referral_id"]
    await publish(settings, request)
    supervisor = bearer(settings, "supervisor", "city")

    async def arrived():
        return (await referral.get(f"/v1/referrals/{rid}", headers=supervisor)).status_code == 200

    await eventually(arrived, what="referral stored")
    return rid


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


async def test_wrong_party_stale_version_illegal_move_and_missing_reason(make_settings, database_backend) -> None:
    settings = make_settings()
    async with running_service("referral", settings) as referral:
        rid = await _received(referral, settings)
        agency = bearer(settings, "agency", "hc-3")
        coordinator = bearer(settings, "coordinator", "中部")

        # Only the agency accepts; only the coordinator cancels; the supervisor moves nothing.
        assert (
            "機関のみ"
            in _problem(
                await referral.post(f"/v1/referrals/{rid}/accept", json={"version": 1}, headers=coordinator), 403
            )["detail"]
        )
        assert (
            "コーディネーター"
            in _problem(
                await referral.post(
                    f"/v1/referrals/{rid}/cancel", json={"version": 1, "reason": "重複"}, headers=agency
                ),
                403,
            )["detail"]
        )
        _problem(
            await referral.post(
                f"/v1/referrals/{rid}/acknowledge", json={"version": 1}, headers=bearer(settings, "supervisor", "city")
            ),
            403,
        )

        # Illegal from "received": complete. The message names the current state.
        illegal = _problem(
            await referral.post(f"/v1/referrals/{rid}/complete", json={"version": 1}, headers=agency), 409
        )
        assert "受信済" in illegal["detail"] and illegal["current_status"] == "received"
        assert illegal["current_version"] == 1

        # A reason is required to decline; blank does not count.
        missing = _problem(
            await referral.post(f"/v1/referrals/{rid}/decline", json={"version": 1}, headers=agency), 422
        )
        assert any(e["loc"][-1] == "reason" for e in missing["errors"])
        blank = _problem(
            await referral.post(f"/v1/referrals/{rid}/decline", json={"version": 1, "reason": "  "}, headers=agency),
            422,
        )
        assert "reason" in blank["detail"]
        assert [e["msg"] for e in blank["errors"] if e["loc"][-1] == "reason"] == [
            "空白だけでは入力になりません。内容を書いてください"
        ]

        # Accept on version 1, then a second accept on the stale version: 409 with the current one.
        assert (
            await referral.post(f"/v1/referrals/{rid}/accept", json={"version": 1}, headers=agency)
        ).status_code == 200
        stale = _problem(await referral.post(f"/v1/referrals/{rid}/accept", json={"version": 1}, headers=agency), 409)
        assert stale["current_version"] == 2 and stale["current_status"] == "accepted"
        assert "受諾" in stale["detail"]
        again = _problem(await referral.post(f"/v1/referrals/{rid}/accept", json={"version": 2}, headers=agency), 409)
        assert "受諾" in again["detail"] and "できません" in again["detail"]

        # Nothing refused left a trace: one received, one accepted.
        events = await eventually(lambda: _count(published(settings, referral_id=rid), 2), what="two events")
        assert [e.type for e in events] == ["referral.received", "referral.accepted"]

        # The coordinator cancels with a reason; the agency then cannot move it.
        cancelled = await referral.post(
            f"/v1/referrals/{rid}/cancel", json={"version": 2, "reason": "本人が転居したため"}, headers=coordinator
        )
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        assert cancelled.json()["view"] == "staff" and cancelled.json()["reason"] == "本人が転居したため"
        late = _problem(await referral.post(f"/v1/referrals/{rid}/start", json={"version": 3}, headers=agency), 409)
        assert "取消" in late["detail"]
        events = await eventually(lambda: _count(published(settings, referral_id=rid), 3), what="cancel event")
        assert events[-1].payload["status"] == "cancelled" and events[-1].actor.role == "coordinator"


async def test_bad_bodies_and_unknown_ids(make_settings) -> None:
    settings = make_settings()
    async with running_service("referral", settings) as referral:
        rid = await _received(referral, settings)
        agency = bearer(settings, "agency", "hc-3")
        url = f"/v1/referrals/{rid}/acknowledge"
        _problem(
            await referral.post(url, content=b"{version: 1", headers={**agency, "content-type": "application/json"}),
            400,
        )
        _problem(await referral.post(url, json={}, headers=agency), 422)
        _problem(await referral.post(url, json={"version": "one"}, headers=agency), 422)
        _problem(await referral.post(url, json={"version": -1}, headers=agency), 422)
        _problem(await referral.post(url, json={"version": 1, "extra": "x"}, headers=agency), 422)
        _problem(
            await referral.post(
                f"/v1/referrals/{rid}/decline", json={"version": 1, "reason": "あ" * 2001}, headers=agency
            ),
            422,
        )
        _problem(await referral.post(f"/v1/referrals/{rid}/teleport", json={"version": 1}, headers=agency), 404)
        _problem(await referral.post("/v1/referrals/NOPE/acknowledge", json={"version": 1}, headers=agency), 404)
        _problem(await referral.get("/v1/referrals/" + "x" * 65, headers=agency), 422)
        _problem(await referral.get("/v1/referrals?status=lost", headers=agency), 422)
        _problem(await referral.get("/v1/referrals?limit=0", headers=agency), 422)
        _problem(await referral.post(url, json={"version": 1}, headers={"authorization": "Bearer nope"}), 401)
        assert (await referral.post(url, json={"version": 1}, headers=agency)).status_code == 200


async def test_two_concurrent_moves_one_wins(make_settings, database_backend) -> None:
    settings = make_settings()
    async with running_service("referral", settings) as referral:
        rid = await _received(referral, settings)
        agency = bearer(settings, "agency", "hc-3")
        accept = referral.post(f"/v1/referrals/{rid}/accept", json={"version": 1}, headers=agency)
        decline = referral.post(f"/v1/referrals/{rid}/decline", json={"version": 1, "reason": "対象外"}, headers=agency)
        results = await asyncio.gather(accept, decline)
        assert sorted(r.status_code for r in results) == [200, 409]
        staff = (await referral.get(f"/v1/referrals/{rid}", headers=bearer(settings, "supervisor", "city"))).json()
        assert staff["version"] == 2 and len(staff["history"]) == 2


async def test_list_filters_and_overdue(make_settings) -> None:
    settings = make_settings()
    async with running_service("referral", settings) as referral:
        from datetime import timedelta

        from shared.clock import utcnow

        old = await _received(referral, settings, occurred_at=utcnow() - timedelta(days=20))
        fresh = await _received(referral, settings)
        await _received(referral, settings, agency_id="hc-5", area="西部")
        coordinator = bearer(settings, "coordinator", "中部")
        page = (await referral.get("/v1/referrals", headers=coordinator)).json()
        assert page["total"] == 2
        overdue = (await referral.get("/v1/referrals?overdue=true", headers=coordinator)).json()
        assert [i["id"] for i in overdue["items"]] == [old]
        assert overdue["items"][0]["next_deadline"]["overdue"] is True
        agency = bearer(settings, "agency", "hc-3")
        await referral.post(f"/v1/referrals/{fresh}/acknowledge", json={"version": 1}, headers=agency)
        by_status = (await referral.get("/v1/referrals?status=acknowledged&status=accepted", headers=agency)).json()
        assert [i["id"] for i in by_status["items"]] == [fresh]
        open_only = (await referral.get("/v1/referrals?open=true", headers=agency)).json()
        assert open_only["total"] == 2
        closed_only = (await referral.get("/v1/referrals?open=false", headers=agency)).json()
        assert closed_only["total"] == 0
        contradictory = (await referral.get("/v1/referrals?open=false&status=received", headers=agency)).json()
        assert contradictory["total"] == 0
        supervisor = bearer(settings, "supervisor", "city")
        assert (await referral.get("/v1/referrals", headers=supervisor)).json()["total"] == 3
        assert (await referral.get("/v1/referrals?area=西部", headers=supervisor)).json()["total"] == 1
        pressing = (await referral.get("/v1/referrals?sort=deadline", headers=supervisor)).json()["items"]
        assert pressing[0]["id"] == old and pressing[-1]["id"] == fresh  # fresh is acknowledged: decide-by is later
        _problem(await referral.get("/v1/referrals?sort=name", headers=supervisor), 422)
        paged = (await referral.get("/v1/referrals?limit=1&offset=1", headers=supervisor)).json()
        assert paged["total"] == 3 and len(paged["items"]) == 1


async def _count(awaitable, n: int):
    value = await awaitable
    return value if len(value) >= n else None

"""An approval request left in the supervisor's queue is chased on the business-day
calendar (the follow-up ladder, the policy's ``approvals`` spans): the supervisors
hear of the request; past ``decide_by`` they are reminded, then the area's coordinators
hear it still waits, then the supervisors again; the decision ends the chase and the
coordinator hears of it. Also: withdrawing, and a decision's words sealed."""

from __future__ import annotations

from case_helpers import case_of, consultation, coordinator, submit, supervisor

from shared.clock import FrozenClock
from shared.events.personal import SEALED_PREFIX
from tests.integration.notify.notify_support import fast_loops, jst, kinds, published, settle
from tests.support.services import eventually, running_service


async def test_a_request_left_waiting_is_chased_until_the_supervisor_decides(
    make_settings, database_backend, monkeypatch
) -> None:
    fast_loops(monkeypatch)
    settings = make_settings()
    # Friday 2026-11-20 10:00 JST: two business days on is the end of Wednesday 11/25
    # (Monday 11/23 is 勤労感謝の日).
    clock = FrozenClock(jst(2026, 11, 20, 10, 0))
    chubu, sv = coordinator(settings), supervisor(settings)

    async def mine(notify) -> list[str]:
        """The approval notices in the case's coordinator's inbox."""
        answer = await notify.get("/v1/notifications", headers=chubu)
        assert answer.status_code == 200, answer.text
        return sorted(i["kind"] for i in answer.json()["items"] if i["kind"].startswith("approval_"))

    async with (
        running_service("intake", settings, clock) as intake,
        running_service("case", settings, clock) as case,
        running_service("notify", settings, clock) as notify,
    ):
        reference = await submit(intake, settings, consultation(urgency="通常"))
        opened = await case_of(case, settings, reference, chubu)
        case_id, version = opened["id"], opened["version"]

        async def post(path: str, body: dict, expected: int = 200, headers: dict | None = None) -> dict:
            answer = await case.post(path, headers=headers or chubu, json=body)
            assert answer.status_code == expected, answer.text
            return answer.json()

        base = f"/v1/cases/{case_id}"
        version = (await post(f"{base}/assignment", {"coordinator_id": "csw-chubu-1", "version": version}))["version"]
        referral = {
            "agency_id": "npo-young-carers",
            "purpose": "サンプル: 訪問",
            "share": ["age_group"],
            "version": version,
        }
        version = (await post(f"{base}/referrals", referral, 201))["version"]
        close = {"move": "close_with_open_work", "reason": "サンプル: 転居", "version": version}
        # Withdrawn before a decision: nothing more is chased for it.
        first = await post(f"{base}/approvals", close, 201)
        await post(f"/v1/approvals/{first['approval_id']}/withdraw", {}, headers=sv, expected=403)
        await post(f"/v1/approvals/{first['approval_id']}/withdraw", {})
        await post(f"/v1/approvals/{first['approval_id']}/withdraw", {}, expected=409)
        asked = await post(f"{base}/approvals", {**close, "version": first["version"] + 1}, 201)
        queue = (await case.get("/v1/approvals", params={"status": "pending"}, headers=sv)).json()["items"]
        assert [(q["id"], q["decide_by_jst"], q["overdue"]) for q in queue] == [
            (asked["approval_id"], "2026-11-26 00:00:00 JST", False)
        ]

        async def told() -> list[str]:
            return [k for k in await kinds(notify, settings, "supervisor", "city") if k.startswith("approval_")]

        async def both_told() -> bool:  # one notice a request: wait for the second too
            return await told() == ["approval_requested", "approval_requested"]

        await eventually(both_told, what="the supervisors told of both requests")
        clock.at = jst(2026, 11, 25, 23, 59)  # still within the two business days
        await settle(notify)
        assert await told() == ["approval_requested", "approval_requested"]
        clock.at = jst(2026, 11, 26, 0, 1)  # past it: the supervisors are reminded
        await settle(notify)
        assert "approval_reminder" in await told()
        assert "approval_waiting" not in await mine(notify)
        clock.at = jst(2026, 11, 28, 0, 1)  # a business day on: the coordinators hear it waits
        await settle(notify)
        assert "approval_waiting" in await mine(notify)
        clock.at = jst(2026, 12, 1, 0, 1)  # one more (Monday): the supervisors again
        await settle(notify)
        assert "approval_escalation_supervisor" in await told()
        queue = (await case.get("/v1/approvals", params={"status": "pending"}, headers=sv)).json()["items"]
        assert queue[0]["overdue"]

        clock.at = jst(2026, 12, 1, 10, 0)
        decided = await post(
            f"/v1/approvals/{asked['approval_id']}/decision",
            {"decision": "approve", "reason": "サンプル: 転居先の市へ引き継ぎ済み"},
            headers=sv,
        )
        assert decided["status"] == "carried_out"
        assert (await case.get(base, headers=chubu)).json()["status"] == "終結"

        async def coordinator_told() -> bool:
            return "approval_approved" in await mine(notify)

        await eventually(coordinator_told, what="the coordinator told of the approval")
        clock.at = jst(2026, 12, 10, 0, 1)
        await settle(notify)
        fired = [e for e in await published(settings, "followup") if e.payload.get("approval_id")]
        assert [(e.payload["rung"], e.payload["recipient_role"]) for e in fired] == [
            (1, "supervisor"),
            (2, "coordinator"),
            (3, "supervisor"),
        ]
        decisions = [e for e in await published(settings, "case") if e.type == "case.approval_decided"]
        assert decisions[0].payload["decision_reason"].startswith(SEALED_PREFIX)

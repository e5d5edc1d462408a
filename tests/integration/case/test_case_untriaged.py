"""Nothing left untriaged, over HTTP: intake, case and notify share one clock, moved by
the test (nothing waits for hours). A consultation received on the Friday afternoon
before a holiday Monday waits unassigned — the area's coordinators are reminded after 4
business hours (Tuesday late morning, not over the weekend or the holiday), the
supervisor 4 business hours later — then is assigned and its coordinator reminded of
the first contact at the opening after 2 business days. Its only referral is declined:
the case is marked 要判断 and its coordinator asked to decide, until a watch plan is
started. The figures measure the times from intake's receipt."""

from __future__ import annotations

from typing import Any

from case_helpers import case_of, consultation, coordinator, publish, submit, supervisor, timeline_types

from shared.clock import FrozenClock
from shared.events import ReferralDeclined
from tests.integration.notify.notify_support import fast_loops, inbox, jst, kinds, settle
from tests.support.metrics import Scrape
from tests.support.services import eventually, running_service


async def _inbox(notify: Any, headers: dict[str, str]) -> list[str]:
    answer = await notify.get("/v1/notifications", headers=headers)
    assert answer.status_code == 200, answer.text
    return sorted(item["kind"] for item in answer.json()["items"])


async def _row(case: Any, headers: dict[str, str], case_id: str) -> dict[str, Any]:
    """The case as its area's queue shows it."""
    answer = await case.get("/v1/cases", headers=headers, params={"per_page": 100})
    assert answer.status_code == 200, answer.text
    return next(item for item in answer.json()["items"] if item["id"] == case_id)


async def _waits(case: Any, headers: dict[str, str], case_id: str) -> list[str]:
    return [w["text"] for w in (await _row(case, headers, case_id))["waits"]]


async def test_an_unassigned_case_is_chased_on_business_hours_then_its_first_contact_then_a_decision(
    make_settings, database_backend, monkeypatch
) -> None:
    fast_loops(monkeypatch)
    settings = make_settings()
    clock = FrozenClock(jst(2026, 11, 20, 16, 0))  # Friday; Monday 11/23 is 勤労感謝の日
    chubu = coordinator(settings)
    async with (
        running_service("intake", settings, clock) as intake,
        running_service("case", settings, clock) as case,
        running_service("notify", settings, clock) as notify,
    ):
        reference = await submit(intake, settings, consultation(urgency="通常"))
        clock.at = jst(2026, 11, 20, 16, 5)  # the case service handles it a little later
        opened = await case_of(case, settings, reference, chubu)
        case_id = opened["id"]
        assert opened["received_at_jst"] == "2026-11-20 16:00:00 JST"
        assert await _waits(case, chubu, case_id) == ["未割当 0営業時間"]
        await eventually(lambda: _pending(notify, "assign"), what="notify waiting for the case to be assigned")

        clock.at = jst(2026, 11, 23, 12, 0)  # the holiday: nothing counts, nobody is told
        await settle(notify)
        assert await _inbox(notify, chubu) == []
        assert await _waits(case, chubu, case_id) == ["未割当 1営業時間"]
        clock.at = jst(2026, 11, 24, 11, 14)  # Tuesday: 1¼ h on Friday + 2¾ h less a minute
        await settle(notify)
        assert await _inbox(notify, chubu) == []
        assert await _waits(case, chubu, case_id) == ["未割当 3営業時間"]
        clock.at = jst(2026, 11, 24, 11, 16)
        await settle(notify)
        assert await _inbox(notify, chubu) == ["case_unassigned_reminder"]
        assert await kinds(notify, settings, "supervisor", "city") == []
        clock.at = jst(2026, 11, 24, 15, 16)  # 4 business hours later: the supervisor
        await settle(notify)
        assert await kinds(notify, settings, "supervisor", "city") == ["case_unassigned_escalation_supervisor"]
        told = (await inbox(notify, settings, "supervisor", "city"))["items"][0]["body"]
        assert "超過 4営業時間" in told and "期限(2026-11-24 11:15" in told, told

        clock.at = jst(2026, 11, 24, 15, 30)
        version = (await _row(case, chubu, case_id))["version"]
        assigned = await case.post(
            f"/v1/cases/{case_id}/assignment", headers=chubu, json={"coordinator_id": "csw-chubu-1", "version": version}
        )
        assert assigned.status_code == 200, assigned.text
        version = assigned.json()["version"]
        assert await _waits(case, chubu, case_id) == ["初回接触待ち 0営業日"]
        await eventually(lambda: _pending(notify, "contact"), what="notify waiting for the first contact")
        # 2 business days (Wednesday, Thursday) end at Thursday 24:00: told at Friday's opening.
        clock.at = jst(2026, 11, 27, 8, 29)
        await settle(notify)
        assert "case_contact_reminder" not in await _inbox(notify, chubu)
        clock.at = jst(2026, 11, 27, 8, 31)
        await settle(notify)
        assert await _inbox(notify, chubu) == ["case_contact_reminder", "case_unassigned_reminder"]
        assert await _waits(case, chubu, case_id) == ["初回接触待ち 3営業日"]

        async def post(path: str, body: dict[str, Any], expected: int) -> dict[str, Any]:
            answer = await case.post(f"/v1/cases/{case_id}{path}", headers=chubu, json=body)
            assert answer.status_code == expected, answer.text
            return answer.json()

        # Contact times obey the plausibility rules: not before intake's receipt.
        refused = await post(
            "/contacts",
            {"channel": "電話", "whom": "本人", "outcome": "話せた", "contacted_at": "2026-11-20T15:59:00+09:00"}
            | {"version": version},
            422,
        )
        assert refused["errors"][0]["loc"] == ["contacted_at"], refused
        version = (
            await post("/contacts", {"channel": "電話", "whom": "本人", "outcome": "話せた", "version": version}, 201)
        )["version"]
        version = (await post("/triage", {"priority": "高", "version": version}, 200))["version"]
        assert await _waits(case, chubu, case_id) == []

        referral = await post(
            "/referrals",
            {"agency_id": "npo-hikikomori", "purpose": "サンプル: 訪問", "share": ["categories"], "version": version},
            201,
        )
        clock.at = jst(2026, 11, 30, 10, 0)
        await publish(
            settings,
            ReferralDeclined(
                referral_id=referral["referral_id"],
                case_id=case_id,
                agency_id="npo-hikikomori",
                area="中部",
                reason="定員超過のため",
            ),
            case_id=case_id,
        )

        async def marked() -> dict[str, Any] | None:
            row = await _row(case, chubu, case_id)
            return row if row["decision_needed"] else None

        row = await eventually(marked, what="要判断 on the queue")
        assert [w["text"] for w in row["waits"]] == ["要判断 0営業日"]
        assert row["needs_attention"]  # the decline itself, as before
        await eventually(lambda: _has(notify, chubu, "case_decision_needed"), what="the coordinator asked to decide")
        assert "case.decision_needed" in await timeline_types(case, chubu, case_id)

        plan = {
            "watcher_kind": "coordinator",
            "watcher_id": "csw-chubu-1",
            "every": 7,
            "unit": "days",
            "look_for": "サンプル: 元気に過ごしているか",
            "until": "2027-03-31",
            "version": row["version"],
        }
        await post("/watch", plan, 201)
        after = await _row(case, chubu, case_id)
        assert not after["decision_needed"] and after["waits"] == []

        figures = await case.get("/v1/figures", headers=supervisor(settings), params={"at": "2026-11"})
        current = figures.json()["current"]
        # From Friday 16:00 (intake's receipt, not the case service's 16:05).
        assert current["time_to_assignment"] == {
            "count": 1,
            "median_hours": 95.5,
            "p90_hours": 95.5,
            "without_assignment": 0,
        }
        assert current["time_to_triage"]["count"] == 1
        assert current["time_to_first_contact"]["median_hours"] == 160.5  # Friday 27 08:31


async def _pending(notify: Any, step: str) -> float:
    metrics = Scrape((await notify.get("/metrics")).text)
    return sum(s.value for s in metrics.samples("tsunagi_notify_followups_pending", step=step))


async def _has(notify: Any, headers: dict[str, str], kind: str) -> bool:
    return kind in await _inbox(notify, headers)

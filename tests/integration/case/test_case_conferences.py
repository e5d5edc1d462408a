"""A 支援会議 over HTTP, end to end: intake, case and notify share one clock, moved by
the test. An 8050 household (a mother in her 80s, a withdrawn son in his 50s) holds a
grandchild who cares for them (ヤングケアラー: the member's own category, which the
figures by category count too). The
coordinator plans a 支援会議 with the school and the support center, holds it, shares
the case with them under the meeting's duty of confidentiality (recorded field by
field; the grandchild's own share under the grandchild's own consent, which differs
from the case's), records the decision and sets two tasks: the school's, left open past its due
day before a weekend, is chased on the business days after it (the school, then the
coordinator); the coordinator's own is done and never chased. The minutes are refused
to an agency and a coordinator not at the table."""

from __future__ import annotations

from case_helpers import account_created, case_of, consultation, coordinator, known_account, submit, supervisor

from services.case.domain.conferences import CONFIDENTIALITY_GROUND
from shared.clock import FrozenClock
from shared.events.personal import SEALED_PREFIX
from tests.integration.notify.notify_support import fast_loops, jst, kinds, publish, published, settle
from tests.support.metrics import Scrape
from tests.support.services import bearer, eventually, running_service

SCHOOL, CENTER = "school-chubu-1", "hc-3"
TASK_KINDS = ("task_reminder_coordinator", "task_escalation", "task_escalation_supervisor")


async def _coordinators(notify, headers: dict[str, str]) -> list[str]:
    """The task notices in the case's coordinator's inbox."""
    answer = await notify.get("/v1/notifications", headers=headers)
    assert answer.status_code == 200, answer.text
    return sorted(item["kind"] for item in answer.json()["items"] if item["kind"] in TASK_KINDS)


async def _pending_tasks(notify) -> float:
    metrics = Scrape((await notify.get("/metrics")).text)
    return sum(s.value for s in metrics.samples("tsunagi_notify_followups_pending", step="task"))


async def test_a_support_meeting_shares_under_confidentiality_and_its_tasks_are_chased(
    make_settings, database_backend, monkeypatch
) -> None:
    fast_loops(monkeypatch)
    settings = make_settings()
    clock = FrozenClock(jst(2026, 11, 6, 9, 0))  # Friday
    chubu = coordinator(settings)
    school = bearer(settings, "agency", SCHOOL, SCHOOL)
    async with (
        running_service("intake", settings, clock) as intake,
        running_service("case", settings, clock) as case,
        running_service("notify", settings, clock) as notify,
    ):
        household = [
            {"relation": "本人", "age_group": "80代"},
            {"relation": "長男", "age_group": "50代"},
            {"relation": "孫", "age_group": "10代"},
        ]
        reference = await submit(intake, settings, consultation(household=household, consent="同意なし"))
        opened = await case_of(case, settings, reference, chubu)
        case_id = opened["id"]
        assigned = await case.post(
            f"/v1/cases/{case_id}/assignment",
            headers=chubu,
            json={"coordinator_id": "csw-chubu-1", "version": opened["version"]},
        )
        version = assigned.json()["version"]
        # The grandchild's own needs: ヤングケアラー in the 8050 household.
        grandchild = next(m for m in opened["household"] if m["relation"] == "孫")
        needs = f"/v1/cases/{case_id}/household/members/{grandchild['id']}/needs"
        refused = await case.post(needs, headers=chubu, json={"categories": ["宇宙"], "version": version})
        assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["categories"], refused.text
        own = {"categories": ["ヤングケアラー"], "consent": "同意あり", "interpreter": False, "version": version}
        answer = await case.post(needs, headers=chubu, json=own)
        assert answer.status_code == 200, answer.text
        detail = (await case.get(f"/v1/cases/{case_id}", headers=chubu)).json()
        assert [m["categories"] for m in detail["household"] if m["id"] == grandchild["id"]] == [["ヤングケアラー"]]
        # The figures count the consultation under the member's category too.
        figures = (await case.get("/v1/figures", headers=supervisor(settings))).json()
        assert figures["consultations"]["by_category"] == {"8050": 1, "ひきこもり": 1, "ヤングケアラー": 1}

        clock.at = jst(2026, 11, 6, 10, 0)
        # The western coordinator at the table is an account the case service knows.
        await publish(settings, account_created("csw-seibu-1", "西部", clock))
        await known_account(case, clock, "csw-seibu-1")
        planned = await case.post(
            "/v1/conferences",
            headers=chubu,
            json={
                "kind": "支援会議",
                "title": "サンプル: 中部 支援会議",
                "held_on": "2026-11-06",
                "case_ids": [case_id],
                "accounts": ["csw-seibu-1"],
                "agencies": [SCHOOL, CENTER],
            },
        )
        assert planned.status_code == 201, planned.text
        conference = f"/v1/conferences/{planned.json()['conference_id']}"

        async def post(path: str, body: dict, expected: int = 200, headers: dict | None = None) -> dict:
            answer = await case.post(f"{conference}{path}", headers=headers or chubu, json=body)
            assert answer.status_code == expected, answer.text
            return answer.json()

        # Tasks wait for the meeting to be held; it is held, then cannot be cancelled.
        task = {"case_id": case_id, "title": "サンプル: 学校での様子を見る", "owner_kind": "agency", "owner_id": SCHOOL}
        await post("/tasks", {**task, "due_on": "2026-11-13", "version": 1}, 409)
        version = (await post("/held", {"version": 1}))["version"]
        await post("/cancel", {"version": version}, 409)
        # Shared without consent under the 支援会議's confidentiality, field by field.
        fields = ["person_name", "household", "categories"]
        version = (await post("/shares", {"case_id": case_id, "fields": fields, "version": version}))["version"]
        about_grandchild = {"case_id": case_id, "member_id": grandchild["id"], "fields": ["age_group", "categories"]}
        version = (await post("/shares", {**about_grandchild, "version": version}))["version"]
        decision = {"case_id": case_id, "decision": "サンプル: 長男の受診を保健所と調整する。孫の負担を学校と見守る"}
        version = (await post("/minutes", {"decisions": [decision], "version": version}))["version"]
        school_task = await post("/tasks", {**task, "due_on": "2026-11-13", "version": version}, 201)
        mine = {**task, "title": "サンプル: 長男に受診を勧める", "owner_kind": "coordinator", "owner_id": "csw-chubu-1"}
        own_task = await post("/tasks", {**mine, "due_on": "2026-11-20", "version": school_task["version"]}, 201)
        version = own_task["version"]
        outsider = {**task, "owner_id": "hc-1", "due_on": "2026-11-13", "version": version}
        assert (await post("/tasks", outsider, 422))["errors"][0]["loc"] == ["owner_id"]

        minutes = (await case.get(conference, headers=chubu)).json()
        assert minutes["status"] == "minutes_recorded" and minutes["cases"][0]["decision"] == decision["decision"]
        assert [(d["field"], d["legal_ground"], d["consent"], d["member_id"]) for d in minutes["disclosures"]] == [
            *((f, CONFIDENTIALITY_GROUND, "同意なし", None) for f in fields),
            *((f, CONFIDENTIALITY_GROUND, "同意あり", grandchild["id"]) for f in about_grandchild["fields"]),
        ]
        # The school reads what was shared with it; those not at the table read nothing.
        seen = (await case.get(conference, headers=school)).json()
        assert set(seen["cases"][0]["shared"]) == set(fields)
        assert "ヤングケアラー" not in seen["cases"][0]["shared"]["categories"]  # the case's, not the member's
        assert seen["cases"][0]["members_shared"] == [
            {
                "member_id": grandchild["id"],
                "relation": "孫",
                "shared": {"age_group": "10代", "categories": ["ヤングケアラー"]},
            }
        ]
        for outsider_headers in (
            bearer(settings, "agency", "hc-1", "hc-1"),
            coordinator(settings, "中部", "csw-chubu-2"),
            coordinator(settings, "南部", "csw-nanbu-1"),
        ):
            assert (await case.get(conference, headers=outsider_headers)).status_code == 404
        for reader in (coordinator(settings, "西部", "csw-seibu-1"), supervisor(settings)):
            assert (await case.get(conference, headers=reader)).status_code == 200
        listed = (await case.get("/v1/conferences", headers=bearer(settings, "agency", "hc-1", "hc-1"))).json()
        assert listed["items"] == []
        reads = (await case.get(f"/v1/cases/{case_id}/reads", headers=supervisor(settings))).json()["items"]
        assert {(r["reader_id"], r["what"]) for r in reads} >= {(SCHOOL, "conference"), ("csw-chubu-1", "conference")}

        timeline = (await case.get(f"/v1/cases/{case_id}/timeline", headers=chubu)).json()["items"]
        labels = {e["type"]: e["label"] for e in timeline}
        assert labels["case.conference_shared"] == "会議の参加者への情報共有"
        assert labels["case.conference_task_set"] == "会議で決めた役割"
        events = {e.type: e for e in await published(settings, "case") if e.type.startswith("case.conference_")}
        assert events["case.conference_decided"].payload["decision"].startswith(SEALED_PREFIX)
        assert events["case.conference_shared"].payload["legal_ground"] == CONFIDENTIALITY_GROUND

        async def both_chased() -> bool:
            return await _pending_tasks(notify) == 2

        await eventually(both_chased, what="notify chasing both tasks")
        clock.at = jst(2026, 11, 9, 10, 0)  # the coordinator's own task done early: no longer chased
        await post(f"/tasks/{own_task['task_id']}/done", {"version": version})

        async def one_chased() -> bool:
            return await _pending_tasks(notify) == 1

        await eventually(one_chased, what="the done task no longer chased")
        clock.at = jst(2026, 11, 13, 23, 59)  # the school's due Friday: not yet late
        await settle(notify)
        assert await kinds(notify, settings, "agency", SCHOOL) == []
        clock.at = jst(2026, 11, 14, 0, 1)  # Saturday: the school is reminded
        await settle(notify)
        assert await kinds(notify, settings, "agency", SCHOOL) == ["task_reminder_agency"]
        clock.at = jst(2026, 11, 17, 23, 59)  # two business days (Mon, Tue) are still the school's
        await settle(notify)
        assert await _coordinators(notify, chubu) == []
        clock.at = jst(2026, 11, 18, 0, 1)  # then the coordinator
        await settle(notify)
        assert await _coordinators(notify, chubu) == ["task_escalation"]

        async def rungs_published() -> list:  # notify's outbox relays them a moment after it commits
            fired = await published(settings, "followup")
            rungs = [
                (e.payload["rung"], e.payload["recipient_scope"])
                for e in fired
                if e.payload.get("task_id") == school_task["task_id"]
            ]
            return rungs if len(rungs) >= 2 else []

        assert await eventually(rungs_published, what="both rungs on the stream") == [(1, SCHOOL), (2, "中部")]
        # The school reports it done itself; the chase ends.
        latest = (await case.get(conference, headers=school)).json()["version"]
        await post(f"/tasks/{school_task['task_id']}/done", {"version": latest}, headers=school)

        async def none_chased() -> bool:
            return await _pending_tasks(notify) == 0

        await eventually(none_chased, what="the school's task no longer chased")

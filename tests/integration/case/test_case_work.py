"""Case work as coordinators do it: the queue, triage, contacts, notes, the lifecycle,
a declined referral (bad input: test_case_problems.py)."""

from __future__ import annotations

import httpx
from case_helpers import (
    case_of,
    consultation,
    coordinator,
    detail,
    post,
    publish,
    submit,
    timeline_types,
)

from services.case.domain.timeline import matches_kind
from shared.events import Actor, ReferralDeclined, new_event_id
from shared.events.notification import DeliveryFailed
from shared.events.referral import ReferralSharingRestricted
from tests.support.services import eventually, running_service


async def test_queue_triage_contacts_notes_and_lifecycle(make_settings, database_backend) -> None:
    settings = make_settings()
    chubu = coordinator(settings)
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        normal = await submit(
            intake,
            settings,
            consultation(urgency="通常", person={"age_group": "70代"}, household=[], school_district="SD08"),
        )
        urgent = await submit(
            intake,
            settings,
            consultation(urgency="緊急", categories=["虐待"], household=[], person={"approximate_place": "別の町"}),
        )
        first = await case_of(case, settings, normal, chubu)
        second = await case_of(case, settings, urgent, chubu)

        queue = (await case.get("/v1/cases", headers=chubu)).json()
        assert [i["id"] for i in queue["items"]] == [second["id"], first["id"]]  # 緊急 first
        assert queue["counts"] == {"unassigned": 2, "mine": 0, "all": 2, "urgent": 1, "needs_attention": 0}
        await post(
            case,
            f"/v1/cases/{first['id']}/assignment",
            chubu,
            {"coordinator_id": "csw-chubu-1", "version": first["version"]},
        )
        mine = (await case.get("/v1/cases", headers=chubu, params={"view": "mine"})).json()
        assert [i["id"] for i in mine["items"]] == [first["id"]]
        assert mine["counts"] == {"unassigned": 1, "mine": 1, "all": 2, "urgent": 1, "needs_attention": 0}
        filtered = await case.get("/v1/cases", headers=chubu, params={"category": "虐待", "priority": "緊急"})
        assert [i["id"] for i in filtered.json()["items"]] == [second["id"]]
        paged = (await case.get("/v1/cases", headers=chubu, params={"per_page": 1, "page": 2})).json()
        assert [i["id"] for i in paged["items"]] == [first["id"]] and paged["total"] == 2
        # The same page by cursor (keyset), and a cursor that is not one is a 422 naming it.
        top = (await case.get("/v1/cases", headers=chubu, params={"per_page": 1})).json()
        by_cursor = (
            await case.get("/v1/cases", headers=chubu, params={"per_page": 1, "cursor": top["next_cursor"]})
        ).json()
        assert [i["id"] for i in by_cursor["items"]] == [first["id"]] and by_cursor["page"] is None
        bad = await case.get("/v1/cases", headers=chubu, params={"cursor": "not-a-cursor"})
        assert bad.status_code == 422 and "cursor" in bad.text
        assert (await case.get("/v1/cases", headers=chubu, params={"min_age_days": 1})).json()["total"] == 0

        case_id = first["id"]
        current = await detail(case, chubu, case_id)
        v = (
            await post(
                case,
                f"/v1/cases/{case_id}/triage",
                chubu,
                {"priority": "高", "categories": ["孤立", "健康"], "version": current["version"]},
            )
        )["version"]
        v = (
            await post(
                case,
                f"/v1/cases/{case_id}/contacts",
                chubu,
                {"channel": "訪問", "whom": "本人", "outcome": "サンプル: 在宅を確認", "version": v},
                201,
            )
        )["version"]
        v = (
            await post(
                case,
                f"/v1/cases/{case_id}/notes",
                chubu,
                {"body": "サンプル: 次回は長男にも声をかける", "version": v},
                201,
            )
        )["version"]
        v = (
            await post(
                case,
                f"/v1/cases/{case_id}/household/members",
                chubu,
                {"relation": "長女", "age_group": "50代", "version": v},
                201,
            )
        )["version"]
        v = (await post(case, f"/v1/cases/{case_id}/status", chubu, {"to": "見守り", "version": v}))["version"]
        illegal = await case.post(f"/v1/cases/{case_id}/status", headers=chubu, json={"to": "受付", "version": v})
        assert illegal.status_code == 409 and "変更できません" in illegal.json()["detail"]
        v = (await post(case, f"/v1/cases/{case_id}/status", chubu, {"to": "終結", "version": v}))["version"]
        closed = await detail(case, chubu, case_id)
        assert (closed["status"], closed["stage"]) == ("終結", "終結") and closed["closed_at_jst"]
        assert closed["priority"] == "高" and closed["categories"] == ["孤立", "健康"]
        assert closed["contacts"][0]["outcome"] == "サンプル: 在宅を確認" and closed["first_contact_at_jst"]
        assert closed["notes"][0]["body"].startswith("サンプル") and closed["household"][-1]["relation"] == "長女"
        assert (closed["contacts_total"], closed["notes_total"]) == (len(closed["contacts"]), len(closed["notes"]))
        assert closed["id"] not in [i["id"] for i in (await case.get("/v1/cases", headers=chubu)).json()["items"]]
        on_closed = await case.post(
            f"/v1/cases/{case_id}/referrals",
            headers=chubu,
            json={"agency_id": "hc-3", "purpose": "x", "share": [], "version": v},
        )
        assert on_closed.status_code == 409
        v = (
            await post(case, f"/v1/cases/{case_id}/status", chubu, {"to": "対応中", "reason": "再相談", "version": v})
        )["version"]
        reopened = await detail(case, chubu, case_id)
        assert (reopened["status"], reopened["stage"], reopened["closed_at_jst"]) == ("対応中", "対応中", None)

        types = await timeline_types(case, chubu, case_id)
        for expected in ("case.triaged", "case.contact_recorded", "case.note_added", "case.household_member_added"):
            assert expected in types
        assert [t for t in types if t == "case.status_changed"].__len__() == 4
        # The note's text never leaves the case service in an event or on the timeline.
        timeline = (await case.get(f"/v1/cases/{case_id}/timeline", headers=chubu)).text
        assert "次回は長男" not in timeline and "在宅を確認" not in timeline
        await _pages_match_the_whole_timeline(case, chubu, case_id)


async def _pages_match_the_whole_timeline(case: httpx.AsyncClient, headers: dict[str, str], case_id: str) -> None:
    """Paged (by cursor or by page), the timeline gives the same entries in the same order,
    the kind filter as before; unpaged, it has no paging fields."""
    url = f"/v1/cases/{case_id}/timeline"
    whole = (await case.get(url, headers=headers)).json()
    assert "total" not in whole and len(whole["items"]) > 8
    wanted = [e["event_id"] for e in whole["items"] if matches_kind(e["type"], ["case", "consultation.submitted"])]
    params: dict[str, str] = {"kind": "case,consultation.submitted", "per_page": "4"}
    by_cursor: list[str] = []
    while True:
        page = (await case.get(url, headers=headers, params=params)).json()
        assert page["total"] == len(wanted) and (page["page"] is None) == ("cursor" in params)
        by_cursor += [e["event_id"] for e in page["items"]]
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]
    second = (
        await case.get(
            url, headers=headers, params={"kind": ["case", "consultation.submitted"], "page": 2, "per_page": 4}
        )
    ).json()
    assert by_cursor == wanted and [e["event_id"] for e in second["items"]] == wanted[4:8]
    assert (second["page"], second["total"]) == (2, len(wanted))
    bad = await case.get(url, headers=headers, params={"cursor": "***"})
    assert bad.status_code == 422 and "cursor" in bad.text


async def test_declined_referral_needs_the_coordinators_attention(make_settings, database_backend) -> None:
    settings = make_settings()
    chubu = coordinator(settings)
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        opened = await case_of(case, settings, await submit(intake, settings, consultation()), chubu)
        case_id = opened["id"]
        v = (
            await post(
                case,
                f"/v1/cases/{case_id}/assignment",
                chubu,
                {"coordinator_id": "csw-chubu-1", "version": opened["version"]},
            )
        )["version"]
        referral = await post(
            case,
            f"/v1/cases/{case_id}/referrals",
            chubu,
            {"agency_id": "npo-hikikomori", "purpose": "長男への支援", "share": ["categories"], "version": v},
            201,
        )
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

        async def flagged() -> dict | None:
            current = await detail(case, chubu, case_id)
            return current if current["needs_attention"] else None

        current = await eventually(flagged, what="needs_attention")
        assert current["attention"][0]["reason"] == "定員超過のため"
        assert current["referrals"][0]["status"] == "declined" and current["stage"] == "対応中"
        queue = (await case.get("/v1/cases", headers=chubu, params={"needs_attention": "true"})).json()
        assert [i["id"] for i in queue["items"]] == [case_id] and queue["counts"]["needs_attention"] == 1
        cleared = await post(case, f"/v1/cases/{case_id}/attention/clear", chubu, {"version": current["version"]})
        assert not (await detail(case, chubu, case_id))["needs_attention"]
        again = await case.post(
            f"/v1/cases/{case_id}/attention/clear", headers=chubu, json={"version": cleared["version"]}
        )
        assert again.status_code == 409


async def test_a_case_detail_holds_its_newest_notes_and_says_how_many_there_are(make_settings) -> None:
    settings = make_settings()
    chubu = coordinator(settings)
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        opened = await case_of(case, settings, await submit(intake, settings, consultation()), chubu)
        version = opened["version"]
        for i in range(22):
            added = await case.post(
                f"/v1/cases/{opened['id']}/notes",
                headers=chubu,
                json={"body": f"サンプル: メモ{i}", "version": version},
            )
            assert added.status_code == 201, added.text
            version = added.json()["version"]
        shown = await detail(case, chubu, opened["id"])
    assert shown["notes_total"] == 22
    assert [n["body"] for n in shown["notes"]] == [f"サンプル: メモ{i}" for i in range(2, 22)]


async def test_a_withdrawn_share_and_a_failed_delivery_go_on_the_timeline(make_settings) -> None:
    settings = make_settings()
    chubu = coordinator(settings)
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        case_id = (await case_of(case, settings, await submit(intake, settings, consultation()), chubu))["id"]
        referral_id = new_event_id()
        restricted = ReferralSharingRestricted(
            referral_id=referral_id, case_id=case_id, agency_id="hc-3", area="中部", withheld_fields=["name"]
        )
        await publish(settings, restricted, case_id=case_id, actor=Actor(role="system", id="referral"))
        failed = DeliveryFailed(
            notification_id=new_event_id(),
            delivery_id=new_event_id(),
            channel="webhook",
            attempts=5,
            error="サンプル: 接続できません https://hooks.example/secret",
            recipient_role="agency",
            recipient_scope="hc-3",
            case_id=case_id,
            referral_id=referral_id,
        )
        await publish(settings, failed, case_id=case_id, actor=Actor(role="system", id="notify"))

        async def both() -> list[dict] | None:
            items = (await case.get(f"/v1/cases/{case_id}/timeline", headers=chubu)).json()["items"]
            found = [i for i in items if i["type"] in (restricted.TYPE, failed.TYPE)]
            return found if len(found) == 2 else None

        entries = await eventually(both, what="the two entries on the timeline")
    assert {e["label"] for e in entries} == {"共有項目の取り下げ(同意の撤回)", "通知の配信失敗"}
    assert "secret" not in str(entries)  # a delivery's error text stays with notify

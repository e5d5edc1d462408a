"""Realistic cases walked through intake and the case service over HTTP, on real Redis
(the agency's answers are published onto the referral stream as the referral service would)."""

from __future__ import annotations

import redis.asyncio as aioredis
from case_helpers import (
    case_of,
    close_case,
    consultation,
    coordinator,
    detail,
    post,
    publish,
    submit,
    timeline_types,
)

from shared.events import ReferralAccepted, ReferralReceived
from tests.support.services import bearer, eventually, opened_entry, running_service


async def _stage(intake, settings, reference: str, reporter: str) -> str:
    answer = await intake.get(f"/v1/consultations/{reference}", headers=bearer(settings, "reporter", reporter))
    return answer.json()["stage"]


async def _reporter_sees(intake, settings, reference: str, reporter: str, stage: str) -> None:
    async def check() -> bool:
        return await _stage(intake, settings, reference, reporter) == stage

    await eventually(check, what=f"{reference} at {stage}")


async def test_anonymous_phone_report(make_settings, database_backend) -> None:
    """A 民生委員 phones about an elderly resident whose name nobody knows."""
    settings = make_settings()
    chubu = coordinator(settings, subject="csw-chubu-2")
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        reference = await submit(
            intake,
            settings,
            consultation(
                person={"age_group": "80代", "approximate_place": "サンプル町3丁目の集合住宅"},
                household=[],
                categories=["孤立", "健康"],
                urgency="通常",
                noticed="サンプル: 最近姿を見かけない",
            ),
            reporter="minsei-7",
        )
        opened = await case_of(case, settings, reference, chubu)
        assert opened["person"]["name"] is None and opened["consultations"][0]["channel"] == "電話"
        unassigned = (await case.get("/v1/cases", headers=chubu, params={"view": "unassigned"})).json()
        assert [i["id"] for i in unassigned["items"]] == [opened["id"]]
        case_id = opened["id"]
        v = (
            await post(
                case,
                f"/v1/cases/{case_id}/assignment",
                chubu,
                {"coordinator_id": "csw-chubu-2", "version": opened["version"]},
            )
        )["version"]
        await _reporter_sees(intake, settings, reference, "minsei-7", "対応中")
        v = (
            await post(
                case,
                f"/v1/cases/{case_id}/contacts",
                chubu,
                {"channel": "訪問", "whom": "本人", "outcome": "サンプル: 体調不良、受診を勧めた", "version": v},
                201,
            )
        )["version"]
        # No consent yet: the agency may learn the age group and the problem, not who or where.
        refused = await case.post(
            f"/v1/cases/{case_id}/referrals",
            headers=chubu,
            json={
                "agency_id": "hc-3",
                "purpose": "見守りと介護保険の案内",
                "share": ["approximate_place"],
                "version": v,
            },
        )
        assert refused.status_code == 422
        referral = await post(
            case,
            f"/v1/cases/{case_id}/referrals",
            chubu,
            {
                "agency_id": "hc-3",
                "purpose": "見守りと介護保険の案内",
                "share": ["age_group", "school_district", "categories", "urgency"],
                "version": v,
            },
            201,
        )
        move = {"referral_id": referral["referral_id"], "case_id": case_id, "agency_id": "hc-3", "area": "中部"}
        await publish(settings, ReferralReceived(**move), case_id=case_id)
        await publish(settings, ReferralAccepted(**move), case_id=case_id)
        await _reporter_sees(intake, settings, reference, "minsei-7", "つなぎ済")
        current = await detail(case, chubu, case_id)
        v = (await post(case, f"/v1/cases/{case_id}/status", chubu, {"to": "見守り", "version": current["version"]}))[
            "version"
        ]
        await close_case(case, settings, case_id, chubu, v)  # the accepted referral is still open
        await _reporter_sees(intake, settings, reference, "minsei-7", "終結")
        status = await intake.get(f"/v1/consultations/{reference}", headers=bearer(settings, "reporter", "minsei-7"))
        assert set(status.json()) == {
            "reference",
            "stage",
            "received_at",
            "received_at_jst",
            "updated_at",
            "updated_at_jst",
        }


async def test_8050_household_raised_twice_by_different_reporters(make_settings, database_backend) -> None:
    """A 民生委員 and later a neighbour raise the same mother-and-son household."""
    settings = make_settings()
    chubu = coordinator(settings)
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        first_ref = await submit(intake, settings, consultation(), reporter="minsei-1")
        first = await case_of(case, settings, first_ref, chubu)
        second_ref = await submit(
            intake,
            settings,
            consultation(
                reporter_role="近隣住民",
                channel="窓口",
                urgency="緊急",
                categories=["8050", "生活困窮"],
                noticed="サンプル: 電気が止まっているようだ",
                person={"age_group": "80代", "approximate_place": "サンプル町1丁目付近 "},
                household=[{"relation": "長男", "age_group": "50代"}, {"relation": "本人", "age_group": "80代"}],
            ),
            reporter="neighbour-2",
        )

        async def linked() -> dict | None:
            current = await detail(case, chubu, first["id"])
            return current if len(current["consultations"]) == 2 else None

        household_case = await eventually(linked, what="the second report linked to the first case")
        assert [c["reporter_id"] for c in household_case["consultations"]] == [
            "minsei-1",
            "neighbour-2",
        ]
        assert [c["how"] for c in household_case["consultations"]] == ["opened", "linked"]
        assert household_case["priority"] == "緊急"
        assert household_case["categories"] == ["8050", "ひきこもり", "生活困窮"]
        assert [m["relation"] for m in household_case["household"]] == ["本人", "長男"]  # not duplicated
        assert (await case.get("/v1/cases", headers=chubu)).json()["total"] == 1
        timeline = (await case.get(f"/v1/cases/{first['id']}/timeline", headers=chubu)).json()["items"]
        link = next(e for e in timeline if e["type"] == "case.consultation_linked")
        assert "自動で結び付けました" in link["summary"]["reason"] and link["actor"] == {
            "role": "system",
            "id": "tsunagi",
        }

        await post(
            case,
            f"/v1/cases/{first['id']}/assignment",
            chubu,
            {"coordinator_id": "csw-chubu-1", "version": household_case["version"]},
        )
        for reference, reporter in ((first_ref, "minsei-1"), (second_ref, "neighbour-2")):
            await _reporter_sees(intake, settings, reference, reporter, "対応中")


async def test_urgent_abuse_report_without_consent(make_settings, database_backend) -> None:
    """Suspected child abuse, no consent: personal data goes to the child guidance
    center only once a legal ground is recorded."""
    settings = make_settings()
    chubu = coordinator(settings)
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        await submit(intake, settings, consultation(urgency="通常", household=[], person={"age_group": "70代"}))
        reference = await submit(
            intake,
            settings,
            consultation(
                reporter_role="近隣住民",
                channel="電話",
                urgency="緊急",
                consent="同意なし",
                categories=["虐待", "子育て"],
                person={"name": "サンプル 花子", "age_group": "10歳未満", "approximate_place": "サンプル町5丁目"},
                household=[{"relation": "母", "age_group": "30代"}],
                noticed="サンプル: 夜中に子どもの泣き声と怒鳴り声",
            ),
        )
        opened = await case_of(case, settings, reference, chubu)
        queue = (await case.get("/v1/cases", headers=chubu)).json()
        assert queue["items"][0]["id"] == opened["id"] and queue["items"][0]["priority"] == "緊急"
        case_id = opened["id"]
        v = (
            await post(
                case,
                f"/v1/cases/{case_id}/assignment",
                chubu,
                {"coordinator_id": "csw-chubu-1", "version": opened["version"]},
            )
        )["version"]
        personal = ["person_name", "approximate_place", "household", "noticed", "categories"]
        refused = await case.post(
            f"/v1/cases/{case_id}/referrals",
            headers=chubu,
            json={"agency_id": "jidou-soudan", "purpose": "虐待の疑いの通告", "share": personal, "version": v},
        )
        assert refused.status_code == 422 and "法的根拠" in refused.json()["detail"]
        v = (
            await post(
                case,
                f"/v1/cases/{case_id}/consent",
                chubu,
                {"consent": "同意なし", "legal_ground": "児童虐待の防止等に関する法律 第6条(通告義務)", "version": v},
            )
        )["version"]
        referral = await post(
            case,
            f"/v1/cases/{case_id}/referrals",
            chubu,
            {"agency_id": "jidou-soudan", "purpose": "虐待の疑いの通告", "share": personal, "version": v},
            201,
        )

        redis = aioredis.Redis.from_url(settings.redis_url)

        async def requested():
            entries = [opened_entry(f) for _, f in await redis.xrange("tsunagi.referral")]
            return next((e for e in entries if e.type == "referral.requested"), None)

        event = await eventually(requested, what="referral.requested")
        await redis.aclose()
        assert event.payload["referral_id"] == referral["referral_id"]
        assert event.payload["legal_ground"].startswith("児童虐待") and event.payload["consent"] == "同意なし"
        assert set(event.payload["shared"]) == set(personal)
        assert event.payload["shared"]["person_name"] == "サンプル 花子"
        assert event.payload["shared"]["household"] == [{"relation": "母", "age_group": "30代"}]
        types = await timeline_types(case, chubu, case_id)
        assert types.index("case.consent_recorded") < types.index("referral.requested")

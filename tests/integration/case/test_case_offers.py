"""The case page offers only legal moves: allowed statuses, whether the case can be
referred and which fields may be shared — and the commands agree with it."""

from __future__ import annotations

from case_helpers import case_of, close_case, consultation, coordinator, detail, submit

from services.case.domain.status import STATUSES
from tests.support.services import running_service

PERSONAL = {"person_name", "approximate_place", "household", "noticed"}


async def _statuses_the_command_accepts(case, headers: dict, current: dict) -> list[str]:
    """Every status the detail does not offer is refused by POST /status (nothing changes)."""
    for target in STATUSES:
        if target not in current["allowed_statuses"]:
            refused = await case.post(
                f"/v1/cases/{current['id']}/status", headers=headers, json={"to": target, "version": current["version"]}
            )
            assert refused.status_code == 409, (target, refused.text)
    assert (await detail(case, headers, current["id"]))["version"] == current["version"]
    return current["allowed_statuses"]


async def _referral(case, headers: dict, current: dict, share: list[str]):
    return await case.post(
        f"/v1/cases/{current['id']}/referrals",
        headers=headers,
        json={"agency_id": "hc-3", "purpose": "サンプル: 状況確認", "share": share, "version": current["version"]},
    )


async def test_offers_follow_the_case_and_the_commands_agree(make_settings, database_backend) -> None:
    settings = make_settings()
    chubu = coordinator(settings)
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        received = await case_of(
            case,
            settings,
            await submit(
                intake, settings, consultation(person={"name": "サンプル 太郎", "age_group": "80代"}, consent="未確認")
            ),
            chubu,
        )

        # Received, nobody's yet: only closing is possible, no referral, nothing personal shared.
        assert received["allowed_statuses"] == ["終結"]
        assert await _statuses_the_command_accepts(case, chubu, received) == ["終結"]
        assert received["referable"] is False and "担当を決めて" in received["referable_reason"]
        refused = await _referral(case, chubu, received, ["age_group"])
        assert refused.status_code == 409 and refused.json()["detail"] == received["referable_reason"]
        options = {o["field"]: o for o in received["share_options"]}
        assert list(options) == [
            "person_name",
            "age_group",
            "approximate_place",
            "school_district",
            "categories",
            "household",
            "noticed",
            "urgency",
        ]
        assert options["person_name"] == {
            "field": "person_name",
            "label": "氏名",
            "personal": True,
            "allowed": False,
            "reason": options["person_name"]["reason"],
        }
        assert "同意" in options["person_name"]["reason"] and "未確認" in options["person_name"]["reason"]
        assert {f for f, o in options.items() if o["allowed"]} == set(options) - PERSONAL
        assert all(o["reason"] is None for o in options.values() if o["allowed"])

        # In hand, with consent: every field may be shared, and the referral command agrees.
        assigned = await case.post(
            f"/v1/cases/{received['id']}/assignment",
            headers=chubu,
            json={"coordinator_id": "csw-chubu-1", "version": received["version"]},
        )
        consented = await case.post(
            f"/v1/cases/{received['id']}/consent",
            headers=chubu,
            json={"consent": "同意あり", "version": assigned.json()["version"]},
        )
        in_hand = await detail(case, chubu, received["id"])
        assert in_hand["version"] == consented.json()["version"]
        assert in_hand["allowed_statuses"] == ["つなぎ中", "見守り", "終結"]
        assert await _statuses_the_command_accepts(case, chubu, in_hand) == ["つなぎ中", "見守り", "終結"]
        assert (in_hand["referable"], in_hand["referable_reason"]) == (True, None)
        assert all(o["allowed"] and o["reason"] is None for o in in_hand["share_options"])

        # Without consent and without a legal ground, the personal fields are refused — by both.
        withdrawn = await case.post(
            f"/v1/cases/{received['id']}/consent",
            headers=chubu,
            json={"consent": "同意なし", "version": in_hand["version"]},
        )
        no_consent = await detail(case, chubu, received["id"])
        assert no_consent["version"] == withdrawn.json()["version"]
        blocked = [o["field"] for o in no_consent["share_options"] if not o["allowed"]]
        assert set(blocked) == PERSONAL
        for field in blocked:
            answer = await _referral(case, chubu, no_consent, [field])
            assert answer.status_code == 422 and "同意" in answer.json()["detail"], field
        shared = await _referral(
            case, chubu, no_consent, [o["field"] for o in no_consent["share_options"] if o["allowed"]]
        )
        assert shared.status_code == 201, shared.text

        # Connecting: closed next; once closed, only reopening, and no referral.
        connecting = await detail(case, chubu, received["id"])
        assert connecting["status"] == "つなぎ中"
        assert connecting["allowed_statuses"] == ["対応中", "見守り", "終結"]
        closed_version = await close_case(case, settings, received["id"], chubu, connecting["version"])
        closed = await detail(case, chubu, received["id"])
        assert closed["version"] == closed_version
        assert await _statuses_the_command_accepts(case, chubu, closed) == ["対応中"]
        assert closed["referable"] is False and "終結" in closed["referable_reason"]
        refused = await _referral(case, chubu, closed, ["age_group"])
        assert refused.status_code == 409 and refused.json()["detail"] == closed["referable_reason"]


async def test_a_merged_case_offers_nothing(make_settings, database_backend) -> None:
    settings = make_settings()
    chubu = coordinator(settings)
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        target = await case_of(case, settings, await submit(intake, settings, consultation()), chubu)
        source = await case_of(
            case,
            settings,
            await submit(
                intake, settings, consultation(school_district="SD08", household=[], person={"age_group": "60代"})
            ),
            chubu,
        )
        merged = await case.post(
            f"/v1/cases/{source['id']}/merge",
            headers=chubu,
            json={"into_case_id": target["id"], "version": source["version"]},
        )
        assert merged.status_code == 200, merged.text
        current = await detail(case, chubu, source["id"])
        assert current["allowed_statuses"] == []
        assert await _statuses_the_command_accepts(case, chubu, current) == []
        assert current["referable"] is False and "統合" in current["referable_reason"]
        refused = await _referral(case, chubu, current, [])
        assert refused.status_code == 409 and refused.json()["detail"] == current["referable_reason"]
        assert (await detail(case, chubu, target["id"]))["allowed_statuses"] == ["終結"]

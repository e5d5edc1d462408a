"""Same person or household: exact matches join the open case, likely ones are offered
and can be merged and unmerged; an unknown school district waits in the city-wide queue."""

from __future__ import annotations

from case_helpers import case_of, consultation, coordinator, detail, publish, submit, supervisor, timeline_types

from shared.events import ReferralAccepted
from tests.support.services import bearer, eventually, running_service


async def test_likely_match_is_offered_merged_and_unmerged(make_settings, database_backend) -> None:
    settings = make_settings()
    chubu = coordinator(settings)
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        first = await case_of(case, settings, await submit(intake, settings, consultation()), chubu)
        # Same place, a different household make-up: maybe the same household, maybe not.
        second_ref = await submit(
            intake,
            settings,
            consultation(household=[{"relation": "本人", "age_group": "80代"}], urgency="緊急", categories=["孤立"]),
            reporter="vol-2",
        )

        async def offered() -> dict | None:
            listing = (await case.get("/v1/cases", headers=chubu)).json()["items"]
            other = [i for i in listing if i["id"] != first["id"]]
            if not other:
                return None
            current = await detail(case, chubu, other[0]["id"])
            return current if current["link_offers"] else None

        second = await eventually(offered, what="a link offer")
        assert second["consultations"][0]["reference"] == second_ref
        offer = second["link_offers"][0]
        assert offer["candidate_case_id"] == first["id"] and offer["status"] == "offered"
        # Both cases named by their numbers, as staff say them on the phone.
        assert (offer["case_number"], offer["candidate_case_number"]) == (second["case_number"], first["case_number"])
        assert "same_place" in offer["reasons"]
        assert "case.link_offered" in await timeline_types(case, chubu, second["id"])

        merged = await case.post(
            f"/v1/cases/{second['id']}/merge",
            headers=chubu,
            json={"into_case_id": first["id"], "version": second["version"]},
        )
        assert merged.status_code == 200, merged.text
        target = await detail(case, chubu, first["id"])
        assert target["merged_cases"] == [second["id"]]
        assert {c["reference"] for c in target["consultations"]} >= {second_ref}
        assert target["priority"] == "緊急" and "孤立" in target["categories"]
        queue = (await case.get("/v1/cases", headers=chubu)).json()
        assert [i["id"] for i in queue["items"]] == [first["id"]]
        merged_timeline = await timeline_types(case, chubu, first["id"])
        assert merged_timeline.count("consultation.submitted") == 2 and "case.merged" in merged_timeline
        blocked = await case.post(
            f"/v1/cases/{second['id']}/notes", headers=chubu, json={"body": "x", "version": merged.json()["version"]}
        )
        assert blocked.status_code == 409 and blocked.json()["merged_into"] == first["id"]

        undone = await case.post(
            f"/v1/cases/{second['id']}/merge/undo", headers=chubu, json={"version": merged.json()["version"]}
        )
        assert undone.status_code == 200, undone.text
        assert (await detail(case, chubu, first["id"]))["merged_cases"] == []
        restored = await detail(case, chubu, second["id"])
        assert restored["merged_into"] is None and [c["reference"] for c in restored["consultations"]] == [second_ref]
        assert len((await case.get("/v1/cases", headers=chubu)).json()["items"]) == 2
        twice = await case.post(
            f"/v1/cases/{second['id']}/merge/undo", headers=chubu, json={"version": restored["version"]}
        )
        assert twice.status_code == 409
        dismissed = await case.post(
            f"/v1/cases/{second['id']}/link-offers/{offer['id']}/dismiss",
            headers=chubu,
            json={"version": restored["version"]},
        )
        assert dismissed.status_code == 409  # it was merged, then unmerged: no longer an open offer
        assert (
            await case.post(
                f"/v1/cases/{second['id']}/merge", headers=chubu, json={"into_case_id": second["id"], "version": 99}
            )
        ).status_code == 422


async def test_unknown_district_waits_city_wide_and_is_routed(make_settings, database_backend) -> None:
    settings = make_settings()
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        reference = await submit(intake, settings, consultation(school_district="不明"))
        waiting = await case_of(case, settings, reference, coordinator(settings, "西部", "csw-seibu-1"))
        assert waiting["area"] == "市全域"
        # Every area's coordinators see the city-wide queue; giving the case to one routes it.
        routed = await case.post(
            f"/v1/cases/{waiting['id']}/assignment",
            headers=coordinator(settings, "西部", "csw-seibu-1"),
            json={"coordinator_id": "csw-seibu-1", "version": waiting["version"]},
        )
        assert routed.status_code == 200, routed.text
        seibu = await detail(case, coordinator(settings, "西部", "csw-seibu-1"), waiting["id"])
        assert (seibu["area"], seibu["status"]) == ("西部", "対応中")
        assert (await case.get(f"/v1/cases/{waiting['id']}", headers=coordinator(settings))).status_code == 404
        moved = await case.post(
            f"/v1/cases/{waiting['id']}/area",
            headers=coordinator(settings, "西部", "csw-seibu-1"),
            json={"area": "南部", "version": seibu["version"]},
        )
        assert moved.status_code == 200
        nanbu = await detail(case, coordinator(settings, "南部", "csw-nanbu-1"), waiting["id"])
        assert nanbu["coordinator_id"] is None and "case.moved" in await timeline_types(
            case, supervisor(settings), waiting["id"]
        )
        bad = await case.post(
            f"/v1/cases/{waiting['id']}/area",
            headers=coordinator(settings, "南部", "csw-nanbu-1"),
            json={"area": "東部", "version": nanbu["version"]},
        )
        assert bad.status_code == 422
        assert (await case.get("/v1/cases", headers=bearer(settings, "reporter", "vol-1"))).status_code == 403


async def test_reassignment_and_a_merged_cases_referral(make_settings, database_backend) -> None:
    """Ownership moves between coordinators; an agency accepting a referral of a case
    that has since been merged moves the stage of the case it was merged into."""
    settings = make_settings()
    chubu = coordinator(settings)
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        first = await case_of(case, settings, await submit(intake, settings, consultation()), chubu)
        second = await case_of(
            case,
            settings,
            await submit(
                intake,
                settings,
                consultation(household=[], person={"age_group": "50代", "approximate_place": "サンプル町1丁目付近"}),
                reporter="vol-3",
            ),
            chubu,
        )
        v = (
            await case.post(
                f"/v1/cases/{second['id']}/assignment",
                headers=chubu,
                json={"coordinator_id": "csw-chubu-1", "version": second["version"]},
            )
        ).json()["version"]
        handed = await case.post(
            f"/v1/cases/{second['id']}/assignment", headers=chubu, json={"coordinator_id": "csw-chubu-2", "version": v}
        )
        assert handed.status_code == 200
        timeline = (
            await case.get(f"/v1/cases/{second['id']}/timeline", headers=chubu, params={"kind": "case.assigned"})
        ).json()["items"]
        assert [e["summary"]["previous_coordinator_id"] for e in timeline] == [None, "csw-chubu-1"]
        assert timeline[1]["summary"]["coordinator_id"] == "csw-chubu-2"
        referral = await case.post(
            f"/v1/cases/{second['id']}/referrals",
            headers=chubu,
            json={"agency_id": "hc-3", "purpose": "x", "share": [], "version": handed.json()["version"]},
        )
        merged = await case.post(
            f"/v1/cases/{second['id']}/merge",
            headers=chubu,
            json={"into_case_id": first["id"], "version": referral.json()["version"]},
        )
        assert merged.status_code == 200, merged.text
        await publish(
            settings,
            ReferralAccepted(
                referral_id=referral.json()["referral_id"], case_id=second["id"], agency_id="hc-3", area="中部"
            ),
            case_id=second["id"],
        )

        async def connected() -> bool:
            return (await detail(case, chubu, first["id"]))["stage"] == "つなぎ済"

        await eventually(connected, what="the merged-into case at つなぎ済")
        target = await detail(case, chubu, first["id"])
        assert [r["status"] for r in target["referrals"]] == ["accepted"]
        assert "referral.accepted" in await timeline_types(case, chubu, first["id"])

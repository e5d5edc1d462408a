"""Bad input to the case service is answered in the problem shape with a 4xx (unknown
people and places, a case not in hand, bad bodies, wrong roles, a date in the future, a
body too large), never a 500, and nothing is half-written."""

from __future__ import annotations

from case_helpers import case_of, consultation, coordinator, detail, post, submit, supervisor

from tests.support.services import bearer, running_service


async def test_bad_input_gets_problem_details(make_settings, database_backend) -> None:
    settings = make_settings()
    chubu = coordinator(settings)
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        opened = await case_of(case, settings, await submit(intake, settings, consultation()), chubu)
        case_id, v = opened["id"], opened["version"]
        unknown_coordinator = await case.post(
            f"/v1/cases/{case_id}/assignment", headers=chubu, json={"coordinator_id": "nobody", "version": v}
        )
        assert unknown_coordinator.status_code == 422
        assert unknown_coordinator.headers["content-type"].startswith("application/problem+json")
        wrong_area = await case.post(
            f"/v1/cases/{case_id}/assignment", headers=chubu, json={"coordinator_id": "csw-seibu-1", "version": v}
        )
        assert wrong_area.status_code == 422 and "担当ではありません" in wrong_area.json()["detail"]
        not_in_hand = await case.post(
            f"/v1/cases/{case_id}/referrals", headers=chubu, json={"agency_id": "hc-3", "purpose": "x", "version": v}
        )
        assert not_in_hand.status_code == 409
        v = (
            await post(case, f"/v1/cases/{case_id}/assignment", chubu, {"coordinator_id": "csw-chubu-2", "version": v})
        )["version"]
        for body, status in (
            ({"agency_id": "nowhere", "purpose": "x", "version": v}, 422),
            ({"agency_id": "hc-3", "purpose": "x", "share": ["phone"], "version": v}, 422),
            ({"agency_id": "hc-3", "purpose": "", "version": v}, 422),
            ({"agency_id": "hc-3", "purpose": "x"}, 422),
            ({"agency_id": "hc-3", "purpose": "x", "version": v, "extra": 1}, 422),
        ):
            answer = await case.post(f"/v1/cases/{case_id}/referrals", headers=chubu, json=body)
            assert answer.status_code == status, (body, answer.text)
            assert answer.json()["title"]
        malformed = await case.post(
            f"/v1/cases/{case_id}/notes", headers={**chubu, "content-type": "application/json"}, content=b"{oops"
        )
        assert malformed.status_code == 400
        assert (
            await case.post(f"/v1/cases/{case_id}/status", headers=chubu, json={"to": "保留", "version": v})
        ).status_code == 422
        assert (await case.get("/v1/cases", headers=chubu, params={"status": "保留"})).status_code == 422
        assert (await case.get("/v1/cases/01NOSUCHCASE", headers=chubu)).status_code == 404
        assert (
            await case.post("/v1/cases/01NOSUCHCASE/notes", headers=chubu, json={"body": "x", "version": 1})
        ).status_code == 404
        readonly = await case.post(
            f"/v1/cases/{case_id}/notes", headers=supervisor(settings), json={"body": "x", "version": v}
        )
        assert readonly.status_code == 403
        agency = await case.post(
            f"/v1/cases/{case_id}/notes", headers=bearer(settings, "agency", "hc-3"), json={"body": "x", "version": v}
        )
        assert agency.status_code == 403
        future = await case.post(
            f"/v1/cases/{case_id}/contacts",
            headers=chubu,
            json={
                "contacted_at": "2099-01-01T00:00:00+09:00",
                "channel": "電話",
                "whom": "本人",
                "outcome": "x",
                "version": v,
            },
        )
        assert future.status_code == 422
        huge = await case.post(f"/v1/cases/{case_id}/notes", headers=chubu, json={"body": "あ" * 70_000, "version": v})
        assert huge.status_code == 413
        assert (await detail(case, chubu, case_id))["version"] == v  # nothing half-written

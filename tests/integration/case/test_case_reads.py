"""Every read of a case is in its read log, whoever read it: an agency's read of a
referral travels from the referral service (``referral.viewed``) to the case service,
which answers for the case and for the person."""

from __future__ import annotations

from case_helpers import case_of, consultation, coordinator, submit, supervisor

from tests.support.services import bearer, eventually, running_service


async def test_an_agencys_read_of_a_referral_reaches_the_cases_read_log(make_settings, database_backend) -> None:
    settings = make_settings()
    chubu = coordinator(settings)
    agency = bearer(settings, "agency", "hc-3", "hc-3")
    async with (
        running_service("intake", settings) as intake,
        running_service("case", settings) as case,
        running_service("referral", settings) as referral,
    ):
        opened = await case_of(case, settings, await submit(intake, settings, consultation()), chubu)
        assigned = await case.post(
            f"/v1/cases/{opened['id']}/assignment",
            headers=chubu,
            json={"coordinator_id": "csw-chubu-1", "version": opened["version"]},
        )
        assert assigned.status_code == 200, assigned.text
        referred = await case.post(
            f"/v1/cases/{opened['id']}/referrals",
            headers=chubu,
            json={
                "agency_id": "hc-3",
                "purpose": "サンプル: 訪問",
                "share": ["age_group"],
                "version": assigned.json()["version"],
            },
        )
        assert referred.status_code == 201, referred.text
        referral_id = referred.json()["referral_id"]

        async def arrived() -> bool:
            return (await referral.get(f"/v1/referrals/{referral_id}", headers=agency)).status_code == 200

        await eventually(arrived, what="the agency reading its referral")

        async def logged() -> list[dict] | None:
            items = (await case.get(f"/v1/cases/{opened['id']}/reads", headers=supervisor(settings))).json()["items"]
            found = [r for r in items if r["reader_role"] == "agency"]
            return found or None

        agency_reads = await eventually(logged, what="the agency's read in the case's read log")
        assert {(r["reader_id"], r["what"], r["referral_id"]) for r in agency_reads} == {
            ("hc-3", "referral.detail", referral_id)
        }
        coordinator_reads = [
            r
            for r in (
                await case.get("/v1/reads", headers=supervisor(settings), params={"reader_id": "csw-chubu-1"})
            ).json()["items"]
        ]
        assert {r["what"] for r in coordinator_reads} == {"detail"} and coordinator_reads[0]["case_id"] == opened["id"]

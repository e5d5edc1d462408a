"""Every read of a case is in its read log, whoever read it: an agency's read of a
referral travels from the referral service (``referral.viewed``) to the case service,
which answers for the case and for the person — oldest first, or newest first for an
auditor, a page at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from case_helpers import case_of, consultation, coordinator, submit, supervisor
from sqlalchemy import event
from sqlalchemy.util.concurrency import await_

from services.case.adapters.reads import ReadLog
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


async def test_reads_newest_first_a_page_at_a_time(make_settings, database_backend) -> None:
    settings = make_settings()
    sv = supervisor(settings)
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        opened = await case_of(case, settings, await submit(intake, settings, consultation()))
        # Seven reads after everything the setup read; the last two at the same moment.
        later = datetime(2030, 1, 1, tzinfo=UTC)
        at = [later + timedelta(minutes=min(n, 5)) for n in range(7)]
        engine = case.app.state.services.runtime.engine  # type: ignore[attr-defined]
        async with engine.begin() as db:
            await ReadLog(db).record_many(
                [
                    dict(case_id=opened["id"], reader_role="supervisor", reader_id="sv-9", what=f"view-{n}", read_at=t)
                    for n, t in enumerate(at)
                ]
            )
        path = f"/v1/cases/{opened['id']}/reads"

        async def reads(**params: object) -> dict:
            answer = await case.get(path, headers=sv, params=params)
            assert answer.status_code == 200, answer.text
            return answer.json()

        oldest = await reads(per_page=1000)
        assert oldest == await reads(per_page=1000, order="oldest")  # the default is unchanged
        assert [r["what"] for r in oldest["items"][-7:]] == [f"view-{n}" for n in range(7)]
        total = oldest["total"]
        assert total == len(oldest["items"]) > 7

        first = await reads(order="newest", per_page=3)
        assert [r["what"] for r in first["items"]] == ["view-6", "view-5", "view-4"]  # a tie: the later row first
        assert (first["total"], first["page"]) == (total, 1)
        second = await reads(order="newest", per_page=3, page=2)
        assert [r["what"] for r in second["items"]] == ["view-3", "view-2", "view-1"]
        every = [
            r
            for page in range(1, -(-total // 3) + 1)
            for r in (await reads(order="newest", per_page=3, page=page))["items"]
        ]
        assert every == oldest["items"][::-1]

        person = await case.get("/v1/reads", headers=sv, params={"reader_id": "sv-9", "order": "newest", "limit": 2})
        assert [r["what"] for r in person.json()["items"]] == ["view-6", "view-5"]

        for url, params in ((path, {}), ("/v1/reads", {"reader_id": "sv-9"})):
            bogus = await case.get(url, headers=sv, params={**params, "order": "bogus"})
            assert bogus.status_code == 422, bogus.text
            assert bogus.headers["content-type"].startswith("application/problem+json")
            assert bogus.json()["errors"][0]["loc"][-1] == "order"


async def test_a_page_of_reads_and_its_total_agree_while_reads_arrive(make_settings, database_backend) -> None:
    """A read recorded between the page's statement and its count (an export reads the log
    while its own timeline read commits) is in both or in neither."""
    if database_backend == "sqlite":
        pytest.skip("SQLite's transaction is one snapshot already, and one writer at a time")
    settings = make_settings()
    sv = supervisor(settings)
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        opened = await case_of(case, settings, await submit(intake, settings, consultation()))
        engine = case.app.state.services.runtime.engine  # type: ignore[attr-defined]
        armed = True

        async def another_read() -> None:
            async with engine.begin() as db:
                await ReadLog(db).record(opened["id"], "supervisor", "sv-9", "timeline", datetime.now(UTC))

        def slip_in_before_the_count(conn, cursor, statement, parameters, context, executemany) -> None:
            nonlocal armed
            if armed and "count(" in statement.lower() and "case_reads" in statement:
                armed = False
                await_(another_read())  # committed on another connection, mid-request

        event.listen(engine.sync_engine, "before_cursor_execute", slip_in_before_the_count)
        try:
            answer = await case.get(f"/v1/cases/{opened['id']}/reads", headers=sv, params={"per_page": 1000})
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", slip_in_before_the_count)
        assert not armed
        assert answer.status_code == 200, answer.text
        assert answer.json()["total"] == len(answer.json()["items"])

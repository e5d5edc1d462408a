"""Reassigning several cases in one command: each case by the rules of a single
assignment, in its own transaction; a stale, unknown or unchanged case is reported and
holds back none of the others."""

from __future__ import annotations

from case_helpers import case_of, consultation, coordinator, detail, submit, supervisor, timeline_types

from tests.support.services import bearer, running_service


async def _open_cases(intake, case, settings, headers, districts: list[str]) -> list[dict]:
    opened = []
    for n, district in enumerate(districts):
        reference = await submit(
            intake, settings, consultation(school_district=district, household=[], person={"age_group": f"{n + 6}0代"})
        )
        opened.append(await case_of(case, settings, reference, headers))
    return opened


async def test_three_cases_one_changed_meanwhile_and_an_unknown_one(make_settings, database_backend) -> None:
    settings = make_settings()
    chubu = coordinator(settings)
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        first, second, third = await _open_cases(intake, case, settings, chubu, ["SD07", "SD08", "SD09"])
        # Someone triages the second case after the page was read: its version moves on.
        triaged = await case.post(
            f"/v1/cases/{second['id']}/triage", headers=chubu, json={"priority": "高", "version": second["version"]}
        )
        assert triaged.status_code == 200, triaged.text
        answer = await case.post(
            "/v1/cases/assignments",
            headers=chubu,
            json={
                "coordinator_id": "csw-chubu-2",
                "items": [{"case_id": c["id"], "version": c["version"]} for c in (first, second, third)]
                + [{"case_id": "01NOSUCHCASE", "version": 1}],
            },
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["coordinator_id"], body["assigned"]) == ("csw-chubu-2", 2)
        results = body["results"]
        assert [r["case_id"] for r in results] == [first["id"], second["id"], third["id"], "01NOSUCHCASE"]
        assert [r["outcome"] for r in results] == ["assigned", "conflict", "assigned", "not_found"]
        assert [r["case_number"] for r in results] == [
            first["case_number"],
            second["case_number"],
            third["case_number"],
            None,
        ]
        assert results[1]["current_version"] == triaged.json()["version"] and results[1]["version"] is None
        assert "更新されています" in results[1]["message"] and "見つかりません" in results[3]["message"]
        for result, opened in ((results[0], first), (results[2], third)):
            current = await detail(case, chubu, opened["id"])
            assert result["version"] == current["version"] and result["message"] is None
            assert (current["coordinator_id"], current["status"]) == ("csw-chubu-2", "対応中")
            assert (await timeline_types(case, chubu, opened["id"])).count("case.assigned") == 1
        untouched = await detail(case, chubu, second["id"])
        assert untouched["coordinator_id"] is None and "case.assigned" not in await timeline_types(
            case, chubu, second["id"]
        )

        # Again, with the versions now current: the two already hers are unchanged.
        again = (
            await case.post(
                "/v1/cases/assignments",
                headers=chubu,
                json={
                    "coordinator_id": "csw-chubu-2",
                    "items": [
                        {"case_id": first["id"], "version": results[0]["version"]},
                        {"case_id": second["id"], "version": results[1]["current_version"]},
                    ],
                },
            )
        ).json()
        assert [r["outcome"] for r in again["results"]] == ["unchanged", "assigned"] and again["assigned"] == 1
        assert "すでに" in again["results"][0]["message"]


async def test_invisible_closed_and_refused_requests(make_settings, database_backend) -> None:
    settings = make_settings()
    chubu = coordinator(settings)
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        mine, closing, seibu = await _open_cases(intake, case, settings, supervisor(settings), ["SD07", "SD08", "SD12"])
        closed = await case.post(
            f"/v1/cases/{closing['id']}/status", headers=chubu, json={"to": "終結", "version": closing["version"]}
        )
        assert closed.status_code == 200, closed.text
        answer = await case.post(
            "/v1/cases/assignments",
            headers=chubu,
            json={
                "coordinator_id": "csw-chubu-1",
                "items": [
                    {"case_id": seibu["id"], "version": seibu["version"]},
                    {"case_id": closing["id"], "version": closed.json()["version"]},
                    {"case_id": mine["id"], "version": mine["version"]},
                ],
            },
        )
        assert answer.status_code == 200, answer.text
        results = answer.json()["results"]
        assert [(r["outcome"], r["case_number"]) for r in results] == [
            ("not_found", None),
            ("invalid", closing["case_number"]),
            ("assigned", mine["case_number"]),
        ]
        assert "終結" in results[1]["message"]
        assert (await detail(case, supervisor(settings), seibu["id"]))["coordinator_id"] is None

        def items(*ids: str) -> list[dict]:
            return [{"case_id": i, "version": 1} for i in ids]

        for body, status, field in (
            ({"coordinator_id": "csw-chubu-1", "items": items(mine["id"], mine["id"])}, 422, "items"),
            ({"coordinator_id": "csw-chubu-1", "items": []}, 422, "items"),
            ({"coordinator_id": "csw-chubu-1", "items": items(*(f"01CASE{n:04d}" for n in range(101)))}, 422, "items"),
            ({"coordinator_id": "nobody", "items": items(mine["id"])}, 422, "coordinator_id"),
            ({"coordinator_id": "csw-chubu-1", "items": [{"case_id": mine["id"]}]}, 422, "version"),
        ):
            refused = await case.post("/v1/cases/assignments", headers=chubu, json=body)
            assert refused.status_code == status, (body, refused.text)
            assert field in refused.json()["errors"][0]["loc"], refused.text
        others = (supervisor(settings), bearer(settings, "reporter", "vol-1"), bearer(settings, "agency", "hc-3"))
        for headers in others:
            forbidden = await case.post(
                "/v1/cases/assignments",
                headers=headers,
                json={"coordinator_id": "csw-chubu-1", "items": items(mine["id"])},
            )
            assert forbidden.status_code == 403

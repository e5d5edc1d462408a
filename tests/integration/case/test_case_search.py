"""Searching cases by case number, reference number, name or furigana (through keyed
match keys only), and the queue filtered by school district."""

from __future__ import annotations

from case_helpers import case_of, consultation, coordinator, detail, submit, supervisor

from tests.support.services import bearer, running_service


def _to_full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


async def _search(case, headers: dict, q: str, status: int = 200) -> dict:
    answer = await case.get("/v1/cases/search", headers=headers, params={"q": q})
    assert answer.status_code == status, answer.text
    return answer.json()


def _ids(result: dict) -> list[str]:
    return [i["id"] for i in result["items"]]


async def test_search_by_number_reference_name_and_furigana(make_settings, database_backend) -> None:
    settings = make_settings()
    chubu, sv = coordinator(settings), supervisor(settings)
    nanbu = coordinator(settings, "南部", "csw-nanbu-1")
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        reference = await submit(
            intake,
            settings,
            consultation(
                person={
                    "name": "髙橋 サンプル",
                    "name_kana": "タカハシ サンプル",
                    "age_group": "80代",
                    "approximate_place": "サンプル町1丁目付近",
                },
                household=[
                    {"relation": "本人", "age_group": "80代"},
                    {"relation": "長男", "age_group": "50代", "name": "サンプル 一郎"},
                ],
            ),
        )
        found = await case_of(case, settings, reference, chubu)
        seibu_ref = await submit(
            intake,
            settings,
            consultation(school_district="SD12", person={"name": "サンプル 次郎", "age_group": "70代"}, household=[]),
        )
        seibu = await case_of(case, settings, seibu_ref, sv)
        added = await case.post(
            f"/v1/cases/{found['id']}/household/members",
            headers=chubu,
            json={"relation": "孫", "age_group": "10代", "name": "サンプル　三郎", "version": found["version"]},
        )
        assert added.status_code == 201, added.text

        number = found["case_number"]
        for typed in (number, number.lower(), _to_full_width(number)):
            result = await _search(case, chubu, typed)
            assert (result["matched_by"], _ids(result), result["total"]) == ("case_number", [found["id"]], 1)
        assert result["query"] == _to_full_width(number)
        for typed in (reference, reference.lower(), f"  {_to_full_width(reference)} "):
            result = await _search(case, chubu, typed)
            assert (result["matched_by"], _ids(result)) == ("reference", [found["id"]])
        for name in (
            "髙橋 サンプル",
            "高橋サンプル",
            "高橋　サンプル",  # variant kanji, any spacing
            "タカハシ サンプル",
            "たかはし さんぷる",
            "ﾀｶﾊｼ ｻﾝﾌﾟﾙ",
            "タカハシ・サンプル",  # furigana
            "サンプル一郎",  # a member the consultation named
            "サンプル 三郎",
        ):  # a member the coordinator added
            result = await _search(case, chubu, name)
            assert (result["matched_by"], _ids(result)) == ("name", [found["id"]]), name
        item = result["items"][0]
        assert item["case_number"] == number and item["version"] == found["version"] + 1
        assert {"status", "stage", "priority", "needs_attention", "age_days", "opened_at_jst"} <= set(item)

        # Nothing partial, nothing unknown, nothing of another area.
        for q in ("高橋", "サンプル", "サンプル 花子", "K-2611-ZZZZZZ", "TSN-2611-ZZZZZZ"):
            nothing = await _search(case, chubu, q)
            assert (nothing["query"], nothing["matched_by"], nothing["items"], nothing["total"]) == (q, None, [], 0)
        for q in (number, reference, "高橋サンプル", "サンプル三郎"):
            assert (await _search(case, nanbu, q))["items"] == []
        assert (await _search(case, chubu, "サンプル 次郎"))["items"] == []
        assert _ids(await _search(case, sv, "サンプル 次郎")) == [seibu["id"]]
        assert _ids(await _search(case, coordinator(settings, "西部", "csw-seibu-1"), seibu["case_number"])) == [
            seibu["id"]
        ]

        for role, scope in (("reporter", "vol-1"), ("agency", "hc-3")):
            assert (
                await case.get("/v1/cases/search", headers=bearer(settings, role, scope), params={"q": number})
            ).status_code == 403
        for q in ("", "   ", "あ" * 101):
            problem = await _search(case, chubu, q, 422)
            assert problem["errors"][0]["loc"] == ["q"] and problem["detail"]
        assert (await case.get("/v1/cases/search", headers=chubu)).status_code == 422


async def test_a_merged_case_is_found_as_the_case_it_joined(make_settings, database_backend) -> None:
    settings = make_settings()
    chubu = coordinator(settings)
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        target = await case_of(
            case,
            settings,
            await submit(
                intake,
                settings,
                consultation(
                    person={"name": "サンプル 五郎", "name_kana": "さんぷる ごろう", "age_group": "80代"},
                    household=[
                        {"relation": "本人", "age_group": "80代"},
                        {"relation": "長女", "name": "サンプル 花代"},
                    ],
                ),
            ),
            chubu,
        )
        source_ref = await submit(
            intake,
            settings,
            consultation(
                person={"age_group": "40代", "approximate_place": "サンプル町5丁目付近"},
                household=[{"relation": "母", "age_group": "80代"}, {"relation": "本人", "name": "サンプル 花代"}],
            ),
        )
        source = await case_of(case, settings, source_ref, chubu)
        assert source["id"] != target["id"]
        both = await _search(case, chubu, "サンプル花代")
        assert (len(both["items"]), both["total"]) == (2, 2)
        # Paged as every list is: one a page, newest first, total counting both.
        pages = [
            (
                await case.get(
                    "/v1/cases/search", headers=chubu, params={"q": "サンプル花代", "per_page": 1, "page": n}
                )
            ).json()
            for n in (1, 2)
        ]
        assert [(_ids(p), p["total"], p["page"]) for p in pages] == [
            ([both["items"][0]["id"]], 2, 1),
            ([both["items"][1]["id"]], 2, 2),
        ]
        merged = await case.post(
            f"/v1/cases/{source['id']}/merge",
            headers=chubu,
            json={"into_case_id": target["id"], "version": source["version"]},
        )
        assert merged.status_code == 200, merged.text

        for q in ("サンプル花代", source["case_number"], source_ref, "サンプル 五郎", "サンプルゴロウ"):
            result = await _search(case, chubu, q)
            assert (_ids(result), result["total"]) == ([target["id"]], 1), q
        assert (await detail(case, chubu, source["id"]))["merged_into"] == target["id"]


async def test_the_queue_filters_by_school_district(make_settings, database_backend) -> None:
    settings = make_settings()
    chubu = coordinator(settings)
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        by_district = {}
        for district, urgency in (("SD07", "緊急"), ("SD08", "通常"), ("SD09", "通常")):
            reference = await submit(
                intake,
                settings,
                consultation(school_district=district, urgency=urgency, household=[], person={"age_group": "70代"}),
            )
            by_district[district] = (await case_of(case, settings, reference, chubu))["id"]

        async def queue(**params) -> dict:
            answer = await case.get("/v1/cases", headers=chubu, params=params)
            assert answer.status_code == 200, answer.text
            return answer.json()

        one = await queue(school_district="SD08")
        assert _ids(one) == [by_district["SD08"]] and one["total"] == 1
        assert one["counts"] == {"unassigned": 1, "mine": 0, "all": 1, "urgent": 0, "needs_attention": 0}
        two = await queue(school_district=["SD07", "SD09"])
        assert _ids(two) == [by_district["SD07"], by_district["SD09"]]  # 緊急 first
        assert two["counts"] == {"unassigned": 2, "mine": 0, "all": 2, "urgent": 1, "needs_attention": 0}
        assert _ids(await queue(school_district=["SD07", "SD09"], priority="通常")) == [by_district["SD09"]]
        assert (await queue(school_district="SD01"))["items"] == []  # 北東部: not this coordinator's area
        assert (await queue(school_district="不明"))["total"] == 0
        assert (await queue())["total"] == 3
        bad = await case.get("/v1/cases", headers=chubu, params={"school_district": "SD99"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["school_district"]

"""What a reporter adds and sees: the furigana of the person concerned, and the list of
their own consultations (the stage only, never the case)."""

from __future__ import annotations

import copy
import json
from datetime import datetime

import redis.asyncio as aioredis

from shared.messaging.streams import decode_entry
from shared.settings import PROJECT_ROOT
from tests.support.services import bearer, eventually, opened_entry, running_service

EXAMPLE = json.loads((PROJECT_ROOT / "examples" / "consultation.json").read_text(encoding="utf-8"))


def with_person(**person: object) -> dict:
    body = copy.deepcopy(EXAMPLE)
    body["person"] = {**body["person"], **person}
    return body


async def test_furigana_is_kana_only_and_travels_with_the_person(make_settings, database_backend) -> None:
    settings = make_settings()
    reporter = bearer(settings, "reporter", "vol-1")
    async with running_service("intake", settings) as intake:
        created = await intake.post(
            "/v1/consultations", headers=reporter, json=with_person(name="サンプル 太郎", name_kana="ｻﾝﾌﾟﾙ　ﾀﾛｳ")
        )
        assert created.status_code == 201, created.text
        redis = aioredis.Redis.from_url(settings.redis_url)
        entries = await eventually(lambda: redis.xrange("tsunagi.consultation"), what="the submitted event")
        await redis.aclose()
        assert decode_entry(entries[0][1]).payload["person"]["name_kana"].startswith("tsk1."), "sealed on the stream"
        person = opened_entry(entries[0][1]).payload["person"]
        assert person["name_kana"] == "サンプル タロウ"  # NFKC: half-width katakana and the wide space folded

        for accepted in ("さんぷる たろう", "サンプル・タロウ", "サトー", "   "):
            answer = await intake.post("/v1/consultations", headers=reporter, json=with_person(name_kana=accepted))
            assert answer.status_code == 201, (accepted, answer.text)
        for refused in ("山田", "sample", "サンプル1", "サンプル（タロウ）"):
            answer = await intake.post("/v1/consultations", headers=reporter, json=with_person(name_kana=refused))
            assert answer.status_code == 422, (refused, answer.text)
            problem = answer.json()
            assert problem["errors"][0]["loc"] == ["person", "name_kana"]
            assert "ひらがな・カタカナ" in problem["detail"]
        too_long = await intake.post("/v1/consultations", headers=reporter, json=with_person(name_kana="ア" * 101))
        assert too_long.status_code == 422 and too_long.json()["errors"][0]["loc"][-1] == "name_kana"


async def test_each_reporter_lists_only_their_own_newest_first(make_settings, database_backend) -> None:
    settings = make_settings()
    one, two = bearer(settings, "reporter", "vol-1", "vol-1"), bearer(settings, "reporter", "vol-2", "vol-2")
    chubu = bearer(settings, "coordinator", "中部", "csw-chubu-1")
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        mine = []
        for _ in range(3):
            created = await intake.post("/v1/consultations", headers=one, json=EXAMPLE)
            mine.append(created.json()["reference"])
        # About someone else (another district, nothing in common): a case of its own.
        other_person = {
            **with_person(name="サンプル 次郎", approximate_place=None),
            "school_district": "SD08",
            "household": [],
        }
        theirs = (await intake.post("/v1/consultations", headers=two, json=other_person)).json()

        listed = await intake.get("/v1/consultations", headers=one)
        assert listed.status_code == 200, listed.text
        body = listed.json()
        assert (body["total"], body["page"], body["per_page"]) == (3, 1, 20)
        assert [i["reference"] for i in body["items"]] == mine[::-1]
        item = body["items"][0]
        assert set(item) == {"reference", "stage", "received_at", "received_at_jst", "updated_at", "updated_at_jst"}
        assert datetime.fromisoformat(item["received_at"]).utcoffset().total_seconds() == 0
        assert item["received_at_jst"].endswith("JST")
        assert "サンプル" not in listed.text  # no names, no notes
        other = (await intake.get("/v1/consultations", headers=two)).json()
        assert [i["reference"] for i in other["items"]] == [theirs["reference"]]

        page_two = (await intake.get("/v1/consultations", headers=one, params={"per_page": 2, "page": 2})).json()
        assert [i["reference"] for i in page_two["items"]] == [mine[0]] and page_two["total"] == 3
        beyond = (await intake.get("/v1/consultations", headers=one, params={"per_page": 2, "page": 3})).json()
        assert beyond["items"] == [] and beyond["total"] == 3
        for bad in ({"per_page": 0}, {"per_page": 101}, {"page": 0}, {"page": 10_001}):
            assert (await intake.get("/v1/consultations", headers=one, params=bad)).status_code == 422
        assert (await intake.get("/v1/consultations")).status_code == 401
        # Any role lists only what it submitted itself: here, nothing.
        assert (await intake.get("/v1/consultations", headers=chubu)).json() == {
            "items": [],
            "total": 0,
            "page": 1,
            "per_page": 20,
            "offset": 0,
            "limit": 20,
        }

        # The stage follows the case: the coordinator takes it, the reporter sees 対応中.
        async def case_of_theirs() -> dict | None:
            items = (await case.get("/v1/cases", headers=chubu)).json()["items"]
            for summary in items:
                detail = (await case.get(f"/v1/cases/{summary['id']}", headers=chubu)).json()
                if any(c["reference"] == theirs["reference"] for c in detail["consultations"]):
                    return detail
            return None

        taken = await eventually(case_of_theirs, what="the case of vol-2's consultation")
        assigned = await case.post(
            f"/v1/cases/{taken['id']}/assignment",
            headers=chubu,
            json={"coordinator_id": "csw-chubu-1", "version": taken["version"]},
        )
        assert assigned.status_code == 200, assigned.text

        async def in_hand() -> dict | None:
            items = (await intake.get("/v1/consultations", headers=two)).json()["items"]
            return items[0] if items[0]["stage"] == "対応中" else None

        moved = await eventually(in_hand, what="the stage 対応中 in vol-2's list")
        assert moved["updated_at"] >= moved["received_at"]
        assert {i["stage"] for i in (await intake.get("/v1/consultations", headers=one)).json()["items"]} == {"受付済"}

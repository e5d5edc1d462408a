"""Moves that wait for a supervisor, asked for from the case page, over the real services
on SQLite and PostgreSQL: closing a case with a watch plan running (終結 is offered,
with why it waits) and merging a case into another area's (the likely match's merge
button) both lead to the one 監督者に承認を依頼する page — a missing reason refused next
to its field, the refused form's values carried — and the supervisor's approval makes
the move."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.support.console_pages import Desk, case_form, csrf_of, running_desk
from tests.support.services import eventually


@pytest.fixture
async def desk(make_settings: Any, database_backend: str) -> AsyncIterator[Desk]:
    async with running_desk(make_settings()) as running:
        yield running


def _hidden(page: httpx.Response) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))


async def _ask(desk: Desk, me: httpx.AsyncClient, case_id: str, refused: httpx.Response) -> dict[str, Any]:
    """On the approval page: an empty reason is refused next to the field, then the
    request is made; returns the request as the supervisor's queue lists it."""
    carried = _hidden(refused)
    empty = await me.post(f"/cases/{case_id}/approvals", data={**carried, "approval_reason": " "})
    assert empty.status_code == 422
    assert 'id="f-approval_reason-error"' in empty.text and "承認を求める理由を入力してください。" in empty.text
    asked = await me.post(f"/cases/{case_id}/approvals", data={**_hidden(empty), "approval_reason": "サンプル: 理由"})
    assert asked.status_code == 303 and asked.headers["location"].endswith("notice=approval_requested#summary")
    assert "監督者に承認を依頼しました" in (await me.get(asked.headers["location"])).text
    queue = await desk.case.get("/v1/approvals", params={"status": "pending"}, headers=desk.token("sv-1"))
    [listed] = [a for a in queue.json()["items"] if a["case_id"] == case_id]
    request = await desk.case.get(f"/v1/approvals/{listed['id']}", headers=desk.token("sv-1"))
    assert request.status_code == 200, request.text
    return request.json()  # type: ignore[no-any-return]


async def _approve(desk: Desk, approval_id: str) -> None:
    decision = {"decision": "approve", "reason": "サンプル: 承認"}
    done = await desk.case.post(f"/v1/approvals/{approval_id}/decision", headers=desk.token("sv-1"), json=decision)
    assert done.status_code == 200 and done.json()["status"] == "carried_out", done.text


async def test_closing_a_watched_case_is_offered_and_asked_of_the_supervisor(desk: Desk) -> None:
    case = await desk.new_case(person={"name": None, "age_group": "80代", "approximate_place": "サンプル町6丁目付近"})
    chubu = desk.token("csw-chubu-1")
    plan = {
        "watcher_kind": "coordinator",
        "every": 14,
        "unit": "days",
        "look_for": "サンプル: 夜に明かりがつくか",
        "until": (date.today() + timedelta(days=90)).isoformat(),
        "version": case["version"],
    }
    started = await desk.case.post(f"/v1/cases/{case['id']}/watch", headers=chubu, json=plan)
    assert started.status_code == 201, started.text
    case = await desk.detail(case["id"])
    assert "終結" in case["allowed_statuses"]

    me = await desk.browse("csw-chubu-1")
    shown = await me.get(f"/cases/{case['id']}")
    assert re.search(r'name="to" value="終結"', shown.text)
    assert "見守り計画が続いているため、終結には監督者の承認が必要です" in shown.text
    csrf = csrf_of(shown)
    nothing = await me.post(f"/cases/{case['id']}/status", data=case_form(case, csrf, reason=""))
    assert nothing.status_code == 422 and "変更後の状態を選んでください。" in nothing.text

    refused = await me.post(
        f"/cases/{case['id']}/status", data=case_form(case, csrf, to="終結", reason="サンプル: 転居")
    )
    assert refused.status_code == 409
    assert (
        "監督者に承認を依頼する" in refused.text and "見守り計画が続いています。監督者の承認が必要です" in refused.text
    )
    assert _hidden(refused)["move"] == "close_with_open_work" and _hidden(refused)["to"] == "終結"
    request = await _ask(desk, me, case["id"], refused)
    assert request["move"] == "close_with_open_work" and request["params"]["status_reason"] == "サンプル: 転居"

    await _approve(desk, request["id"])
    closed = await desk.detail(case["id"])
    assert closed["status"] == "終結"
    assert (await desk.case.get(f"/v1/cases/{case['id']}/watch", headers=chubu)).json()["current"] is None


async def test_merging_into_another_areas_case_is_asked_of_the_supervisor(desk: Desk) -> None:
    person = {"name": "サンプル 一郎", "age_group": "40代", "approximate_place": "サンプル町9丁目付近"}
    seibu = await desk.new_case("csw-seibu-1", person=person, school_district="SD11")
    # The same name where the district is unknown: a city-wide case, offered as a likely match.
    city = await desk.new_case(person=person, school_district="不明")
    assert city["area"] == "市全域" and seibu["area"] == "西部"
    [offer] = city["link_offers"]
    assert offer["candidate_case_id"] == seibu["id"]

    me = await desk.browse("csw-chubu-1")
    shown = await me.get(f"/cases/{city['id']}")
    assert "このケースを統合する" in shown.text
    csrf = csrf_of(shown)
    other = await me.post(f"/cases/{city['id']}/merge", data=case_form(city, csrf, into_case_id=city["id"]))
    assert other.status_code == 422 and "同じケースには統合できません。" in other.text

    refused = await me.post(f"/cases/{city['id']}/merge", data=case_form(city, csrf, into_case_id=seibu["id"]))
    assert refused.status_code == 409
    assert "統合先は別の圏域のケースです。監督者の承認が必要です" in refused.text
    assert "別の圏域のケースに統合します。" in refused.text
    assert _hidden(refused)["move"] == "merge_across_areas" and _hidden(refused)["into_case_id"] == seibu["id"]
    request = await _ask(desk, me, city["id"], refused)
    assert request["params"] == {"into_case_id": seibu["id"]}
    shown = await (await desk.browse("sv-1")).get(f"/approvals/{request['id']}")
    assert f'<a href="/cases/{seibu["id"]}">統合先のケースを開く</a>' in shown.text
    assert "別の圏域のケース" in (await me.get(f"/approvals/{request['id']}")).text

    await _approve(desk, request["id"])
    merged = await eventually(lambda: _merged_into(desk, city["id"]), what="the city-wide case merged into 西部's")
    assert merged == seibu["id"]


async def _merged_into(desk: Desk, case_id: str) -> str | None:
    return (await desk.detail(case_id)).get("merged_into")  # type: ignore[no-any-return]

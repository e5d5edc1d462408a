"""The console's サービスがないニーズ and 地域課題 pages over the real services, on SQLite and
PostgreSQL: a coordinator records on the case page that no service exists for a need
(refusals next to their fields, a stale form says what changed and keeps what was
typed), gathers the area's needs from two cases into a community issue on the list page
(the case service's 422 — two cases at least — in Japanese next to the field), and adds
one more on the issue's page. Another area's coordinator and the supervisor are offered
nothing to gather."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.support.console_pages import Desk, case_form, csrf_of, running_desk

MISSING = "サンプル: 放課後に通える居場所がない"


@pytest.fixture
async def desk(make_settings: Any, database_backend: str) -> AsyncIterator[Desk]:
    async with running_desk(make_settings()) as running:
        yield running


def _error(page: httpx.Response, field: str) -> str:
    """The message shown next to ``field`` (its ``f-<field>-error`` paragraph)."""
    found = re.search(
        rf'id="f-{field}-error">.*?<span class="visually-hidden">エラー：</span>(.*?)</span>', page.text, re.S
    )
    assert found, f"no error next to {field}"
    return found.group(1)


def _person() -> dict[str, Any]:
    return {"name": None, "age_group": "10代", "approximate_place": "サンプル町"}


async def _need(desk: Desk, case: dict[str, Any], missing: str) -> str:
    body = {"category": "ヤングケアラー", "missing": missing, "version": case["version"]}
    answer = await desk.case.post(f"/v1/cases/{case['id']}/unmet-needs", headers=desk.token("csw-chubu-1"), json=body)
    assert answer.status_code == 201, answer.text
    case["version"] = answer.json()["version"]
    return str(answer.json()["need_id"])


async def test_a_need_no_service_meets_is_recorded_on_the_case_page(desk: Desk) -> None:
    case = await desk.new_case(person={**_person(), "approximate_place": "サンプル町3丁目付近"})
    me = await desk.browse("csw-chubu-1")
    shown = await me.get(f"/cases/{case['id']}")
    assert shown.status_code == 200 and "サービスがないニーズを記録する" in shown.text
    assert "記録はまだありません" in shown.text
    csrf = csrf_of(shown)
    post = f"/cases/{case['id']}/unmet-needs"

    empty = await me.post(post, data=case_form(case, csrf, need_category="", need_missing="  "))
    assert empty.status_code == 422
    assert _error(empty, "need_category") == "相談分類を選んでください。"
    assert _error(empty, "need_missing") == "ないサービス・足りないものを入力してください。"

    unknown = await me.post(post, data=case_form(case, csrf, need_category="存在しない分類", need_missing=MISSING))
    assert unknown.status_code == 422 and "相談分類「存在しない分類」は登録されていません" in _error(
        unknown, "need_category"
    )
    assert MISSING in unknown.text  # what was typed is kept
    district = await me.post(
        post,
        data=case_form(case, csrf, need_category="ヤングケアラー", need_missing=MISSING, need_school_district="SD99"),
    )
    assert district.status_code == 422 and "小学校区「SD99」は登録されていません" in _error(
        district, "need_school_district"
    )

    # Someone else changed the case meanwhile: the form is shown again, with what changed.
    stale = dict(case)
    version = (await desk.detail(case["id"]))["version"]
    triage = {"priority": "緊急", "version": version}
    changed = await desk.case.post(f"/v1/cases/{case['id']}/triage", headers=desk.token("csw-chubu-1"), json=triage)
    assert changed.status_code == 200, changed.text
    conflict = await me.post(post, data=case_form(stale, csrf, need_category="ヤングケアラー", need_missing=MISSING))
    assert conflict.status_code == 409
    assert "他の人がこのケースを先に更新しました" in conflict.text and "優先度が「高」から「緊急」に" in conflict.text
    assert MISSING in conflict.text

    case = await desk.detail(case["id"])
    done = await me.post(
        post,
        data=case_form(case, csrf, need_category="ヤングケアラー", need_missing=MISSING, need_school_district="SD08"),
    )
    assert done.status_code == 303 and done.headers["location"].endswith("?notice=need_recorded#needs")
    listed = await me.get(done.headers["location"])
    assert "サービスがないニーズを記録しました" in listed.text
    assert (
        MISSING in listed.text
        and "サンプル第8小学校区" in listed.text
        and '<span class="muted">未</span>' in listed.text
    )
    # The supervisor reads the need, without the form.
    read = await (await desk.browse("sv-1")).get(f"/cases/{case['id']}")
    assert MISSING in read.text and "サービスがないニーズを記録する" not in read.text


async def test_needs_of_two_cases_are_gathered_into_a_community_issue_and_one_more_is_added(desk: Desk) -> None:
    first = await desk.new_case(person={**_person(), "approximate_place": "サンプル町4丁目付近"})
    second = await desk.new_case(person={**_person(), "approximate_place": "サンプル町5丁目付近"})
    a1 = await _need(desk, first, MISSING)
    a2 = await _need(desk, first, "サンプル: 夕食を一緒に食べられる場所がない")
    b1 = await _need(desk, second, "サンプル: 家事を手伝ってくれる人がいない")

    me = await desk.browse("csw-chubu-1")
    listing = await me.get("/community-issues")
    assert listing.status_code == 200 and "ニーズを地域課題にまとめる" in listing.text
    assert all(f'value="{n}"' in listing.text for n in (a1, a2, b1)) and "(3件)" in listing.text
    csrf = csrf_of(listing)
    title = "サンプル: ヤングケアラーの放課後の居場所"

    one_case = await me.post("/community-issues", data={"csrf_token": csrf, "title": title, "need_ids": [a1, a2]})
    assert one_case.status_code == 422
    assert _error(one_case, "need_ids") == "地域課題は2つ以上のケースのニーズからまとめてください。"
    assert title in one_case.text and re.search(rf'value="{a1}"\s+checked', one_case.text)
    too_few = await me.post("/community-issues", data={"csrf_token": csrf, "title": "", "need_ids": [a1]})
    assert too_few.status_code == 422
    assert _error(too_few, "need_ids") == "2つ以上選んでください" and _error(too_few, "title") == "入力してください"
    assert "地域課題の名前：入力してください" in too_few.text  # the summary names the field

    raised = await me.post("/community-issues", data={"csrf_token": csrf, "title": title, "need_ids": [a1, b1]})
    assert raised.status_code == 303, raised.text
    issue_path = raised.headers["location"].split("?")[0]
    issue = await me.get(raised.headers["location"])
    assert "ニーズを地域課題にまとめました" in issue.text and "まとめたニーズ(2件・2ケース)" in issue.text
    # Only the need left out can be added; the issue's version guards the form.
    assert f'value="{a2}"' in issue.text and f'value="{a1}"' not in issue.text
    version = re.search(r'name="version" value="(\d+)"', issue.text).group(1)  # type: ignore[union-attr]
    nothing = await me.post(f"{issue_path}/needs", data={"csrf_token": csrf, "version": version})
    assert nothing.status_code == 422 and _error(nothing, "need_ids") == "加えるニーズを選んでください。"
    stale = await me.post(f"{issue_path}/needs", data={"csrf_token": csrf, "version": "99", "need_ids": [a2]})
    assert stale.status_code == 409 and "この地域課題は更新されています" in _error(stale, "need_ids")
    added = await me.post(f"{issue_path}/needs", data={"csrf_token": csrf, "version": version, "need_ids": [a2]})
    assert added.status_code == 303, added.text
    issue = await me.get(added.headers["location"])
    assert "地域課題にニーズを加えました" in issue.text and "まとめたニーズ(3件・2ケース)" in issue.text
    assert "まだ地域課題にまとめていないニーズはありません" in issue.text
    b2 = await _need(desk, second, "サンプル: 通訳がいない")
    again = await me.post("/community-issues", data={"csrf_token": csrf, "title": title, "need_ids": [a2, b1]})
    assert again.status_code == 409 and "すでに地域課題にまとめられています" in _error(again, "need_ids")
    assert f'value="{b2}"' in again.text  # what may still be gathered
    case_page = await me.get(f"/cases/{first['id']}")
    assert f'href="{issue_path}">まとめ済み' in case_page.text

    # Another area's coordinator sees none of 中部's needs; the supervisor gathers nothing.
    other = await (await desk.browse("csw-seibu-1")).get("/community-issues")
    assert "まだ地域課題にまとめていないニーズはありません" in other.text and MISSING not in other.text
    supervisor = await (await desk.browse("sv-1")).get("/community-issues")
    assert "ニーズを地域課題にまとめる" not in supervisor.text and title in supervisor.text

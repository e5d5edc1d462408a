"""Supervisor approvals and community issues in the console: a coordinator's close of a
case with an open referral is refused for want of approval, and the page offers the
request (an empty reason is refused next to its field); the supervisor finds it in the
承認 queue, refuses to decide without a reason, approves, and the case is closed by the
system. The coordinator gathers the needs of two cases into a community issue on the
地域課題 page and moves it on; the supervisor's 地域課題 page counts them, and the
issue's page lists them."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import Browser, expect

from shared.settings import PROJECT_ROOT
from tests.browser.conftest import Person, Shots, person_of
from tests.support.services import bearer
from tests.support.system import System, wait_for

EXAMPLE = json.loads((PROJECT_ROOT / "examples" / "consultation.json").read_text(encoding="utf-8"))


def _ok(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()


def _cases(system: System, places: tuple[str, ...]) -> list[tuple[str, int]]:
    """中部 cases in hand of csw-chubu-1 (made over the API): consultations submitted at
    once, then each case taken."""
    settings = system.settings
    chubu = bearer(settings, "coordinator", "中部", subject="csw-chubu-1")
    intake, case = system.client("intake"), system.client("case")
    references = []
    for place in places:
        body = {**EXAMPLE, "person": {**EXAMPLE["person"], "approximate_place": place}, "household": []}
        answer = intake.post("/v1/consultations", json=body, headers=bearer(settings, "reporter", "vol-1"))
        references.append(_ok(answer, 201)["reference"])
    made = []
    for reference in references:
        found = wait_for(
            lambda r=reference: next(
                iter(_ok(case.get("/v1/cases/search", params={"q": r}, headers=chubu))["items"]), None
            ),
            f"the case of {reference}",
        )
        assign = {"coordinator_id": "csw-chubu-1", "version": found["version"]}
        version = _ok(case.post(f"/v1/cases/{found['id']}/assignment", headers=chubu, json=assign))["version"]
        made.append((found["id"], version))
    return made


def test_a_close_waits_for_the_supervisor_and_community_issues_are_counted(
    people: dict[str, Person], browser: Browser, system: System, shots: Shots
) -> None:
    token = bearer(system.settings, "coordinator", "中部", subject="csw-chubu-1")
    case = system.client("case")
    (case_id, version), (other, other_version) = _cases(system, ("サンプル町7丁目付近", "サンプル町8丁目付近"))
    # Each has a need no service meets; the first also a referral still open.
    needs = []
    for worked, at in ((case_id, version), (other, other_version)):
        need = {"category": "ヤングケアラー", "missing": "サンプル: 放課後に通える居場所がない", "version": at}
        needs.append(_ok(case.post(f"/v1/cases/{worked}/unmet-needs", headers=token, json=need), 201)["need_id"])
    version += 1
    referral = {
        "agency_id": "npo-young-carers",
        "purpose": "サンプル: 訪問",
        "share": ["age_group"],
        "version": version,
    }
    _ok(case.post(f"/v1/cases/{case_id}/referrals", headers=token, json=referral), 201)
    coordinator = person_of(people, browser, system, shots, "csw-chubu-1")
    coordinator.sign_in()
    page = coordinator.go(f"/cases/{case_id}", shot="approvals-case")
    page.get_by_role("radio", name="終結").check()
    page.get_by_role("button", name="状態を変える").click()
    expect(page.get_by_role("heading", name="監督者に承認を依頼する")).to_be_visible()
    expect(page.get_by_role("alert").or_(page.locator(".banner"))).to_contain_text("終わっていない紹介が1件あります")
    page.get_by_role("button", name="承認を依頼する").click()
    expect(page.locator("#approval_reason-error, .field__error").first).to_contain_text(
        "承認を求める理由を入力してください"
    )
    coordinator.shot("approval-request-refused")
    page.get_by_label("承認を求める理由").fill("サンプル: 転居のため。紹介先には連絡済み")
    page.get_by_role("button", name="承認を依頼する").click()
    expect(page.get_by_text("監督者に承認を依頼しました")).to_be_visible()

    supervisor = person_of(people, browser, system, shots, "sv-1")
    supervisor.sign_in()
    page = supervisor.go("/approvals", shot="approvals-queue")
    row = page.locator("tbody tr", has_text="未完了の紹介・見守りがあるケースの終結").first
    expect(row).to_contain_text("承認待ち")
    row.get_by_role("link").click()
    page.wait_for_load_state()
    expect(page.get_by_text("サンプル: 転居のため")).to_be_visible()
    page.get_by_role("button", name="判断を記録する").click()
    expect(page.locator(".error-summary")).to_contain_text("判断の理由を入力してください")
    supervisor.shot("approval-decision-refused")
    page.get_by_label("承認する").check()
    page.get_by_label("判断の理由").fill("サンプル: 転居先へ引き継ぎ済み")
    page.get_by_role("button", name="判断を記録する").click()
    expect(page.get_by_text("承認・実行済")).to_be_visible()
    assert _ok(case.get(f"/v1/cases/{case_id}", headers=token))["status"] == "終結"

    # The coordinator gathers the two needs into a community issue on the 地域課題 page
    # and moves it on; the supervisor's counts and the issue's page list them.
    page = coordinator.go("/community-issues", shot="community-issues-gather")
    gather = page.locator("#gather")
    gather.get_by_label("地域課題の名前").fill("サンプル: ヤングケアラーの放課後の居場所")
    for need_id in needs:
        gather.locator(f'input[value="{need_id}"]').check()
    gather.get_by_role("button", name="地域課題にまとめる").click()
    expect(page.get_by_text("ニーズを地域課題にまとめました")).to_be_visible()
    coordinator.shot("community-issue-coordinator")
    page.get_by_label("協議中").check()
    page.get_by_role("button", name="状態を進める").click()
    expect(page.get_by_text("地域課題の状態を進めました")).to_be_visible()
    page = supervisor.go("/community-issues", shot="community-issues")
    expect(page.locator("table").first).to_contain_text("ヤングケアラー")
    page.get_by_role("link", name="サンプル: ヤングケアラーの放課後の居場所").click()
    page.wait_for_load_state()
    expect(page.locator("table")).to_contain_text("放課後に通える居場所がない")

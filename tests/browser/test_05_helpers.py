"""地域の支援者 in the browser: the 中部 coordinator gives the sample ほっとネット推進員 a
声かけ on a case of their own (sharing the age group only), the helper — on a phone,
choosing their helper role — finds it on わたしへの依頼, sees only what it shares, takes
it on and records a check-in, and the coordinator sees it on the case page."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.conftest import Person, Shots, person_of
from tests.support.services import bearer
from tests.support.system import System, wait_for

HELPER = "sample-helper-1"


def _a_case_in_hand(system: System) -> str:
    """A 中部 consultation made into a case, assigned and consented to (over the API: the
    walk-through shows those steps in the browser)."""
    settings = system.settings
    body = {
        "reporter_role": "ほっとネット推進員",
        "channel": "電話",
        "person": {"name": "サンプル 支援 太郎", "age_group": "70代", "approximate_place": "サンプル町5丁目"},
        "school_district": "SD07",
        "household": [{"relation": "本人", "age_group": "70代"}],
        "categories": ["孤立"],
        "noticed": "サンプル: 最近見かけない",
        "urgency": "通常",
        "consent": "同意あり",
        "sample": True,
    }
    created = system.client("intake").post(
        "/v1/consultations", json=body, headers=bearer(settings, "reporter", "vol-1", "vol-1")
    )
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]
    coordinator = bearer(settings, "coordinator", "中部", "csw-chubu-1")
    case = system.client("case")

    def opened() -> dict | None:
        found = case.get("/v1/cases/search", params={"q": reference}, headers=coordinator).json()["items"]
        return found[0] if found else None

    item = wait_for(opened, "the case of the consultation")
    detail = case.get(f"/v1/cases/{item['id']}", headers=coordinator).json()
    assigned = case.post(
        f"/v1/cases/{item['id']}/assignment",
        json={"coordinator_id": "csw-chubu-1", "version": detail["version"]},
        headers=coordinator,
    )
    assert assigned.status_code == 200, assigned.text
    return str(item["id"])


def test_a_coordinator_gives_a_helper_a_task_and_sees_their_check_in(
    people: dict[str, Person], browser: Browser, system: System, shots: Shots
) -> None:
    case_id = _a_case_in_hand(system)
    coordinator = person_of(people, browser, system, shots, "csw-chubu-1")
    coordinator.sign_in()
    page = coordinator.go(f"/cases/{case_id}", shot="case-helpers")
    section = page.locator("#helpers")
    section.get_by_text("地域の支援者に頼む").click()
    section.get_by_label("支援者").select_option(HELPER)
    section.get_by_label("声かけ").check()
    section.get_by_label("お願いすること").fill("サンプル: 朝のごみ出しのときに声をかけてください")
    section.get_by_label("年代", exact=True).check()
    section.get_by_role("button", name="依頼する").click()
    expect(page.locator(".banner--success")).to_contain_text("地域の支援者に依頼しました")
    expect(page.locator("#helpers")).to_contain_text("依頼中")

    helper = person_of(people, browser, system, shots, HELPER, phone=True)
    page = helper.sign_in(role="地域の支援者(ほっとネット推進員・中部)")
    expect(page.get_by_role("heading", name="わたしへの依頼")).to_be_visible()
    page.get_by_role("link", name="声かけ").first.click()
    page.wait_for_load_state()
    helper.shot("helper-task")
    main = page.locator("main")
    expect(main).to_contain_text("朝のごみ出し")
    expect(main).to_contain_text("70代")
    expect(main).not_to_contain_text("サンプル 支援 太郎")  # not shared: nor the place, nor what was noticed
    expect(main).not_to_contain_text("最近見かけない")
    page.get_by_role("button", name="引き受ける").click()
    expect(page.locator(".banner--success")).to_contain_text("依頼を引き受けました")
    page.get_by_role("button", name="確認を記録する").click()  # nothing chosen: refused next to the fields
    expect(page.locator(".error-summary")).to_be_visible()
    page.get_by_label("方法").select_option("訪問")
    page.get_by_label("変わりなし").check()
    page.get_by_label("ひとこと").fill("サンプル: 元気そうでした")
    page.get_by_role("button", name="確認を記録する").click()
    expect(page.locator(".banner--success")).to_contain_text("確認を記録しました")
    helper.shot("helper-task-checked-in")

    page = coordinator.page  # the case page was checked above: reloaded, not screenshotted again
    page.reload()
    expect(page.locator("#helpers")).to_contain_text("元気そうでした")
    expect(page.locator("#helpers")).to_contain_text("引き受け済")

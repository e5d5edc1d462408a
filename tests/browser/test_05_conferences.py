"""会議: a coordinator adds a grandchild to an 8050 household and records their own needs
(ヤングケアラー) on the case page,
plans a 支援会議 about the case with the school and a support center, holds it, shares
the case with them under the meeting's confidentiality (the ground shown per field),
records the decision and a task (a due day in the past refused next to its field); the
school's staff read the minutes and mark the task done; an agency not at the table is
refused the minutes (over the API: the scenario and access-matrix tests cover the rest)."""

from __future__ import annotations

from datetime import datetime

from playwright.sync_api import Browser, expect

from shared.clock import JST
from tests.browser.conftest import Person, Shots, person_of
from tests.support.services import bearer
from tests.support.system import System

# The day in Japan, as the services count it (the UTC date lags it from 15:00 UTC).
TODAY = datetime.now(JST).date().isoformat()


def _a_chubu_case_with_a_household(system: System) -> str:
    """A 中部 8050 case of the sample data with household members, read over the API."""
    headers = bearer(system.settings, "coordinator", "中部", subject="csw-chubu-1")
    case = system.client("case")
    for item in case.get("/v1/cases", headers=headers, params={"per_page": 100, "category": "8050"}).json()["items"]:
        detail = case.get(f"/v1/cases/{item['id']}", headers=headers).json()
        if detail["household"] and not detail.get("merged_into") and detail["status"] != "終結":
            return str(item["id"])
    raise AssertionError("no 中部 8050 case with a household in the sample data")


def test_a_support_meeting_is_recorded_and_read_only_by_those_at_the_table(
    people: dict[str, Person], browser: Browser, system: System, shots: Shots
) -> None:
    case_id = _a_chubu_case_with_a_household(system)
    coordinator = person_of(people, browser, system, shots, "csw-chubu-1")
    coordinator.sign_in()
    page = coordinator.page  # the case page is screenshotted once, after the member's needs are recorded
    page.goto(f"{coordinator.base}/cases/{case_id}")
    household = page.locator("#household")
    household.get_by_text("世帯員を加える").first.click()
    household.get_by_label("続柄").fill("孫")
    household.locator("#f-age_group").select_option(label="10代")
    household.get_by_role("button", name="世帯員を加える").click()
    household = page.locator("#household")
    household.get_by_text("世帯員のニーズ(分類・同意・言語)を記録する").click()
    household.get_by_label("どの世帯員か").select_option(label="孫(10代)")
    household.get_by_label("ヤングケアラー").check()
    household.get_by_role("button", name="ニーズを記録する").click()
    expect(page.locator("#household tbody tr", has_text="孫")).to_contain_text("ヤングケアラー")
    coordinator.shot("case-household-member-needs")

    page.get_by_role("link", name="このケースについて会議を予定する").click()
    page.get_by_label("支援会議(社会福祉法第106条の6)").check()
    page.get_by_label("会議の名前").fill("サンプル: 中部 支援会議")
    page.get_by_label("開催日").fill(TODAY)
    page.get_by_label("サンプル市立第一小学校").check()
    page.get_by_role("button", name="会議を予定する").click()
    expect(page.get_by_role("heading", name="サンプル: 中部 支援会議")).to_be_visible()
    conference_url = page.url.split("?")[0]
    page.get_by_role("button", name="開催したことを記録する").click()
    shares = page.locator("#shares")
    shares.get_by_label("氏名").check()
    shares.get_by_label("相談分類").check()
    shares.get_by_role("button", name="参加者に共有する").click()
    expect(page.locator("#shares")).to_contain_text("社会福祉法第106条の6(支援会議の守秘義務)")
    page.get_by_label("について決まったこと").fill("サンプル: 孫の負担を学校と見守る")
    page.get_by_role("button", name="決まったことを記録する").click()
    tasks = page.locator("#tasks")
    tasks.locator("#f-task_title").fill("サンプル: 学校での様子を見る")
    tasks.get_by_label("担う人・機関").select_option(label="サンプル市立第一小学校")
    tasks.get_by_label("期限").fill("2020-01-01")
    tasks.get_by_role("button", name="役割を決める").click()
    expect(page.locator("#f-due_on-error")).to_contain_text("期限は今日以降")
    coordinator.shot("conference-task-refused")
    page.locator("#tasks").get_by_label("期限").fill(TODAY)
    page.locator("#tasks").get_by_role("button", name="役割を決める").click()
    expect(page.locator("#tasks tbody")).to_contain_text("サンプル: 学校での様子を見る")
    coordinator.shot("conference-minutes")

    path = conference_url.removeprefix(coordinator.base)
    school = person_of(people, browser, system, shots, "school-chubu-1-staff")
    school.sign_in()
    page = school.go(path, shot="conference-school")
    expect(page.locator("#minutes")).to_contain_text("サンプル: 孫の負担を学校と見守る")
    expect(page.locator("#minutes")).to_contain_text("相談分類: 8050")  # what was shared, as people read it
    page.locator("#tasks").get_by_role("button", name="完了にする").click()
    expect(page.locator("#tasks tbody")).to_contain_text("完了")

    # An agency not at the table is refused the minutes (its browser walk is the API's 404).
    outsider = bearer(system.settings, "agency", "hc-1", subject="hc-1-staff")
    conference_id = path.rsplit("/", 1)[-1]
    assert system.client("case").get(f"/v1/conferences/{conference_id}", headers=outsider).status_code == 404

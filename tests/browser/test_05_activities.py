"""Activities (活動) at the desk: the coordinator logs an accompaniment on a case (a time
in the future is refused next to its field) and an outreach that found no one for the
area; the supervisor's dashboard draws the activities and the 見守り check-ins."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from playwright.sync_api import Browser, expect

from tests.browser.conftest import Person, Shots, person_of
from tests.support.system import System


def test_the_coordinator_logs_activities_and_the_dashboard_counts_them(
    people: dict[str, Person], browser: Browser, system: System, shots: Shots
) -> None:
    coordinator = person_of(people, browser, system, shots, "csw-chubu-1")
    page = coordinator.sign_in()
    page = coordinator.go("/queue?view=all", shot="queue-for-activity")
    page.locator("#queue-results tbody tr a").first.click()
    expect(page.get_by_role("heading", name=re.compile(r"^ケース K-"))).to_be_visible()
    section = page.locator("#activities")
    section.locator("summary", has_text="活動を記録する").click()
    section.locator("#f-activity_kind").select_option("同行")
    section.get_by_label("関係機関につないだ", exact=True).check()
    section.locator("#f-activity_agency").select_option("hc-3")
    section.locator("#f-activity_residents").fill("1")
    section.locator("#f-happened_at").fill((datetime.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    section.get_by_role("button", name="活動を記録する").click()
    expect(page.locator("#f-happened_at-error")).to_contain_text("未来の日時")
    page.locator("#activities #f-happened_at").fill("")
    page.locator("#activities #f-activity_note").fill("サンプル: 地域包括へ同行し、介護保険の申請を手伝った")
    page.locator("#activities").get_by_role("button", name="活動を記録する").click()
    expect(page.locator(".banner--success")).to_contain_text("活動を記録しました")
    expect(page.locator("#activities")).to_contain_text("介護保険の申請")
    coordinator.shot("case-activities")

    page = coordinator.go("/activities", shot="area-activities")
    page.locator("summary", has_text="地域の活動を記録する").click()
    page.locator("#f-activity_kind").select_option("アウトリーチ")
    page.get_by_label("会えなかった", exact=True).check()
    page.locator("#f-activity_district").select_option("SD07")
    page.get_by_role("button", name="活動を記録する").click()
    expect(page.locator(".banner--success")).to_contain_text("活動を記録しました")
    expect(page.locator("main table")).to_contain_text("なし(地域)")
    coordinator.shot("area-activities-recorded")

    supervisor = person_of(people, browser, system, shots, "sv-1")
    supervisor.sign_in()
    page = supervisor.go("/dashboard", shot="dashboard-activities")
    expect(page.locator("#activities_monthly")).to_contain_text("活動件数(月別)")
    expect(page.locator("#activities_by_kind table")).to_contain_text("アウトリーチ")
    expect(page.locator("#checkins_monthly table")).to_contain_text("実施")
    headline = page.locator("table").first
    expect(headline).to_contain_text("うちケースのない地域の活動")

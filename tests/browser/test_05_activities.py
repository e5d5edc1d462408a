"""Activities (活動) at the desk: the coordinator logs an accompaniment on a case (a time
in the future is refused next to its field) and an outreach that found no one for the
area; the supervisor's dashboard draws the activities and the 見守り check-ins."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import urlparse

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import SCREENSHOTS, Person, Shots, person_of
from tests.support.system import System


def _open(person: Person, path: str) -> Page:
    """The page in the person's browser, signing in only when their session has ended
    (earlier modules leave them signed in: a sign-in screenshots and checks their home)."""
    person.page.goto(person.base + path)
    if urlparse(person.page.url).path != path:
        person.sign_in()
        person.page.goto(person.base + path)
    return person.page


def test_the_coordinator_logs_activities_and_the_dashboard_counts_them(
    people: dict[str, Person], browser: Browser, system: System, shots: Shots
) -> None:
    coordinator = person_of(people, browser, system, shots, "csw-chubu-1")
    page = _open(coordinator, "/queue")
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
    coordinator.shot("case-activity-refused")  # the form open, the error next to its field
    page.locator("#activities #f-happened_at").fill("")
    page.locator("#activities #f-activity_note").fill("サンプル: 地域包括へ同行し、介護保険の申請を手伝った")
    page.locator("#activities").get_by_role("button", name="活動を記録する").click()
    expect(page.locator(".banner--success")).to_contain_text("活動を記録しました")
    expect(page.locator("#activities")).to_contain_text("介護保険の申請")

    page.get_by_role("link", name="地域の活動").click()
    page.locator("summary", has_text="地域の活動を記録する").click()
    page.locator("#f-activity_kind").select_option("アウトリーチ")
    page.get_by_label("会えなかった", exact=True).check()
    page.locator("#f-activity_district").select_option("SD07")
    page.get_by_role("button", name="活動を記録する").click()
    expect(page.locator(".banner--success")).to_contain_text("活動を記録しました")
    expect(page.locator("main table")).to_contain_text("なし(地域)")
    coordinator.shot("area-activities-recorded")

    supervisor = person_of(people, browser, system, shots, "sv-1")
    page = _open(supervisor, "/dashboard")  # with the charts, axe-checked on every sign-in and in test_04
    expect(page.locator("#activities_monthly")).to_contain_text("活動件数(月別)")
    expect(page.locator("#activities_by_kind table")).to_contain_text("アウトリーチ")
    expect(page.locator("#checkins_monthly table")).to_contain_text("実施")
    expect(page.locator("table").first).to_contain_text("うちケースのない地域の活動")
    for chart in ("activities_monthly", "activities_by_school_district", "checkins_monthly"):
        shots.count += 1  # the new charts alone, to look at (the page itself was checked above)
        page.locator(f"#{chart}").screenshot(path=str(SCREENSHOTS / f"{shots.count:02d}-dashboard-{chart}.png"))

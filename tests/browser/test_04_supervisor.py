"""The supervisor's desk: an ignored referral climbs the escalation ladder as time moves
(the clock file all the processes read, a day at a time — each day as soon as notify's
timer has passed over it, never by waiting), the overdue
list shows the rung it has reached; the case audit shows the whole timeline verified, who
read the case and which agency saw which fields, and exports it — and names the break
of a timeline tampered with in the database; the operations page says
every service is healthy."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path

import httpx
from playwright.sync_api import Browser, expect
from prometheus_client.parser import text_string_to_metric_families

from shared.clock import set_clock_offset
from tests.browser.conftest import Person, Shots, person_of
from tests.browser.test_01_walkthrough import WALK
from tests.support.services import bearer
from tests.support.system import System, wait_for

DAY = 24 * 3600


def timer_passed_at(notify: httpx.Client) -> float:
    """When notify's follow-up timer last began a whole pass, by its clock (its /metrics)."""
    for family in text_string_to_metric_families(notify.get("/metrics").text):
        if family.name == "tsunagi_notify_followup_timer_last_pass_timestamp_seconds":
            return max((sample.value for sample in family.samples), default=0.0)
    return 0.0


def test_an_ignored_referral_climbs_the_escalation_ladder(
    people: dict[str, Person], browser: Browser, system: System, shots: Shots, clock_file: Path
) -> None:
    coordinator = person_of(people, browser, system, shots, "csw-chubu-1")
    coordinator.sign_in()
    page = coordinator.go(WALK["case_url"].removeprefix(coordinator.base) + "/refer", shot="refer-ignored")
    page.get_by_label("紹介先").select_option("hokenjo")
    page.get_by_label("紹介の目的").fill("サンプル: 健康面の確認")
    page.get_by_label("年代", exact=True).check()
    page.get_by_role("button", name="この内容でつなぐ").click()
    expect(page.locator("#referrals")).to_contain_text("サンプル保健所")
    notify = system.client("notify")
    token = bearer(system.settings, "supervisor", "city", subject="sv-1")

    def rung() -> str | None:
        items = notify.get("/v1/overdue", headers=token).json()["items"]
        found = next((i for i in items if i["agency_id"] == "hokenjo" and i["step"] == "acknowledge"), None)
        return (found or {}).get("escalated_to")

    supervisor = person_of(people, browser, system, shots, "sv-1")
    seen: list[str] = []
    try:
        for day in range(1, 15):  # a day at a time: weekends and holidays are not business days
            moved_to = time.time() + day * DAY
            set_clock_offset(clock_file, day * DAY)
            wait_for(lambda at=moved_to: timer_passed_at(notify) >= at, f"the follow-up timer's pass on day {day}")
            reached = rung()
            if reached and (not seen or seen[-1] != reached):
                seen.append(reached)
                # Each day ends yesterday's sessions (idle): sign in again, as a person would.
                supervisor.sign_in()
                page = supervisor.go("/overdue", shot=f"overdue-{reached}")
                row = page.locator("#overdue-list tbody tr", has_text="サンプル保健所").filter(has_text="受領確認")
                expect(row).to_contain_text(
                    {
                        "agency": "機関に督促済み",
                        "coordinator": "コーディネーターに通知済み",
                        "supervisor": "監督者に通知済み",
                    }[reached]
                )
            if reached == "supervisor":
                break
        assert seen == ["agency", "coordinator", "supervisor"], seen
        expect(page.locator("#by-agency").locator("..")).to_contain_text("サンプル保健所")
    finally:
        set_clock_offset(clock_file, 0)


def test_the_case_audit_shows_the_timeline_verified_the_reads_and_the_disclosures(
    people: dict[str, Person], browser: Browser, system: System, shots: Shots
) -> None:
    supervisor = person_of(people, browser, system, shots, "sv-1")
    supervisor.sign_in()
    page = supervisor.go("/audit", shot="audit-search")
    page.get_by_label(re.compile("^ケース番号・受付番号・氏名")).fill(WALK["case_number"])
    page.get_by_role("button", name="探す").click()
    expect(page.get_by_role("heading", name=re.compile("^ケース監査"))).to_be_visible()
    expect(page.locator(".banner--success")).to_contain_text("検証済")
    expect(page.locator(".banner--success")).to_contain_text("ハッシュチェーンを検証しました")
    expect(page.locator("#disclosures-heading").locator("..")).to_contain_text("サンプルひきこもり支援NPO")
    expect(page.locator("#disclosures-heading").locator("..")).to_contain_text("氏名")
    expect(page.locator("#decisions-heading").locator("..")).to_contain_text("サンプルひきこもり支援NPO")
    reads = page.locator("#reads-heading").locator("..")
    expect(reads).to_contain_text("sv-1")  # newest first: this visit's own read is on the first page
    supervisor.shot("audit")
    # Every role's reads, further back in the walk: the agency's of its referral, a page of reads at a time.
    agency_read = reads.locator("tr", has_text="関係機関").filter(has_text="紹介の詳細")
    older = page.get_by_role("navigation", name="閲覧の記録のページ").get_by_role("link", name="次へ")
    while not agency_read.count() and older.count():
        with page.expect_navigation():
            older.click()
    expect(agency_read.first).to_be_visible()
    supervisor.shot("audit-older-reads")
    with page.expect_download() as download:
        page.get_by_role("link", name="経過をCSVで書き出す").click()
    assert download.value.suggested_filename == f"timeline-{WALK['case_number']}.csv"
    # 開示請求: everything every service holds about the case, in one file.
    with page.expect_download() as bundle:
        page.get_by_role("link", name="開示請求用にすべて書き出す(JSON)").click()
    exported = json.loads(Path(bundle.value.path()).read_text(encoding="utf-8"))
    assert exported["case_number"] == WALK["case_number"] and exported["case"]["consultations"]
    assert exported["timeline"]["items"] and exported["referrals"] and exported["reads"]["items"]
    assert {d["agency_id"] for d in exported["disclosures"]["decisions"]} >= {"npo-hikikomori"}


def test_the_case_audit_says_what_is_broken_in_a_tampered_timeline(
    people: dict[str, Person], browser: Browser, system: System, shots: Shots
) -> None:
    """An entry deleted behind the service's back — its trigger dropped first, as an
    attacker with DDL rights would — and the case audit names the break."""
    token = bearer(system.settings, "supervisor", "city", subject="sv-1")
    cases = system.client("case").get("/v1/cases", headers=token, params={"per_page": 100}).json()["items"]
    victim = next(c for c in cases if c["id"] not in WALK["case_url"])
    database = sqlite3.connect(system.settings.data_dir / "case.db")
    try:
        (trigger,) = database.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'timeline_no_delete'"
        ).fetchone()
        with database:
            database.execute("DROP TRIGGER timeline_no_delete")
            database.execute("DELETE FROM timeline WHERE case_id = ? AND seq = 1", (victim["id"],))
            database.execute(trigger)
    finally:
        database.close()
    # Still signed in from the audit before (a second sign-in would reuse its one-time code).
    supervisor = person_of(people, browser, system, shots, "sv-1")
    page = supervisor.go(f"/audit/{victim['id']}", shot="audit-broken")
    banner = page.locator(".banner--error")
    expect(banner).to_contain_text("ハッシュチェーンが壊れています")
    expect(banner).to_contain_text("削除: 1番目の経過が削除されています")
    expect(page.locator(".banner--success")).to_have_count(0)


def test_operations_at_a_glance(people: dict[str, Person], browser: Browser, system: System, shots: Shots) -> None:
    supervisor = person_of(people, browser, system, shots, "sv-1")
    page = supervisor.go("/operations", shot="operations")
    expect(page.locator(".banner--success")).to_contain_text("すべてのサービスが動いています")
    for name in ("console", "intake", "case", "referral", "notify"):
        expect(page.locator("tbody")).to_contain_text(name)


def test_the_dashboard_draws_the_figures_and_the_period_selector_changes_them(
    people: dict[str, Person], browser: Browser, system: System, shots: Shots
) -> None:
    supervisor = person_of(people, browser, system, shots, "sv-1")
    page = supervisor.sign_in()
    expect(page).to_have_url(re.compile(r"/dashboard$"))  # the supervisor's home
    # 11 of consultations and the times to each step, 7 of activities and 見守り, 1 of helpers
    expect(page.locator("svg.chart")).to_have_count(19)
    consultations = page.locator("table").first.locator("tbody tr").first
    expect(consultations).to_contain_text("相談")
    month_label = page.get_by_role("heading", level=2).first.inner_text()
    assert re.search(r"\d{4}年\d{1,2}月", month_label)
    supervisor.shot("dashboard")
    page.get_by_label("期間", exact=True).select_option("fiscal_year")
    page.get_by_role("button", name="表示する").click()
    expect(page.get_by_role("heading", level=2).first).to_contain_text("年度")
    expect(page.locator("#monthly tbody tr")).to_have_count(12)  # April to March
    supervisor.shot("dashboard-fiscal-year")
    page.get_by_label(re.compile("^年月")).fill("2026/13")
    page.get_by_role("button", name="表示する").click()
    expect(page.locator("#f-at-error")).to_contain_text("2026-12")
    with page.expect_download() as download:
        page.get_by_role("link", name="相談・ケースの数値をCSVで書き出す").click()
    assert download.value.suggested_filename.startswith("figures-")

"""The README's walk-through in the browser, as three people would play it: a reporter
raises a consultation on a phone; the coordinator finds it in the queue (it appears
without a reload), takes it, triages, records a contact and refers it sharing two
fields while the consent gate refuses a third; a second coordinator reassigns cases in
bulk (one changed meanwhile is reported, not overwritten); a stale form says what
changed and keeps what was typed; after the handoffs the coordinator puts the person on a
watch (見守り) and a worrying check-in reaches her. The tests run in order and share ``WALK``."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from playwright.sync_api import Browser, expect

from tests.browser.conftest import Person, Shots, person_of
from tests.support.system import System, wait_for

WALK: dict[str, Any] = {}
PERSON_NAME = "サンプル 一郎"


def _people(
    people: dict[str, Person], browser: Browser, system: System, shots: Shots, account_id: str, **kw: Any
) -> Person:
    return person_of(people, browser, system, shots, account_id, **kw)


def test_the_coordinator_opens_the_queue_before_anything_arrives(
    people: dict[str, Person], browser: Browser, system: System, shots: Shots
) -> None:
    coordinator = _people(people, browser, system, shots, "csw-chubu-1")
    page = coordinator.sign_in()
    expect(page).to_have_url(re.compile(r"/queue$"))
    expect(page.get_by_role("heading", name="キュー", exact=True)).to_be_visible()
    WALK["rows_before"] = page.locator("#queue-results tbody tr").count()
    coordinator.shot("queue-before")


def test_a_reporter_raises_a_consultation_on_a_phone(
    people: dict[str, Person], browser: Browser, system: System, shots: Shots
) -> None:
    reporter = _people(people, browser, system, shots, "vol-1", phone=True)
    page = reporter.sign_in()
    expect(page).to_have_url(re.compile(r"/report$"))
    expect(page.get_by_role("heading", name="相談する")).to_be_visible()
    reporter.shot("reporter-form")
    # A first try with nothing chosen: each missing field says so next to it.
    page.get_by_role("button", name="相談を送る").click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#f-channel-error")).to_contain_text("選んでください")
    expect(page.locator("#f-noticed-error")).to_contain_text("入力してください")
    reporter.shot("reporter-form-errors")
    page.get_by_label("どのように知りましたか").select_option("電話")
    page.get_by_label("氏名", exact=False).first.fill(PERSON_NAME)
    page.get_by_label("年代", exact=True).select_option("80代")
    page.get_by_label("小学校区").select_option("SD07")
    page.get_by_label("おおよその場所").fill("サンプル町2丁目付近")
    page.get_by_label("続柄(1人目)").fill("本人")
    page.get_by_label("年代(1人目)").select_option("80代")
    page.get_by_label("社会的孤立").check()
    page.get_by_label("高齢者の介護").check()
    page.get_by_label(re.compile("^気づいたこと")).fill("サンプル: 一人暮らしの高齢の方。最近、新聞がたまっている。")
    page.get_by_label("高(早めの対応が必要)").check()
    page.get_by_label("まだ確かめていない").check()
    # Furigana in kanji is refused next to the field; everything typed is kept.
    page.get_by_label("ふりがな").fill("山田")
    page.get_by_role("button", name="相談を送る").click()
    expect(page.locator("#f-person-name_kana-error")).to_contain_text("ひらがな")
    expect(page.get_by_label("おおよその場所")).to_have_value("サンプル町2丁目付近")
    page.get_by_label("ふりがな").fill("さんぷる いちろう")
    page.get_by_role("button", name="相談を送る").click()
    expect(page.get_by_role("heading", name="相談の状況")).to_be_visible()
    WALK["reference"] = page.locator(".reference-number strong").inner_text().strip()
    assert re.fullmatch(r"TSN-\d{4}-[0-9A-Z]{6}", WALK["reference"])
    expect(page.get_by_text("受付済").first).to_be_visible()
    reporter.shot("reporter-receipt")
    page.get_by_role("link", name="わたしの相談に戻る").click()
    expect(page.get_by_role("link", name=WALK["reference"])).to_be_visible()
    reporter.shot("reporter-my-consultations")


def test_the_new_case_appears_in_the_open_queue_without_a_reload(people: dict[str, Person]) -> None:
    coordinator = people["csw-chubu-1"]
    page = coordinator.page
    # The queue refreshes itself (every 2 s here): the page is never reloaded.
    wait_for(
        lambda: page.locator("#queue-results tbody tr").count() > WALK["rows_before"],
        "the new case in the open queue",
        timeout=30,
    )
    expect(page.locator("#queue-tabs")).to_contain_text("未割当")
    # How long it has waited for a coordinator, in business hours since intake received it.
    expect(page.locator('#queue-results [data-wait="assignment"]').first).to_have_text(
        re.compile(r"未割当 \d+営業時間")
    )
    coordinator.shot("queue")


def test_the_coordinator_finds_takes_triages_and_records(people: dict[str, Person]) -> None:
    coordinator = people["csw-chubu-1"]
    page = coordinator.page
    page.locator("#header-search-q").fill(WALK["reference"])
    page.get_by_role("button", name="検索").click()
    expect(page.get_by_role("heading", name=re.compile(r"^ケース K-"))).to_be_visible()
    WALK["case_url"] = page.url
    WALK["case_number"] = page.get_by_role("heading", name=re.compile(r"^ケース K-")).inner_text().split()[-1]
    expect(page.get_by_text(PERSON_NAME)).to_be_visible()
    coordinator.shot("case-found")
    page.get_by_role("button", name="自分が担当する").click()
    expect(page.locator(".banner--success")).to_contain_text("担当を決めました")
    page.locator("summary", has_text="優先度・相談分類を変える").click()
    page.get_by_label("緊急", exact=True).check()
    page.get_by_role("button", name="保存する").click()
    expect(page.locator(".banner--success")).to_contain_text("優先度")
    page.locator("summary", has_text="接触記録を残す").click()
    page.get_by_label("方法").select_option("電話")
    page.get_by_label("誰と").fill("本人")
    page.get_by_label(re.compile("^結果")).fill("サンプル: 電話で様子を確認。訪問の約束をした。")
    page.get_by_role("button", name="接触記録を追加する").click()
    expect(page.locator("#contacts")).to_contain_text("訪問の約束")
    coordinator.shot("case")


def test_the_coordinator_refers_sharing_two_fields_and_the_consent_gate_refuses_a_third(
    people: dict[str, Person],
) -> None:
    coordinator = people["csw-chubu-1"]
    case_path = WALK["case_url"].removeprefix(coordinator.base)
    # Without JavaScript the refer form is a page of its own; the gate is the same there.
    page = coordinator.go(case_path + "/refer", shot="refer-page")
    expect(page.get_by_role("heading", name=re.compile("関係機関につなぐ"))).to_be_visible()
    expect(page.get_by_label("氏名", exact=True)).to_be_disabled()
    # With it, the case page opens the same form in a dialog.
    page = coordinator.go(case_path, shot="case-before-refer")
    page.get_by_role("link", name="関係機関につなぐ").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    name_box = dialog.get_by_label("氏名", exact=True)
    expect(name_box).to_be_disabled()
    # The reason is shown next to the field (and read out with it).
    expect(page.locator(f"#{name_box.get_attribute('aria-describedby')}")).to_contain_text("同意")
    dialog.get_by_label("紹介先").select_option("hc-3")
    dialog.get_by_label("紹介の目的").fill("サンプル: 見守りと介護保険の相談")
    dialog.get_by_label("年代", exact=True).check()
    dialog.get_by_label("相談分類", exact=True).check()
    coordinator.shot("refer")
    dialog.get_by_role("button", name="この内容でつなぐ").click()
    expect(page.locator(".banner--success")).to_contain_text("紹介を依頼しました")
    expect(page.locator("#referrals")).to_contain_text("サンプル地域包括支援センター第3")
    coordinator.shot("case-referred")


def test_with_consent_the_coordinator_refers_again_sharing_the_name(people: dict[str, Person]) -> None:
    coordinator = people["csw-chubu-1"]
    page = coordinator.go(WALK["case_url"].removeprefix(coordinator.base) + "?open=consent", shot="case-consent")
    page.get_by_label("同意あり", exact=True).check()
    page.get_by_role("button", name="同意・法的根拠を記録する").click()
    expect(page.locator(".banner--success")).to_contain_text("本人同意")
    page = coordinator.go(WALK["case_url"].removeprefix(coordinator.base) + "/refer", shot="refer-with-consent")
    expect(page.get_by_label("氏名", exact=True)).to_be_enabled()
    page.get_by_label("紹介先").select_option("npo-hikikomori")
    page.get_by_label("紹介の目的").fill("サンプル: 同居の家族の相談先として")
    page.get_by_label("氏名", exact=True).check()
    page.get_by_label("年代", exact=True).check()
    page.get_by_role("button", name="この内容でつなぐ").click()
    expect(page.locator("#referrals")).to_contain_text("ひきこもり支援NPO")


def _open_referral(agency: Person) -> None:
    """Signs in and opens the walk-through's referral from the inbox (once it has arrived)."""
    expect(agency.sign_in()).to_have_url(re.compile(r"/inbox$"))
    wait_for(
        lambda: agency.go("/inbox", shot="inbox").get_by_role("link", name=WALK["case_number"]).count(),
        f"the referral in {agency.account_id}'s inbox",
    )
    agency.page.get_by_role("link", name=WALK["case_number"]).first.click()
    expect(agency.page.get_by_role("heading", name=f"依頼 {WALK['case_number']}")).to_be_visible()


def test_the_agency_acknowledges_accepts_starts_and_completes(
    people: dict[str, Person], browser: Browser, system: System, shots: Shots
) -> None:
    agency = _people(people, browser, system, shots, "hc-3-staff")
    _open_referral(agency)
    page = agency.page
    expect(page.locator("main")).to_contain_text("見守りと介護保険の相談")  # the purpose
    expect(page.locator("main")).to_contain_text("80代")  # a field shared with it
    expect(page.locator("main")).not_to_contain_text(PERSON_NAME)  # not shared: no consent then
    expect(page.locator("main")).to_contain_text("サンプル中部地域福祉コーディネーター室")  # whom to call back
    agency.shot("referral")
    WALK["hc3_referral_url"] = page.url
    for move, done in (("確認した", "確認したこと"), ("受諾する", "受諾しました")):
        page.get_by_role("button", name=move, exact=True).click()
        expect(page.locator(".banner--success")).to_contain_text(done)
    # A second window left open on the accepted referral goes stale when the first starts it.
    stale = page.context.new_page()
    stale.goto(page.url)
    page.get_by_role("button", name="対応を開始する", exact=True).click()
    expect(page.locator(".banner--success")).to_contain_text("開始")
    stale.get_by_role("button", name="保留にする", exact=True).click()
    expect(stale.locator(".banner--warning")).to_contain_text("他の人がこの依頼を先に更新しました(いまの状態: 対応中)")
    expect(stale.get_by_role("button", name="完了を報告する", exact=True)).to_be_visible()  # the moves of now
    shots.take(stale, "referral-conflict")
    stale.close()
    page.get_by_role("button", name="完了を報告する", exact=True).click()
    expect(page.locator(".banner--success")).to_contain_text("完了を報告")
    expect(page.locator(".timeline")).to_contain_text("完了")
    agency.shot("referral-completed")
    page = agency.go(WALK["hc3_referral_url"].removeprefix(agency.base) + "/print", shot="referral-print")
    expect(page.get_by_role("heading", name="情報提供書")).to_be_visible()


def test_another_agency_declines_with_a_reason_and_then_sees_no_personal_fields(
    people: dict[str, Person], browser: Browser, system: System, shots: Shots
) -> None:
    agency = _people(people, browser, system, shots, "npo-hikikomori-staff")
    _open_referral(agency)
    page = agency.page
    expect(page.locator("main")).to_contain_text(PERSON_NAME)  # shared with consent
    page.get_by_role("button", name="辞退する").click()  # no reason: refused next to the field
    expect(page.locator("#f-text-decline-error")).to_contain_text("理由")
    page.get_by_label(re.compile("^辞退する理由")).fill("サンプル: 対象年齢の外のため")
    page.get_by_role("button", name="辞退する").click()
    expect(page.locator(".banner--success")).to_contain_text("辞退しました")
    expect(page.locator(".banner--info")).to_contain_text("個人に関わる項目は表示されません")
    expect(page.locator("main")).not_to_contain_text(PERSON_NAME)
    agency.shot("referral-declined")
    # Another agency's referral does not exist for it.
    page = agency.go(WALK["hc3_referral_url"].removeprefix(agency.base), shot="referral-not-visible")
    expect(page.get_by_role("heading", name="依頼が見つかりません")).to_be_visible()


def test_the_decline_puts_the_case_in_front_of_its_coordinator(people: dict[str, Person]) -> None:
    coordinator = people["csw-chubu-1"]
    page = coordinator.go("/queue?needs_attention=yes", shot="queue-filtered")
    row = page.locator("#queue-results tbody tr", has_text=WALK["case_number"])
    expect(row).to_contain_text("要対応", timeout=20_000)
    expect(row).to_contain_text("対象年齢の外のため")
    # Both referrals have ended (one completed, one declined): the next step is hers to decide.
    expect(row).to_contain_text("要判断")
    coordinator.shot("queue-needs-attention")


def test_the_coordinator_puts_the_person_on_a_fortnightly_watch_and_a_change_reaches_her(
    people: dict[str, Person],
) -> None:
    """見守り: a ほっとネット推進員 will look in every two weeks; a check-in dated before the
    plan began is refused next to its field; a 気になる変化 is in the coordinator's お知らせ."""
    coordinator = people["csw-chubu-1"]
    page = coordinator.go(WALK["case_url"].removeprefix(coordinator.base))
    page.locator("summary", has_text="見守りを始める").click()
    page.get_by_label("地域の支援者", exact=True).check()
    page.get_by_label("支援者のID・機関ID").fill("hotnet-12")
    page.get_by_label(re.compile("^気をつけて見ること")).fill("サンプル: 新聞がたまっていないか、夜に明かりがつくか")
    page.get_by_label(re.compile("^終了日")).fill((date.today() + timedelta(days=90)).isoformat())
    page.get_by_role("button", name="見守りを始める").click()
    expect(page.locator(".banner--success")).to_contain_text("見守りを始めました")
    expect(page.locator("#watch")).to_contain_text("14日ごと")
    page.locator("summary", has_text="見守りの確認を記録する").click()
    page.locator("#f-checked_at").fill((datetime.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    page.locator("#f-checkin_kind").select_option("訪問")
    page.get_by_label("気になる変化", exact=True).check()
    page.get_by_role("button", name="確認を記録する").click()
    expect(page.locator("#f-checked_at-error")).to_contain_text("見守りの開始")
    page.locator("#f-checked_at").fill("")
    page.get_by_label(re.compile("^ひとこと")).fill("サンプル: 足元がおぼつかない様子")
    page.get_by_role("button", name="確認を記録する").click()
    expect(page.locator(".banner--success")).to_contain_text("見守りの確認を記録しました")
    expect(page.locator("#watch")).to_contain_text("足元がおぼつかない")
    coordinator.shot("case-watch")
    page.locator("summary", has_text="見守り計画を変える").click()
    page.locator("#watch").get_by_label(re.compile("^間隔")).fill("7")
    page.get_by_role("button", name="計画を変える").click()
    expect(page.locator(".banner--success")).to_contain_text("見守り計画を変えました")
    expect(page.locator("#watch")).to_contain_text("7日ごと")

    def alerted() -> bool:  # お知らせ is screenshotted and checked at the end of the walk
        page.goto(coordinator.base + "/notifications")
        return "気になる変化がありました" in page.locator("main").inner_text()

    wait_for(alerted, "the coordinator alerted of the change")


def test_a_second_coordinator_reassigns_in_bulk_and_a_changed_case_is_reported(
    people: dict[str, Person], browser: Browser, system: System, shots: Shots
) -> None:
    second = _people(people, browser, system, shots, "csw-chubu-2")
    page = second.sign_in(role="コーディネーター(中部)")
    expect(page).to_have_url(re.compile(r"/queue"))
    rows = page.locator("#queue-results tbody tr")
    targets = [WALK["case_number"], rows.filter(has_not_text=WALK["case_number"]).first.locator("a").first.inner_text()]
    for number in targets:
        page.get_by_label(f"{number} を選ぶ").check()
    # Meanwhile the first coordinator adds a note to one of them (its version moves on).
    first = people["csw-chubu-1"]
    first.go(WALK["case_url"].removeprefix(first.base))
    first.page.locator("summary", has_text="メモを残す").click()
    first.page.locator("#f-body").fill("サンプル: 訪問は来週の予定。")
    first.page.get_by_role("button", name="メモを追加する").click()
    expect(first.page.locator("#notes")).to_contain_text("訪問は来週")
    page.get_by_label("新しい担当者").select_option("csw-chubu-2")
    page.get_by_role("button", name="担当を替える").click()
    expect(page.locator(".banner--success")).to_contain_text("1件の担当を")
    expect(page.locator(".banner--warning")).to_contain_text("1件は替えていません")
    expect(page.get_by_text(WALK["case_number"]).first).to_be_visible()
    second.shot("bulk-reassign")


def test_a_stale_form_shows_what_changed_and_keeps_what_was_typed(people: dict[str, Person]) -> None:
    first, second = people["csw-chubu-1"], people["csw-chubu-2"]
    page = first.go(WALK["case_url"].removeprefix(first.base))
    page.locator("summary", has_text="メモを残す").click()
    page.locator("#f-body").fill("サンプル: 古い画面から書いた<b>メモ</b>")
    # Someone else changes the case while the form is open.
    other = second.go(WALK["case_url"].removeprefix(second.base))
    other.locator("summary", has_text="優先度・相談分類を変える").click()
    other.get_by_label("通常", exact=True).check()
    other.get_by_role("button", name="保存する").click()
    expect(other.locator(".banner--success")).to_be_visible()
    page.get_by_role("button", name="メモを追加する").click()
    expect(page.locator(".banner--warning")).to_contain_text("他の人がこのケースを先に更新しました")
    expect(page.locator(".banner--warning")).to_contain_text("優先度が「緊急」から「通常」に")
    # What was typed comes back as it was typed: text, never markup.
    expect(page.locator("#f-body")).to_have_value("サンプル: 古い画面から書いた<b>メモ</b>")
    page.get_by_role("button", name="メモを追加する").click()
    expect(page.locator("#notes")).to_contain_text("古い画面から書いた<b>メモ</b>")
    assert page.locator("#notes b").count() == 0
    first.shot("case-conflict")


def test_notifications_and_the_timeline(people: dict[str, Person]) -> None:
    coordinator = people["csw-chubu-1"]
    page = coordinator.go("/notifications", shot="notifications")
    expect(page.get_by_role("heading", name="お知らせ")).to_be_visible()
    unread = page.get_by_role("button", name="既読にする")
    if unread.count():
        before = unread.count()
        unread.first.click()
        expect(page.locator(".banner--success")).to_contain_text("既読")
        assert page.get_by_role("button", name="既読にする").count() == before - 1
    page = coordinator.go(WALK["case_url"].removeprefix(coordinator.base) + "/timeline", shot="timeline")
    expect(page.get_by_role("heading", name=re.compile("^経過"))).to_be_visible()
    expect(page.locator("table")).to_contain_text("紹介")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSVで書き出す").click()
    assert download.value.suggested_filename.endswith(".csv")

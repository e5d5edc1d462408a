"""Who gets in, and for how long: failed sign-ins slow down and lock (without saying
which part was wrong), a form without its CSRF token is refused, signing out and a
disabled account end access at once, an idle session ends (time moved with the shared
clock file), a coordinator of another area gets nothing, a reporter sees only their own."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, expect

from shared.clock import set_clock_offset
from tests.browser.conftest import PASSWORD, Person, Shots, person_of
from tests.support.system import System


def _fresh(browser: Browser, system: System, shots: Shots, account_id: str, **kw: object) -> Person:
    return Person(browser, system, shots, account_id, **kw)  # type: ignore[arg-type]


def test_a_wrong_password_says_so_without_saying_which_part(browser: Browser, system: System, shots: Shots) -> None:
    person = _fresh(browser, system, shots, "csw-seibu-1")
    page = person.sign_in("not-the-password")
    expect(page.locator(".banner--error")).to_contain_text("アカウントIDまたはパスワードが正しくありません")
    expect(page.get_by_label("アカウントID")).to_have_value("csw-seibu-1")
    person.shot("signin-failed")
    unknown = _fresh(browser, system, shots, "no-such-person")
    unknown.sign_in("whatever-password")
    expect(unknown.page.locator(".banner--error")).to_contain_text("アカウントIDまたはパスワードが正しくありません")
    assert not [c for c in person.context.cookies() if c["name"] == "tsunagi_session"]
    person.close()
    unknown.close()


def test_repeated_failures_lock_the_account_id(browser: Browser, system: System, shots: Shots) -> None:
    person = _fresh(browser, system, shots, "csw-hokutou-1")
    for _ in range(5):
        page = person.sign_in("wrong-password-again")
    expect(page.locator(".banner--error")).to_contain_text("一時的にサインインできません")
    person.shot("signin-locked")
    page = person.sign_in(PASSWORD)  # even the right password waits for the lock to end
    expect(page.locator(".banner--error")).to_contain_text("一時的にサインインできません")
    person.close()


def test_a_post_without_the_csrf_token_is_refused(
    people: dict[str, Person], browser: Browser, system: System, shots: Shots
) -> None:
    person = person_of(people, browser, system, shots, "csw-seibu-1")
    person.sign_in()
    response = person.context.request.post(
        person.base + "/notifications/01ABCDEFGHJKMNPQRSTVWXYZ00/read", form={"nothing": "here"}, max_redirects=0
    )
    assert response.status == 403
    assert "送信を受け付けられません" in response.text()
    forged = person.context.request.post(person.base + "/signout", form={"csrf_token": "forged"}, max_redirects=0)
    assert forged.status == 403
    expect(person.go("/queue").get_by_role("heading", name="キュー", exact=True)).to_be_visible()


def test_a_coordinator_of_another_area_gets_nothing(
    people: dict[str, Person], browser: Browser, system: System, shots: Shots
) -> None:
    from tests.browser.test_01_walkthrough import WALK

    person = person_of(people, browser, system, shots, "csw-seibu-1")
    page = person.go(WALK["case_url"].removeprefix(person.base), shot="case-not-visible")
    expect(page.get_by_role("heading", name="ケースが見つかりません")).to_be_visible()
    page = person.go(f"/search?q={WALK['reference']}")
    expect(page.get_by_text("見つかりませんでした")).to_be_visible()
    page = person.go("/queue?view=all")
    expect(page.locator("#queue-results")).not_to_contain_text(WALK["case_number"])


def test_a_reporter_sees_only_their_own(browser: Browser, system: System, shots: Shots) -> None:
    from tests.browser.test_01_walkthrough import WALK

    other = _fresh(browser, system, shots, "sample-hotnet-1", phone=True)
    page = other.sign_in()
    page = other.go("/my")
    expect(page.get_by_role("heading", name="わたしの相談")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(WALK["reference"])
    page = other.go(f"/my/{WALK['reference']}")
    expect(page.get_by_role("heading", name="相談が見つかりません")).to_be_visible()
    page = other.go("/queue")
    expect(page.get_by_role("heading", name="このページは表示できません")).to_be_visible()
    other.close()


def test_signing_out_ends_the_session_at_once(browser: Browser, system: System, shots: Shots) -> None:
    person = _fresh(browser, system, shots, "csw-nanbu-1")
    person.sign_in()
    cookies = person.context.cookies()
    person.page.get_by_role("button", name=re.compile("アウト")).click()
    expect(person.page.locator(".banner--success")).to_contain_text("サインアウトしました")
    person.shot("signed-out")
    # The old cookie, replayed, opens nothing.
    replay = browser.new_context()
    replay.add_cookies(cookies)
    page = replay.new_page()
    page.goto(person.base + "/queue")
    expect(page).to_have_url(re.compile(r"/signin"))
    replay.close()
    person.close()


def test_a_disabled_account_loses_access(browser: Browser, system: System, shots: Shots) -> None:
    victim = _fresh(browser, system, shots, "csw-nanbu-1")
    expect(victim.sign_in().get_by_role("heading", name="キュー", exact=True)).to_be_visible()
    admin = _fresh(browser, system, shots, "admin-1")
    page = admin.sign_in()
    expect(page.get_by_role("heading", name="アカウント", exact=True)).to_be_visible()
    admin.shot("accounts")
    page.get_by_role("link", name="csw-nanbu-1").click()
    page.get_by_role("button", name="利用を停止する").click()
    expect(page.locator(".banner--success")).to_be_visible()
    admin.shot("account-disabled")
    # The victim's open queue notices at its next background refresh: no click needed.
    page = victim.page
    expect(page).to_have_url(re.compile(r"/signin\?ended=disabled"), timeout=15_000)
    expect(page.locator(".banner--error")).to_contain_text("利用停止")
    victim.shot("signed-out-disabled")
    page = victim.sign_in()
    expect(page.locator(".banner--error")).to_contain_text("利用停止")
    page = admin.go("/admin/accounts/csw-nanbu-1")
    page.get_by_role("button", name="利用を再開する").click()
    expect(page.locator(".banner--success")).to_be_visible()
    victim.close()
    admin.close()


def test_an_idle_session_ends_and_background_refreshes_do_not_count(
    browser: Browser, system: System, shots: Shots, clock_file: Path
) -> None:
    person = _fresh(browser, system, shots, "csw-seibu-1")
    page = person.sign_in()
    expect(page.get_by_role("heading", name="キュー", exact=True)).to_be_visible()
    try:
        set_clock_offset(clock_file, 25 * 60)
        # The open queue keeps polling (every 2 s) meanwhile: that is not the person's activity.
        page.wait_for_timeout(3000)
        expect(page.get_by_role("heading", name="キュー", exact=True)).to_be_visible()
        set_clock_offset(clock_file, 31 * 60)
        # 31 minutes after the last real activity: the open page itself leaves personal data
        # behind for the sign-in page (a shared office PC), at its next background refresh.
        expect(page).to_have_url(re.compile(r"/signin\?ended=idle"), timeout=15_000)
        expect(page.locator(".banner--info")).to_contain_text("しばらく操作がなかったため")
        person.shot("signed-out-idle")
    finally:
        set_clock_offset(clock_file, 0)
    person.close()


def test_a_supervisor_signs_in_with_a_second_factor_and_sets_it_up_again_after_a_reset(
    browser: Browser, system: System, shots: Shots
) -> None:
    supervisor = _fresh(browser, system, shots, "sv-1")
    expect(supervisor.sign_in()).to_have_url(re.compile(r"/dashboard$"))  # the SAMPLE key's code
    page = supervisor.sign_in(code="000000")
    expect(page.locator("main")).to_contain_text("コードが正しくありません")
    expect(page.get_by_label("コード")).to_be_visible()
    supervisor.shot("signin-code-wrong")

    # The phone is lost: an administrator clears the second factor.
    admin = _fresh(browser, system, shots, "admin-1")
    admin.sign_in()
    page = admin.go("/admin/accounts/sv-1", shot="account-second-factor")
    expect(page.locator("main")).to_contain_text("設定済み")
    page.get_by_role("button", name="2段階認証を解除する").click()
    expect(page.locator(".banner--success")).to_contain_text("2段階認証を解除しました")
    admin.shot("account-second-factor-reset")

    # The next sign-in sets it up again (a new key, ten recovery codes shown once).
    expect(supervisor.sign_in()).to_have_url(re.compile(r"/dashboard$"))
    codes = supervisor.recovery_codes
    assert len(codes) == 10 and len(set(codes)) == 10
    expect(supervisor.sign_in(code=codes[0])).to_have_url(re.compile(r"/dashboard$"))
    page = supervisor.sign_in(code=codes[0])
    expect(page.locator("main")).to_contain_text("未使用のリカバリーコード")
    expect(supervisor.sign_in()).to_have_url(re.compile(r"/dashboard$"))
    page = supervisor.go("/two-factor", shot="two-factor-enrolled")
    expect(page.locator("main")).to_contain_text("残り9個")
    supervisor.close()
    admin.close()

"""Browser tests: the whole system as processes (one for the whole browser package),
Debian's Chromium driven by Playwright, one browser context per person, and on every
page a screenshot (``test-output/screenshots``) and an axe-core check that fails the
test on any serious or critical violation. Time moves through the clock file all the
processes read, never by waiting."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from services.console.domain.second_factor import is_fresh
from services.console.handlers.samples import SAMPLE_TOTP_SECRET
from shared.cli.seed import seed_once
from shared.cli.up import create_sample_accounts
from shared.clock import Clock, set_clock_offset
from shared.settings import PROJECT_ROOT
from tests.support.system import System, running_system

CHROMIUM = os.environ.get("TSUNAGI_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "browser-sample-pass"
OUTPUT = PROJECT_ROOT / "test-output"
SCREENSHOTS = OUTPUT / "screenshots"
# The screenshots the README shows, refreshed from a run with TSUNAGI_README_SCREENSHOTS=1.
README_SHOTS = PROJECT_ROOT / "docs" / "screenshots"
# Each is a window's worth from the top; the dashboard's is taller so that a chart shows.
README_NAMES = {
    "queue": 900,
    "case": 900,
    "refer": 900,
    "reporter-form": 900,
    "inbox": 900,
    "referral": 900,
    "dashboard-fiscal-year": 1600,
    "overdue-supervisor": 900,
    "audit": 900,
}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _browser_redis(url: str) -> str:
    """A Redis database of its own: the other tests flush theirs."""
    parsed = urlparse(url)
    db = int(parsed.path.strip("/") or 0)
    return parsed._replace(path=f"/{(db + 1) % 16}").geturl()


class Shots:
    """Numbers each screenshot in visiting order and collects the pages' server times."""

    def __init__(self) -> None:
        shutil.rmtree(SCREENSHOTS, ignore_errors=True)
        SCREENSHOTS.mkdir(parents=True)
        self.count = 0
        self.readme_done: set[str] = set()
        self.axe = Axe()
        self.axe_results: dict[str, list[str]] = {}
        self.server_times: dict[str, list[float]] = {}

    def take(self, page: Page, name: str, *, again: bool = True) -> Path | None:
        """``again=False``: a page that looks the same each time (signing in) is shot once a run."""
        if not again and name in self.axe_results:
            return None
        self.count += 1
        path = SCREENSHOTS / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if name in README_NAMES.keys() - self.readme_done and os.environ.get("TSUNAGI_README_SCREENSHOTS") == "1":
            README_SHOTS.mkdir(parents=True, exist_ok=True)
            page.evaluate("window.scrollTo(0, 0); document.querySelectorAll('*').forEach(e => { e.scrollTop = 0; })")
            width = page.viewport_size["width"] if page.viewport_size else 1280
            page.screenshot(
                path=str(README_SHOTS / f"{name}.png"),
                full_page=True,
                clip={"x": 0, "y": 0, "width": width, "height": README_NAMES[name]},
            )
            self.readme_done.add(name)
        if name in self.axe_results:  # the same page in the same state was checked already
            return path
        violations = self.axe.run(page).response["violations"]
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in violations
            if v["impact"] in ("serious", "critical")
        ]
        self.axe_results[name] = [f"{v['id']} ({v['impact']})" for v in violations]
        assert not serious, f"axe on {name} ({page.url}): {serious}"
        return path

    def record_time(self, route: str, server_timing: str | None) -> None:
        found = re.search(r"app;dur=([0-9.]+)", server_timing or "")
        if found:
            self.server_times.setdefault(route, []).append(float(found.group(1)))

    def write_report(self) -> None:
        OUTPUT.mkdir(exist_ok=True)
        (OUTPUT / "browser-report.json").write_text(
            json.dumps({"axe": self.axe_results, "server_ms": self.server_times}, ensure_ascii=False, indent=2),
            encoding="utf-8",
        )


# Second factors set up during the run (the SAMPLE key otherwise), and the time step of
# each account's last accepted code, as the console keeps it.
SECOND_FACTOR_KEYS: dict[str, str] = {}
USED_STEPS: dict[str, int] = {}


class Person:
    """One person in their own browser context (their own cookies), signing in as a user would."""

    def __init__(self, browser: Browser, system: System, shots: Shots, account_id: str, *, phone: bool = False) -> None:
        self.account_id = account_id
        self.settings = system.settings
        self.recovery_codes: list[str] = []
        self.base = system.url("console")
        self.shots = shots
        self.context: BrowserContext = browser.new_context(
            viewport=PHONE if phone else DESKTOP,
            is_mobile=phone,
            has_touch=phone,
            locale="ja-JP",
            timezone_id="Asia/Tokyo",
            device_scale_factor=1,
        )
        self.context.set_default_timeout(10_000)
        self.page: Page = self.context.new_page()
        self.page.on("response", self._timed)

    def _timed(self, response: Any) -> None:
        if response.request.resource_type == "document" and response.url.startswith(self.base):
            route = re.sub(r"/[0-9A-Z]{26}", "/{id}", urlparse(response.url).path)
            self.shots.record_time(route, response.headers.get("server-timing"))

    def go(self, path: str, shot: str | None = None, *, again: bool = True) -> Page:
        """Opens a page; every page opened is screenshotted and axe-checked (``shot``
        names it; by default its path)."""
        self.page.goto(self.base + path)
        route = re.sub(r"[0-9A-Z]{26}|TSN-\d{4}-[0-9A-Z]{6}", "id", path.split("?")[0])
        self.shot(
            shot or "visit-" + (re.sub(r"[^0-9a-zA-Z_-]+", "-", route.strip("/")).strip("-") or "home"), again=again
        )
        return self.page

    def shot(self, name: str, *, again: bool = True) -> Path | None:
        return self.shots.take(self.page, name, again=again)

    def sign_in(self, password: str = PASSWORD, *, role: str | None = None, code: str | None = None) -> Page:
        """Signs in afresh (whatever session this browser held), with the second factor
        where the console asks for it: the code the person's authenticator app shows at
        the system's shared time (or ``code``, e.g. a recovery code), or, where one must
        be set up, the enrolment as the person does it."""
        self.context.clear_cookies()
        page = self.go("/signin", shot="signin", again=False)
        page.get_by_label("アカウントID").fill(self.account_id)
        page.get_by_label("パスワード").fill(password)
        with page.expect_navigation():  # the next page, not the sign-in page still loaded
            page.get_by_role("button", name="サインイン").click()
        if urlparse(page.url).path == "/two-factor":
            self.enrol()
        elif urlparse(page.url).path == "/signin/code":
            self.shot("signin-code", again=False)
            page.get_by_label("コード").fill(code or self.current_code())
            with page.expect_navigation():
                page.get_by_role("button", name="確認する").click()
            if code is None:  # the app's own code: refused here, not three steps later
                assert urlparse(page.url).path != "/signin/code", f"{self.account_id}'s code was refused"
        if role is not None:
            expect(page.get_by_role("heading", name="役割を選ぶ")).to_be_visible()
            self.shot("choose-role")
            page.get_by_label(role).check()
            with page.expect_navigation():
                page.get_by_role("button", name="この役割で始める").click()
        self.shot(f"after-signin-{self.account_id}", again=False)  # each person's home page
        return page

    def current_code(self) -> str:
        """The authenticator app's code now, by the system's clock. A code is accepted
        once: when every code of this half-minute was used, the shared clock moves on."""
        clock_file = self.settings.clock_file
        assert clock_file is not None
        totp = pyotp.TOTP(SECOND_FACTOR_KEYS.get(self.account_id, SAMPLE_TOTP_SECRET))
        while True:
            clock = Clock(clock_file)
            current = totp.timecode(clock.now())
            fresh = [s for s in (current, current + 1) if is_fresh(s, USED_STEPS.get(self.account_id))]
            if fresh:
                USED_STEPS[self.account_id] = fresh[0]
                return str(totp.generate_otp(fresh[0]))
            set_clock_offset(clock_file, clock.offset().total_seconds() + 30)
            # Every process reads the file again within Clock.RECHECK_S: a code of the new
            # half-minute typed before the console has would fall outside its window.
            time.sleep(2 * Clock.RECHECK_S)

    def enrol(self) -> list[str]:
        """Sets up the second factor as the person would: reads the key beside the QR code
        into their app, confirms with its code, and keeps the recovery codes shown once."""
        page = self.page
        expect(page.get_by_role("heading", name="2段階認証の設定")).to_be_visible()
        self.shot("two-factor-enrol")
        SECOND_FACTOR_KEYS[self.account_id] = page.locator(".secret-key").inner_text().replace(" ", "")
        USED_STEPS.pop(self.account_id, None)
        page.get_by_label("確認コード").fill(self.current_code())
        page.get_by_role("button", name="設定する").click()
        expect(page.get_by_role("heading", name="リカバリーコード")).to_be_visible()
        self.shot("two-factor-recovery-codes")
        self.recovery_codes = page.locator(".recovery-codes li").all_inner_texts()
        page.get_by_role("link", name="控えたので続ける").click()
        page.wait_for_load_state()
        return self.recovery_codes

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="package")
def clock_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The offset every process of the browser system adds to its clock (back to 0 after)."""
    path = tmp_path_factory.mktemp("clock") / "offset"
    set_clock_offset(path, 0)
    yield path
    set_clock_offset(path, 0)


@pytest.fixture(scope="package")
def system(tmp_path_factory: pytest.TempPathFactory, session_redis_url: str, clock_file: Path) -> Iterator[System]:
    """The whole system once for the browser package, with the SAMPLE accounts and data
    ``make up`` loads; the queue refreshes every 2 s and revocations are read every second."""
    env = {
        "TSUNAGI_CLOCK_FILE": str(clock_file),
        "TSUNAGI_SAMPLE_PASSWORD": PASSWORD,
        "TSUNAGI_CONSOLE_QUEUE_REFRESH_S": "2",
        "TSUNAGI_ACCESS_REFRESH_S": "1",
        "TSUNAGI_NOTIFY_FOLLOWUP_INTERVAL_S": "1",
    }
    tmp = tmp_path_factory.mktemp("browser")
    with running_system(tmp, redis_url=_browser_redis(session_redis_url), extra_env=env) as running:
        create_sample_accounts(running.settings)
        seed_once(running.settings, {s: running.url(s) for s in ("intake", "case", "referral", "notify")})
        yield running


@pytest.fixture(scope="package")
def shots() -> Iterator[Shots]:
    taken = Shots()
    yield taken
    taken.write_report()


@pytest.fixture(scope="package")
def browser(system: System) -> Iterator[Browser]:
    """After the system: Playwright's sync API keeps an event loop running in this thread,
    and the system's set-up runs its own."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium fonts-noto-cjk` (.ci/run does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="package")
def people(browser: Browser, system: System, shots: Shots) -> Iterator[dict[str, Person]]:
    """Each person's browser, kept across the tests of the package (as a user keeps theirs)."""
    opened: dict[str, Person] = {}
    yield opened
    for person in opened.values():
        person.close()


def person_of(
    people: dict[str, Person], browser: Browser, system: System, shots: Shots, account_id: str, *, phone: bool = False
) -> Person:
    if account_id not in people:
        people[account_id] = Person(browser, system, shots, account_id, phone=phone)
    return people[account_id]

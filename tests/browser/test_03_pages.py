"""The pages no walk-through reaches: the style guide (every component, normal and in
error), the error pages, the sign-in page on a phone — each screenshotted and axe-checked."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.conftest import Person, Shots, person_of
from tests.support.system import System


def test_style_guide_and_error_pages(browser: Browser, system: System, shots: Shots) -> None:
    visitor = Person(browser, system, shots, "nobody")
    page = visitor.go("/styleguide", shot="styleguide")
    expect(page.get_by_role("heading", name="スタイルガイド")).to_be_visible()
    page = visitor.go("/no-such-page", shot="error-404")
    expect(page.get_by_role("heading", name="ページが見つかりません")).to_be_visible()
    visitor.close()


def test_every_page_carries_the_security_headers(
    people: dict[str, Person], browser: Browser, system: System, shots: Shots
) -> None:
    person = person_of(people, browser, system, shots, "csw-chubu-1")
    for path in ("/queue", "/signin", "/no-such-page"):
        headers = person.context.request.get(person.base + path, max_redirects=0).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-store"
    static = person.context.request.get(person.base + "/static/console.css")
    assert static.ok and "no-store" not in static.headers.get("cache-control", "")


def test_sign_in_on_a_phone(browser: Browser, system: System, shots: Shots) -> None:
    phone = Person(browser, system, shots, "vol-1", phone=True)
    page = phone.go("/signin", shot="signin-phone")
    expect(page.get_by_role("button", name="サインイン")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.close()

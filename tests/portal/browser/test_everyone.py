"""Every role's pages in Finnish and Swedish, at 360 px and at desktop width: axe-core finds nothing, no page scrolls sideways.

One test per role; each logs in once, then for each language visits its pages and checks every
one at both widths (resizing rather than reloading). The problems of all pages are gathered
before the test fails, so one run lists everything that is left to fix. The keyboard test tabs
through the project page from the top and must reach the skip link and the main actions, each
with a visible focus outline.
"""

from __future__ import annotations

import pytest

from tests.common.browser import PHONE, log_in, page_problems

pytestmark = pytest.mark.browser

PAGES = {
    "porvoo-contact": ["/", "/p/iam/", "/p/iam/cities/638", "/p/iam/cities/638/explain", "/p/iam/invoices",
                       "/p/iam/statement", "/p/iam/agreement", "/notifications/settings", "/accessibility"],
    "hameenlinna-lead": ["/p/iam/", "/p/iam/members/add", "/p/iam/settings", "/p/iam/budget", "/p/iam/rules",
                         "/p/iam/funding", "/p/iam/charges", "/p/iam/what-if", "/p/iam/billing", "/p/iam/members/638/withdraw"],
    "accountant": ["/p/iam/", "/p/iam/query", "/p/iam/import", "/p/iam/invoices", "/p/iam/invoices/issue",
                   "/p/iam/payments", "/p/iam/statement?city=638", "/p/iam/aging"],
    "admin": ["/", "/admin/users", "/admin/invitations", "/projects/new"],
}
LANGUAGES = ["fi", "sv"]


def visit_all(page, sub: str) -> list[str]:
    """Log in as ``sub`` and check each of its pages in each language; every problem found, one line each."""
    log_in(page, sub)
    problems: list[str] = []
    for language in LANGUAGES:
        page.goto(f"/language/{language}?next=/")
        for path in PAGES[sub]:
            response = page.goto(path)
            assert response is not None and response.status == 200, f"{path}: {response and response.status}"
            assert page.locator("html").get_attribute("lang") == language
            problems += [f"[{sub} {language}] {line}" for line in page_problems(page)]
    return problems


@pytest.mark.parametrize("sub", list(PAGES))
def test_every_page_is_accessible_at_both_widths(page, sub: str) -> None:
    problems = visit_all(page, sub)
    assert problems == [], "\n".join(problems)


def test_the_login_pages_are_accessible(page) -> None:
    problems: list[str] = []
    for language in LANGUAGES:
        page.goto(f"/language/{language}?next=/login")
        problems += page_problems(page)
        page.locator("main a[href*='/auth/login/']").first.click()
        page.wait_for_url("**/dev-idp/**")
        problems += page_problems(page)
    assert problems == [], "\n".join(problems)


def focused(page) -> dict[str, str]:
    """The focused element's tag, text and the outline it shows."""
    return page.evaluate("""() => { const e = document.activeElement, s = getComputedStyle(e);
        return {tag: e.tagName, text: (e.innerText || e.value || '').trim(), href: e.getAttribute('href') || '',
                outline: s.outlineStyle + ' ' + s.outlineWidth, shadow: s.boxShadow}; }""")


def tab_until(page, wanted, limit: int = 60) -> dict[str, str]:
    """Press Tab until the focused element satisfies ``wanted``; each one on the way must show its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        assert now["outline"].split()[0] != "none" or now["shadow"] != "none", now  # focus is visible (2.4.7)
        if wanted(now):
            return now
    raise AssertionError(f"not reached in {limit} presses of Tab")


@pytest.mark.parametrize("width", [PHONE["width"], 1280])
def test_the_keyboard_reaches_the_main_actions(page, width: int) -> None:
    """From the top: the skip link first (it moves the focus to <main>), then the menu's actions (unfolded with Enter at 360 px)."""
    page.set_viewport_size({"width": width, "height": 740})
    log_in(page, "hameenlinna-lead")
    page.goto("/p/iam/")
    page.keyboard.press("Tab")
    assert focused(page)["href"] == "#main"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.goto("/p/iam/")
    if width < 700:
        tab_until(page, lambda now: now["tag"] == "SUMMARY")
        page.keyboard.press("Enter")
    tab_until(page, lambda now: now["href"].endswith("/members/add"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/members/add")
    # The form's first field is reached from the menu: the city picker's search box (the plain select without JavaScript).
    tab_until(page, lambda now: now["tag"] in ("SELECT", "INPUT"))

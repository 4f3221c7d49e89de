"""Debian's chromium through Playwright, and the checks every page the browser tests visit must pass.

``assert_accessible`` runs axe-core (bundled by axe-playwright-python, MIT; the script is injected
through the DevTools protocol, so the portal's CSP does not stop it) and fails with each rule id
and the nodes it found; ``assert_no_sideways_scroll`` fails when the page itself is wider than the
viewport (a wide table must scroll inside its own box). ``check_page`` does both at 360 px and at
desktop width on one page, resizing it rather than loading it again, which keeps the tests quick.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from portal import demo

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
# WCAG 2.1 A and AA, which Finnish law (laki digitaalisten palvelujen tarjoamisesta) requires, and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

NAMES = {sub: name for sub, name, _, _ in demo.DEMO_USERS}
_axe: Any = None


def axe_violations(page: Any) -> list[str]:
    """axe-core's findings on the page as it is now: one line per rule, with the nodes' selectors."""
    global _axe
    if _axe is None:
        from axe_playwright_python.sync_playwright import Axe

        _axe = Axe()
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    lines = []
    for violation in results.response["violations"]:
        nodes = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:6])
        lines.append(f"{violation['id']} ({violation['impact']}, {len(violation['nodes'])} nodes): {nodes}")
    return lines


def assert_accessible(page: Any) -> None:
    """Fail when axe-core finds any violation on the page, naming the rules and the nodes."""
    found = axe_violations(page)
    assert found == [], f"axe-core on {page.url}:\n" + "\n".join(found)


def page_width(page: Any) -> int:
    """How wide the document is (more than the viewport means the whole page scrolls sideways)."""
    return int(page.evaluate("document.documentElement.scrollWidth"))


def assert_no_sideways_scroll(page: Any) -> None:
    """Fail when the page is wider than its viewport."""
    viewport = page.viewport_size["width"]
    assert page_width(page) <= viewport, f"{page.url} is {page_width(page)} px wide at {viewport} px"


def page_problems(page: Any) -> list[str]:
    """axe-core's findings and any sideways scroll, at desktop width and at 360 px (the page left at desktop)."""
    problems = []
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        label = f"{page.url} @ {size['width']} px"
        problems += [f"{label}: {line}" for line in axe_violations(page)]
        if page_width(page) > size["width"]:
            problems.append(f"{label}: the page is {page_width(page)} px wide")
    page.set_viewport_size(DESKTOP)
    return problems


def check_page(page: Any) -> None:
    """Fail on any of ``page_problems``."""
    problems = page_problems(page)
    assert problems == [], "\n".join(problems)


def log_in(page: Any, sub: str) -> None:
    """The real OpenID round trip: portal login page → development provider → back on the portal."""
    from playwright.sync_api import expect

    page.goto("/login")
    page.get_by_role("link", name="Log in with Development provider").click()
    page.get_by_role("button", name=NAMES[sub], exact=True).click()
    expect(page.get_by_test_id("current-user")).to_contain_text(NAMES[sub])
    assert "/dev-idp" not in page.url

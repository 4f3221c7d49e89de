"""The browser tests' fixtures: one chromium per test process, the demo consortium served live, a page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from portal import demo
from tests.common.browser import ARGS, CHROMIUM, DESKTOP


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One chromium per test process (per xdist worker), a fresh context for every test."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def portal(live_server):
    with live_server.app.app_context():
        demo.load()
    return live_server


@pytest.fixture
def page(browser, portal):
    context = browser.new_context(base_url=portal.url, accept_downloads=True, viewport=DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []  # CSP violations and script errors show up on the console
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    context.close()
    assert problems == []

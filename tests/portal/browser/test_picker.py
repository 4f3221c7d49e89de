"""The city picker with JavaScript: type to find a city by name (accents and case ignored) or code,
pick several as chips, remove one, and the form posts exactly the chosen cities; axe finds nothing.
And the rows of a rule's caps grow with "Add row"."""

from __future__ import annotations

import re

import pytest

from portal.projects import services as changes
from tests.common.browser import assert_accessible, log_in

pytestmark = pytest.mark.browser


def pick(page, label: str, typed: str, *, enter: bool = True, choose: str | None = None) -> None:
    """Type ``typed`` in the picker labelled ``label``; Enter takes the first match, else click ``choose``."""
    search = page.get_by_label(label, exact=True)
    search.fill(typed)
    if enter:
        search.press("Enter")
    else:
        page.get_by_role("button", name=choose, exact=True).click()


def test_lead_picks_two_cities_removes_one_and_the_others_join(page, portal) -> None:
    from playwright.sync_api import expect

    log_in(page, "hameenlinna-lead")
    page.goto("/p/iam/members/add")
    chosen = page.get_by_test_id("cities-chosen")
    page.get_by_label("Cities", exact=True).fill("JYVA")  # no accent, upper case: Jyväskylä
    expect(page.get_by_role("status")).to_contain_text("1 matching")
    expect(page.get_by_role("button", name="Jyväskylä (179)")).to_be_visible()
    page.get_by_label("Cities", exact=True).press("Enter")
    pick(page, "Cities", "091")  # by code
    pick(page, "Cities", "tamp", enter=False, choose="Tampere (837)")
    expect(chosen.locator("li")).to_have_count(3)
    expect(page.get_by_role("status")).to_contain_text("3 chosen")
    page.get_by_role("button", name="Remove Helsinki (091)").click()
    expect(chosen.locator("li")).to_have_count(2)
    expect(page.locator("#cities")).to_be_hidden()  # the plain select stays in the form, hidden, and is what posts
    page.screenshot(path="/tmp/portal-picker.png")
    assert_accessible(page)
    page.get_by_label("Join date").fill("2026-06-01")
    page.get_by_label("Decision").fill("KH 5/2026")
    page.get_by_role("button", name="Add members").click()
    expect(page.get_by_test_id("preview-table").locator('tr[data-city="179"]')).to_have_count(1)  # the preview first
    page.get_by_role("button", name="Confirm and post").click()

    expect(page).to_have_url(re.compile(r"/p/iam/changes/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Jyväskylä (179), Tampere (837) join on 2026-06-01")
    with portal.app.app_context():
        codes = {line.code for line in changes.shares(changes.get_project("iam"))}
    assert {"179", "837"} <= codes and "091" not in codes


def test_what_if_picks_a_leaver_with_the_keyboard(page) -> None:
    from playwright.sync_api import expect

    log_in(page, "hameenlinna-lead")
    page.goto("/p/iam/what-if")
    search = page.get_by_label("Cities leaving", exact=True)
    search.fill("hame")  # finds Hämeenlinna
    search.press("ArrowDown")
    expect(page.get_by_role("button", name="Hämeenlinna (109)")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("leave-chosen").locator("li")).to_have_count(1)
    assert_accessible(page)
    page.get_by_role("button", name="Show the shares").click()
    expect(page).to_have_url(re.compile(r"leave=109"))
    expect(page.get_by_test_id("what-if")).to_be_visible()


def test_rule_rows_grow_with_add_row(page) -> None:
    from playwright.sync_api import expect

    log_in(page, "hameenlinna-lead")
    page.goto("/p/iam/rules")
    caps = page.get_by_test_id("rule-cap_rows")
    before = caps.locator("tbody tr").count()
    caps.get_by_role("button", name="Add row").click()
    expect(caps.locator("tbody tr")).to_have_count(before + 1)
    expect(caps.get_by_label(f"City, row {before + 1}")).to_be_focused()
    assert caps.locator(f'select[name="rule-cap_rows-{before}-city"]').count() == 1
    page.screenshot(path="/tmp/portal-rule-rows.png", full_page=True)
    assert_accessible(page)

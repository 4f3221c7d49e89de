"""End to end in Debian's chromium: log in through the development provider's own pages, then work.

Each scenario is one demo user's errand: the lead adds a city, the contact reads the shares and
its own history, the accountant queries and downloads. Screenshots go to /tmp/portal-*.png.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from portal import demo
from portal.projects import services as changes
from tests.common.browser import log_in, page_problems

pytestmark = pytest.mark.browser


def test_lead_adds_a_city_and_sees_the_change(page, portal) -> None:
    from playwright.sync_api import expect

    log_in(page, "hameenlinna-lead")
    page.goto("/p/iam/")
    page.get_by_role("link", name="Add members").first.click()
    for typed in ("Helsinki", "837"):  # the city picker (portal/static/picker.js): type, Enter takes the first match
        page.get_by_label("Cities", exact=True).fill(typed)
        page.get_by_label("Cities", exact=True).press("Enter")
    page.get_by_label("Join date").fill("2026-06-01")
    page.get_by_label("Decision").fill("Helsinki KH 5/2026 § 7; Tampere KH 5/2026 § 9")
    page.screenshot(path="/tmp/portal-add.png")
    page.get_by_role("button", name="Add members").click()

    # The preview first: every city's share of every year, nothing posted; axe finds nothing on it.
    expect(page.get_by_role("heading", level=1)).to_have_text("Preview: Add members")
    preview = page.get_by_test_id("preview-table")
    expect(preview.locator("tbody tr")).to_have_count(19)
    expect(preview.locator('tr[data-city="091"] td[data-year="2029"]')).to_contain_text("€")
    expect(page.get_by_test_id("preview-total")).to_have_text("520\u00a0000,00\u00a0€")
    assert page_problems(page) == []
    with portal.app.app_context():
        assert "091" not in changes.state_for(changes.get_project("iam")).current()
    page.screenshot(path="/tmp/portal-preview.png", full_page=True)
    page.get_by_role("button", name="Confirm and post").click()

    expect(page).to_have_url(re.compile(r"/p/iam/changes/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Helsinki (091), Tampere (837) join on 2026-06-01")
    table = page.get_by_test_id("change-table")
    expect(table.locator("tbody tr")).to_have_count(19)
    expect(table.locator("tr.changed")).to_have_count(19)
    expect(table.locator('tr[data-city="091"] td.diff')).to_have_text(re.compile(r"^\+27\u00a0368,4\d\u00a0€$"))
    expect(table.locator("td.diff.down")).to_have_count(17)
    expect(page.get_by_test_id("total")).to_have_text("520\u00a0000,00\u00a0€")
    page.screenshot(path="/tmp/portal-change.png", full_page=True)

    with portal.app.app_context():
        lines = changes.shares(changes.get_project("iam"))
        assert len(lines) == 19 and sum(line.share for line in lines) == 52_000_000

    page.get_by_role("link", name="Budget and rule").click()
    page.get_by_label("Total budget (EUR)").fill("-5")
    page.get_by_role("button", name="Change budget").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("must not be negative")
    page.screenshot(path="/tmp/portal-settings.png", full_page=True)


def test_contact_sees_the_members_and_only_its_own_history(page) -> None:
    from playwright.sync_api import expect

    log_in(page, "porvoo-contact")
    expect(page.get_by_test_id("own-share")).to_have_text(re.compile(r"^\s*30\u00a0588,2[34]\u00a0€\s*$"))
    page.screenshot(path="/tmp/portal-index.png")
    page.get_by_role("link", name=demo.NAME).first.click()
    members = page.get_by_test_id("members")
    expect(members.locator("tbody tr")).to_have_count(17)
    expect(members.locator("tr.own")).to_have_attribute("data-city", "638")
    expect(page.get_by_test_id("total")).to_have_text("520\u00a0000,00\u00a0€")
    expect(page.get_by_role("link", name="Add members")).to_have_count(0)
    page.screenshot(path="/tmp/portal-members.png", full_page=True)

    page.get_by_role("link", name="Your city's share history").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Porvoo (638)")
    expect(page.get_by_test_id("history").locator("tbody tr")).to_have_count(3)
    expect(page.get_by_text("Consortium agreement signed 15.12.2024")).to_be_visible()

    response = page.goto("/p/iam/cities/109")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You do not have access to this page (403)")


def test_accountant_queries_and_downloads(page, tmp_path: Path) -> None:
    from beancount import loader
    from playwright.sync_api import expect

    log_in(page, "accountant")
    page.goto("/p/iam/")
    page.get_by_role("link", name="Query").click()
    expect(page.get_by_label("BQL query")).to_have_value(re.compile(r"^SELECT account, sum\(position\)"))
    page.get_by_role("button", name="Run query").click()
    result = page.get_by_test_id("query-result")
    # 17 receivables, the contributions, and what is assessed for years not yet begun (deferred to them)
    expect(result.locator("tbody tr")).to_have_count(19)
    expect(result.get_by_role("cell", name="Liabilities:Deferred:Contributions")).to_be_visible()
    expect(result.get_by_role("cell", name="Income:Contributions")).to_be_visible()
    page.screenshot(path="/tmp/portal-query.png", full_page=True)

    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename == "iam-query.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["account", "balance"] and len(rows) == 20  # the header and the 19 rows
    assert ["Income:Contributions", "-520000.00"] in rows

    with page.expect_download() as info:
        page.get_by_role("link", name="Export").click()
    export = info.value
    assert export.suggested_filename == "iam.beancount"
    target = tmp_path / "iam.beancount"
    export.save_as(target)
    _, errors, options = loader.load_file(str(target))
    assert errors == [] and options["title"] == demo.NAME

    page.get_by_label("BQL query").fill(".output /tmp/x")
    page.get_by_role("button", name="Run query").click()
    expect(page.get_by_test_id("query-error")).to_contain_text("shell commands such as .output are not available")

"""The accountant's payments errand in chromium: a bank file imported, a payment allocated, the pages accessible."""

from __future__ import annotations

import re

import pytest

from portal.billing import issuing
from tests.common.billing import D, invoices, with_seller
from tests.common.browser import log_in, page_problems
from tests.portal.billing.camtgen import camt

pytestmark = pytest.mark.browser


def test_accountant_imports_a_bank_file_and_allocates_what_no_reference_matched(page, portal, tmp_path) -> None:
    from playwright.sync_api import expect

    with portal.app.app_context():
        with_seller()
        issuing.issue("iam", year=2025, date=D(2025, 1, 15), terms=30, actor="acc")
        porvoo = next(i for i in invoices() if i.code == "638")
        reference, total = porvoo.reference, porvoo.total_cents
    bank_file = tmp_path / "camt054.xml"
    bank_file.write_bytes(camt([("W1", f"{total // 100}.{total % 100:02d}", reference), ("W2", "5.00", None)]))

    log_in(page, "accountant")
    page.goto("/p/iam/payments")
    page.get_by_test_id("import-form").locator("input[type=file]").set_input_files(str(bank_file))
    page.get_by_test_id("import-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("import-result")).to_contain_text("1 matched (0 partial, 0 over), 1 unallocated, 0 already imported")
    assert page_problems(page) == []

    unallocated = page.get_by_test_id("unallocated")
    expect(unallocated.locator("tbody tr")).to_have_count(1)
    unallocated.locator("input[name=city]").fill("286")
    unallocated.get_by_role("button", name="Allocate").click()
    expect(page.get_by_test_id("unallocated")).to_have_count(0)
    expect(page.get_by_test_id("payments")).to_contain_text("Kouvola (286)")
    expect(page.get_by_test_id("payments")).to_contain_text("Porvoo (638)")

    page.goto("/p/iam/invoices?city=638")
    expect(page.locator("main")).to_contain_text(re.compile("paid", re.I))
    assert page_problems(page) == []

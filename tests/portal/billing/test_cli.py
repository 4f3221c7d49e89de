"""``portal billing …`` and ``portal invoice …``: the issue's command-line contract, and bad input as exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from tests.common.billing import SELLER, counts
from tests.common.demo import state

SELLER_ARGS = ["billing", "seller", "iam", "--name", SELLER["name"], "--business-id", SELLER["business_id"], "--iban", SELLER["iban"],
               "--bic", SELLER["bic"], "--einvoice-address", SELLER["einvoice_address"], "--operator", SELLER["operator"],
               "--address", SELLER["address"]]
PORVOO_ARGS = ["billing", "member", "iam", "--city", "638", "--business-id", "1061512-1", "--einvoice-address", "003710615121",
               "--operator", "NDEAFIHH", "--buyer-reference", "KP 4410", "--email", "laskut@porvoo.example", "--language", "fi"]
CONTRACT = {"number", "city", "year", "kind", "date", "due", "amount", "reference", "rf", "paid", "outstanding", "status"}


def ok(runner, *args: str) -> str:
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def billed(runner, loaded):
    ok(runner, *SELLER_ARGS)
    ok(runner, *PORVOO_ARGS)
    return runner


def test_the_seller_and_a_member_are_set_and_shown(billed) -> None:
    out = ok(billed, "billing", "show", "iam", "--format", "json")
    data = json.loads(out)
    assert data["seller"]["business_id"] == "0139797-8" and data["seller"]["iban"] == "FI2112345600000785"
    porvoo = next(m for m in data["members"] if m["code"] == "638")
    assert (porvoo["business_id"], porvoo["buyer_reference"], porvoo["language"]) == ("1061512-1", "KP 4410", "fi")
    assert "instalment(s) a year" in ok(billed, "billing", "settings", "iam", "--instalments", "2", "--terms", "30")


BAD_PARTIES = [
    ([*SELLER_ARGS[:6], "0139797-9", *SELLER_ARGS[7:]], "wrong check digit (expected 0139797-8)"),
    ([*SELLER_ARGS[:8], "FI21 1234 5600 0007 84", *SELLER_ARGS[9:]], "IBAN"),
    (["billing", "member", "iam", "--city", "638", "--business-id", "1061512-2"], "expected 1061512-1"),
    (["billing", "member", "iam", "--city", "638", "--language", "de"], "'de' is not one of"),
    (["billing", "member", "iam", "--city", "999", "--email", "a@b.fi"], "999"),
    (["billing", "settings", "iam", "--instalments", "13"], "instalments"),
]


def test_bad_party_input_exits_2_with_a_message_and_changes_nothing(billed, loaded) -> None:
    with loaded.app_context():
        before = counts()
    for args, message in BAD_PARTIES:
        result = billed.invoke(args=args)
        assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output, result.output
        with loaded.app_context():
            assert counts() == before


def test_issue_with_dry_run_posts_nothing_then_issues_and_lists_by_the_contract(billed, loaded, tmp_path: Path) -> None:
    before = state(loaded)
    out = ok(billed, "invoice", "issue", "iam", "--year", "2025", "--date", "2025-02-01", "--terms", "30", "--dry-run")
    assert "preview of 17 invoice(s) for 2025 (nothing issued" in out and state(loaded) == before
    out = ok(billed, "invoice", "issue", "iam", "--year", "2025", "--date", "2025-02-01", "--terms", "30")
    assert "issued 17 invoice(s) for 2025" in out and "due 2025-03-03" in out
    assert state(loaded)[1] == before[1] + 1  # one posting
    rows = json.loads(ok(billed, "invoice", "list", "iam", "--format", "json"), parse_float=lambda t: pytest.fail(t))
    assert len(rows) == 17 and set(rows[0]) >= CONTRACT
    first = rows[0]
    assert (first["kind"], first["paid"], first["status"], first["outstanding"]) == ("invoice", "0.00", "open", first["amount"])
    assert first["reference"].isdigit() and first["rf"].startswith("RF") and " " not in first["rf"]
    assert [r["number"] for r in json.loads(ok(billed, "invoice", "list", "iam", "--city", "638", "--format", "json"))] == \
        [r["number"] for r in rows if r["city"] == "638"]
    csv_text = ok(billed, "invoice", "list", "iam", "--year", "2025", "--city", "638", "--format", "csv")
    header, line = csv_text.splitlines()
    amount = next(r["amount"] for r in rows if r["city"] == "638").replace(".", ",")
    assert header.startswith("number;city;") and f";{amount};" in line and ";1.2.2025;3.3.2025;" in line
    assert "17 invoice(s)" in ok(billed, "invoice", "list", "iam")
    assert "nothing to invoice for 2025" in ok(billed, "invoice", "issue", "iam", "--year", "2025")


def test_finvoice_and_pdf_of_an_invoice_to_files(billed, loaded, tmp_path: Path) -> None:
    ok(billed, "invoice", "issue", "iam", "--year", "2026")
    number = next(r["number"] for r in json.loads(ok(billed, "invoice", "list", "iam", "--format", "json")) if r["city"] == "638")
    ok(billed, "invoice", "finvoice", "iam", str(number), "-o", str(tmp_path / "f.xml"))
    root = etree.parse(str(tmp_path / "f.xml")).getroot()
    assert root.tag == "Finvoice" and root.findtext("InvoiceDetails/InvoiceNumber") == str(number)
    ok(billed, "invoice", "pdf", "iam", str(number), "-o", str(tmp_path / "i.pdf"))
    assert (tmp_path / "i.pdf").read_bytes().startswith(b"%PDF-")


BAD_INVOICES = [
    (["invoice", "pdf", "iam", "99", "-o", "x.pdf"], "no invoice 99"),
    (["invoice", "finvoice", "iam", "99", "-o", "x.xml"], "no invoice 99"),
    (["invoice", "pdf", "iam", "abc", "-o", "x.pdf"], "'abc' is not a whole number"),
    (["invoice", "issue", "iam", "--year", "2031"], "2031 is not one of the project's years (2025–2029)"),
    (["invoice", "issue", "iam", "--year", "2026", "--due", "2026-01-01", "--date", "2026-02-01"], "before the invoice date"),
    (["invoice", "issue", "iam", "--year", "2026", "--due", "2026-03-01", "--terms", "5"], "not both"),
    (["invoice", "issue", "nope", "--year", "2026"], "no project 'nope'"),
    (["invoice", "list", "iam", "--city", "999"], "999"),
]


def test_bad_invoice_input_exits_2_with_a_message_and_posts_nothing(billed, loaded, tmp_path: Path) -> None:
    ok(billed, "invoice", "issue", "iam", "--year", "2025")
    before = state(loaded)
    for args, message in BAD_INVOICES:
        result = billed.invoke(args=[a if not a.endswith((".pdf", ".xml")) else str(tmp_path / a) for a in args])
        assert result.exit_code == 2, result.output
        assert message in result.output and "Traceback" not in result.output, result.output
        assert state(loaded) == before
    assert not list(tmp_path.glob("x.*"))


def test_issuing_without_a_seller_says_what_to_do(runner, loaded) -> None:
    result = runner.invoke(args=["invoice", "issue", "iam", "--year", "2025"])
    assert result.exit_code == 2 and "portal billing seller iam" in result.output

"""``portal payment …``, ``portal statement``, ``portal invoice aging|remind``: the command-line contract."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.billing.models import Reminder
from portal.extensions import db
from tests.common.billing import counts
from tests.portal.billing.camtgen import camt
from tests.portal.billing.test_cli import PORVOO_ARGS, SELLER_ARGS, ok


@pytest.fixture
def issued(runner, loaded):
    ok(runner, *SELLER_ARGS)
    ok(runner, *PORVOO_ARGS)
    ok(runner, "invoice", "issue", "iam", "--year", "2025", "--date", "2025-02-01", "--terms", "30")
    rows = json.loads(ok(runner, "invoice", "list", "iam", "--city", "638", "--format", "json"))
    return runner, rows[0]


def test_import_list_allocate_and_the_invoice_list_shows_paid(issued, tmp_path: Path) -> None:
    runner, porvoo = issued
    amount = porvoo["amount"]
    half = f"{float(amount) / 2:.2f}"  # test data only: the amounts the file carries
    path = tmp_path / "n.xml"
    path.write_bytes(camt([("P1", half, porvoo["reference"]), ("P2", "12.00", None)]))
    out = ok(runner, "payment", "import", "iam", str(path))
    assert "1 matched (1 partial, 0 over), 1 unallocated, 0 already imported" in out
    assert "nothing imported: this file was imported before" in ok(runner, "payment", "import", "iam", str(path))
    row = json.loads(ok(runner, "invoice", "list", "iam", "--city", "638", "--format", "json"))[0]
    assert row["status"] == "partly-paid" and row["paid"] == half
    waiting = json.loads(ok(runner, "payment", "list", "iam", "--unallocated", "--format", "json"))
    assert [w["amount"] for w in waiting] == ["12.00"]
    out = ok(runner, "payment", "allocate", "iam", str(waiting[0]["id"]), "--invoice", str(porvoo["number"]))
    assert "allocated" in out
    rest = f"{float(amount) - float(half) - 12:.2f}"
    ok(runner, "payment", "add", "iam", "--city", "638", "--amount", rest, "--date", "2025-03-20", "--reference", porvoo["rf"])
    row = json.loads(ok(runner, "invoice", "list", "iam", "--city", "638", "--format", "json"))[0]
    assert (row["status"], row["outstanding"]) == ("paid", "0.00")
    statement = json.loads(ok(runner, "statement", "iam", "--city", "638", "--format", "json"))
    assert statement["balance"] == "0.00" and statement["years"][0]["invoiced"] == amount
    assert statement["years"][0]["paid"] == amount and len(statement["years"][0]["lines"]) == 4


def test_aging_buckets_reminder_and_confirmation_pdf(issued, tmp_path: Path) -> None:
    runner, porvoo = issued
    aged = json.loads(ok(runner, "invoice", "aging", "iam", "--on", "2025-03-01", "--format", "json"))
    assert {a["bucket"] for a in aged["invoices"]} == {"not-due"} and len(aged["invoices"]) == 17
    aged = json.loads(ok(runner, "invoice", "aging", "iam", "--on", "2025-04-15", "--format", "json"))
    assert {a["bucket"] for a in aged["invoices"]} == {"31-60"} and aged["invoices"][0]["days_late"] == 43
    assert {a["bucket"] for a in json.loads(ok(runner, "invoice", "aging", "iam", "--on", "2025-03-04", "--format", "json"))["invoices"]} == {"1-30"}
    assert {a["bucket"] for a in json.loads(ok(runner, "invoice", "aging", "iam", "--on", "2025-06-04", "--format", "json"))["invoices"]} == {"over-60"}
    pdf = tmp_path / "m.pdf"
    out = ok(runner, "invoice", "remind", "iam", str(porvoo["number"]), "--date", "2025-04-15", "-o", str(pdf))
    assert "reminder 1 of invoice" in out
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert "MAKSUMUISTUTUS" in text.upper() and "Muistutuksesta ei peritä maksua" in text
    result = runner.invoke(args=["invoice", "remind", "iam", str(porvoo["number"]), "--date", "2025-02-15"])
    assert result.exit_code != 0 and "not overdue" in result.output
    confirmation = tmp_path / "c.pdf"
    ok(runner, "statement", "iam", "--city", "638", "--confirmation", "2025", "-o", str(confirmation))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(confirmation.read_bytes())).pages)
    assert "SALDOVAHVISTUS 31.12.2025" in text.upper() and porvoo["amount"].replace(".", ",") in text.replace("\xa0", " ").replace(" ", "")


def test_a_reminder_fee_is_charged_to_the_city_and_billed_by_the_next_invoicing(issued, loaded, tmp_path: Path) -> None:
    runner, porvoo = issued
    pdf = tmp_path / "fee.pdf"
    out = ok(runner, "invoice", "remind", "iam", str(porvoo["number"]), "--fee", "5.00", "--date", "2025-04-15", "-o", str(pdf))
    assert "a fee of 5.00 EUR charged to the city" in out
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages).replace("\xa0", " ")
    assert "Muistutusmaksu 5,00 € laskutetaan erikseen" in text
    charges = ok(runner, "charge", "list", "iam")
    assert "2025-04-15  638" in charges and f"Muistutusmaksu, lasku {porvoo['number']}" in charges and "5.00" in charges
    ok(runner, "invoice", "issue", "iam", "--year", "2025", "--date", "2025-05-01", "--terms", "30")
    rows = json.loads(ok(runner, "invoice", "list", "iam", "--city", "638", "--format", "json"))
    assert len(rows) == 2 and rows[1]["kind"] == "supplementary" and rows[1]["amount"] == "5.00", rows[1]
    others = json.loads(ok(runner, "invoice", "list", "iam", "--format", "json"))
    assert len(others) == 17 + 1  # nobody else owes anything new: the fee is the city's alone


def test_a_reminder_whose_fee_is_refused_is_not_recorded(issued, loaded) -> None:
    runner, porvoo = issued
    ok(runner, "year", "close", "iam", "2025", "--decision", "KV 1/2026")
    with loaded.app_context():
        before = counts()
    result = runner.invoke(args=["invoice", "remind", "iam", str(porvoo["number"]), "--fee", "5.00", "--date", "2025-04-15"])
    assert result.exit_code == 2 and "closed" in result.output and "Traceback" not in result.output, result.output
    with loaded.app_context():
        assert counts() == before  # no reminder record, no charge, no audit record
    assert "0 direct charge(s)" in ok(runner, "charge", "list", "iam")
    with loaded.app_context():
        assert not db.session.scalar(select(func.count()).select_from(Reminder))  # the refused one was not kept
    assert "issued" in ok(runner, "invoice", "remind", "iam", str(porvoo["number"]), "--date", "2025-04-15")  # without a fee
    with loaded.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reminder)) == 1


def test_a_malformed_bank_file_exits_2_and_posts_nothing(issued, loaded, tmp_path: Path) -> None:
    runner, _ = issued
    with loaded.app_context():
        before = counts()
    for body in (b"<Document", b"<?xml version='1.0'?><a/>", camt([("X", "1.234", None)])):
        path = tmp_path / "bad.xml"
        path.write_bytes(body)
        result = runner.invoke(args=["payment", "import", "iam", str(path)])
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    with loaded.app_context():
        assert counts() == before


def test_the_confirmation_shows_the_year_end_both_in_its_rows_and_its_total(issued, tmp_path: Path) -> None:
    """A payment after 31.12. changes neither the balance confirmed for that day nor the invoices open on it."""
    runner, porvoo = issued
    ok(runner, "payment", "add", "iam", "--city", "638", "--amount", porvoo["amount"], "--date", "2026-01-10",
       "--reference", porvoo["reference"])
    confirmation = tmp_path / "c.pdf"
    ok(runner, "statement", "iam", "--city", "638", "--confirmation", "2025", "-o", str(confirmation))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(confirmation.read_bytes())).pages)
    flat = text.replace("\xa0", " ").replace(" ", "")
    assert flat.count(porvoo["amount"].replace(".", ",")) >= 3  # the text, the open invoice's row and the total
    assert str(porvoo["number"]) in text

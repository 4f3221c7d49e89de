"""Payments: bank files matched by reference (exact, partial, over, unknown), repeats, by hand, allocation, statuses."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ledger.errors import Conflict, InvalidInput
from portal.billing import issuing
from portal.billing import payments as pay
from portal.billing.documents import listing
from portal.billing.models import Payment
from portal.extensions import db
from portal.projects.services import get_project
from tests.common.billing import D, counts, with_seller
from tests.portal.billing.camtgen import camt


@pytest.fixture
def invoiced(in_demo):
    with_seller()
    issuing.issue("iam", year=2025, actor="t", date=D(2025, 2, 1), terms=30)
    rows = listing(get_project("iam"))
    return {r.invoice.code: r for r in rows}


def _status(code: str) -> tuple[str, str]:
    row = next(r for r in listing(get_project("iam")) if r.invoice.code == code)
    return row.status, str(row.outstanding)


def test_a_bank_file_is_matched_exact_partial_over_and_unknown(invoiced) -> None:
    a, b, c = (invoiced[code] for code in sorted(invoiced)[:3])
    half = a.invoice.total_cents // 2
    data = camt([("A1", f"{b.invoice.total_cents / 100:.2f}", b.invoice.reference),
                 ("A2", f"{half / 100:.2f}", a.invoice.rf),
                 ("A3", f"{(c.invoice.total_cents + 1000) / 100:.2f}", "00000" + c.invoice.reference),
                 ("A4", "75.00", None), ("A5", "10.00", "RF18539007547034")])
    result = pay.import_file("iam", data, actor="t")
    assert [r.status for r in result.rows] == ["matched", "partial", "over", "unallocated", "unallocated"]
    assert result.summary()["matched"] == 3 and result.summary()["unallocated"] == 2
    assert _status(b.invoice.code) == ("paid", "0")
    assert _status(a.invoice.code) == ("partly-paid", str(a.invoice.total_cents - half))
    assert _status(c.invoice.code) == ("paid", "0") and result.rows[2].credit == 1000
    before = counts()
    again = pay.import_file("iam", data, actor="t")
    assert again.seq is None and again.repeated_file and again.summary()["already_imported"] == 5 and counts() == before
    # a later camt.053 statement repeating one transaction and adding one: only the new one is posted
    later = pay.import_file("iam", camt([("A1", "1.00", None), ("B1", "2.00", None)], kind="053", message="ST-2"), actor="t")
    assert [r.status for r in later.rows] == ["already-imported", "unallocated"]
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 6


def test_a_malformed_or_foreign_file_is_refused_and_nothing_is_posted(invoiced) -> None:
    before = counts()
    for data in (b"<nope", camt([("X", "1.0001", None)]), camt([("X", "1.00", None)], iban="FI4950009420028730")):
        with pytest.raises(InvalidInput):
            pay.import_file("iam", data, actor="t")
    assert counts() == before


def test_a_manual_payment_and_the_allocation_of_an_unallocated_one(invoiced) -> None:
    code = sorted(invoiced)[0]
    total = invoiced[code].invoice.total_cents
    row = pay.add_payment("iam", city=code, cents=100_00, date=D(2025, 3, 1), actor="t")
    assert (row.status, row.invoice) == ("partial", invoiced[code].invoice.number)
    pay.import_file("iam", camt([("U1", f"{total / 100:.2f}", None)]), actor="t")
    waiting = pay.payments(get_project("iam"), unallocated=True)
    assert len(waiting) == 1
    allocated = pay.allocate("iam", waiting[0].id or 0, city=code, actor="t")
    assert allocated.credit == 100_00 and _status(code) == ("paid", "0")
    assert pay.payments(get_project("iam"), unallocated=True) == []
    with pytest.raises(Conflict):
        pay.allocate("iam", waiting[0].id or 0, city=code, actor="t")
    with pytest.raises(InvalidInput):
        pay.add_payment("iam", city=code, cents=0, date=D(2025, 3, 1), actor="t")


def test_the_history_with_payments_replays_and_the_export_passes_bean_check(invoiced, tmp_path) -> None:
    import subprocess
    import sys
    from pathlib import Path

    from ledger import entries as E
    from ledger.recalc import replay
    from portal.accounting import services as accounting
    from portal.projects import services as projects
    from portal.projects.models import LedgerPosting, ProjectChange

    a, b = (invoiced[code] for code in sorted(invoiced)[:2])
    pay.import_file("iam", camt([("R1", f"{(a.invoice.total_cents + 5) / 100:.2f}", a.invoice.reference), ("R2", "3.00", None)]),
                    actor="t")
    unallocated = pay.payments(get_project("iam"), unallocated=True)[0]
    pay.allocate("iam", unallocated.id or 0, invoice_number=b.invoice.number, actor="t")
    pay.add_payment("iam", city=b.invoice.code, cents=1_00, date=D(2025, 4, 1), actor="t")
    project = get_project("iam")
    path = Path(tmp_path) / "iam.beancount"
    path.write_text(accounting.export(project), encoding="utf-8")
    check = subprocess.run([Path(sys.executable).parent / "bean-check", path], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    text = path.read_text(encoding="utf-8")
    assert "Liabilities:Credit:Members:" in text and "Assets:Bank:FI2112345600000785" in text and "Liabilities:Unallocated:Payments" in text and "#payment" in text
    rows = db.session.execute(select(ProjectChange).where(ProjectChange.project_id == project.id).order_by(ProjectChange.seq)).scalars().all()
    texts = dict(db.session.execute(select(LedgerPosting.seq, LedgerPosting.text).where(LedgerPosting.project_id == project.id)).all())
    built = {i: E.parse_entries(texts[r.ledger_seq], "iam") for i, r in enumerate(rows)
             if r.kind in ("invoices-issued", "payments-imported", "payment-allocated", "payment-added")}
    assert replay(projects.changes_of(project), built).state == projects.state_for(project)


def test_a_credit_note_is_applied_to_the_invoice_it_corrects() -> None:
    import datetime as dt
    from types import SimpleNamespace

    from beancount.core import data
    from beancount.core.amount import Amount

    from portal.billing.documents import open_amounts

    def entry(number: int, cents: int) -> data.Transaction:
        posting = data.Posting("Assets:Receivable:Invoiced:Porvoo-638", Amount(pay.to_decimal(cents), "EUR"), None, None, None,
                               {"invoice": str(number)})
        return data.Transaction({}, dt.date(2025, 1, 1), "*", None, "", frozenset(), frozenset(), [posting])

    invoices = [SimpleNamespace(number=1, kind="invoice", corrects=None), SimpleNamespace(number=2, kind="credit-note", corrects=1)]
    assert open_amounts(invoices, [entry(1, 100_00), entry(2, -30_00)]) == {1: 70_00, 2: 0}
    assert open_amounts(invoices, [entry(1, 100_00), entry(1, -90_00), entry(2, -30_00)]) == {1: 0, 2: -20_00}

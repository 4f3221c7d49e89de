"""Imports through the portal: refused by line with nothing changed, duplicates named, undone by reversal."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from ledger import entries as E
from ledger.errors import Conflict, ImportRejected, InvalidInput, NotFound
from ledger.project import POSTED_AS_BUILT, Op
from ledger.recalc import replay
from portal.accounting import services as accounting
from portal.accounting.models import ImportedTransaction, LedgerImport
from portal.audit import AuditEvent
from portal.costs import services as costs
from portal.extensions import db
from portal.projects import services as projects
from portal.projects.models import LedgerPosting, ProjectChange
from tests.common.imports import BAD, EXPECTED

PAYMENTS = b"""2026-02-01 open Assets:Bank EUR

2026-02-15 * "Porvoo" "Payment of the 2026 share"
  bank-ref: "OP-2026-0001"
  Assets:Bank                            30588.24 EUR
  Assets:Receivable:Members:Porvoo-638  -30588.24 EUR

2026-02-16 * "Kouvola" "Payment of the 2026 share"
  Assets:Bank                            30588.24 EUR
  Assets:Receivable:Members:Kouvola-286  -30588.24 EUR
"""
SECOND = b"""2026-03-01 * "Kotka" "Payment"
  Assets:Bank                            100.00 EUR
  Assets:Receivable:Members:Kotka-285   -100.00 EUR

2026-02-15 * "Porvoo" "Payment of the 2026 share, again"
  bank-ref: "OP-2026-0001"
  Assets:Bank                            30588.24 EUR
  Assets:Receivable:Members:Porvoo-638  -30588.24 EUR
"""


def snapshot() -> tuple[int, ...]:
    """Everything an import writes: what a refused one must leave as it was."""
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    project = projects.get_project("iam")
    return (count(AuditEvent), count(LedgerPosting), count(ProjectChange), count(LedgerImport), count(ImportedTransaction),
            project.ledger_seq, project.change_seq, len(projects.journal_for(project)))


def bank_balance() -> str:
    rows = accounting.query("iam", "SELECT sum(number) AS b WHERE account = 'Assets:Bank'").rows
    return f"{rows[0][0]} EUR" if rows and rows[0][0] is not None else "0.00 EUR"


def run_import(content: bytes = PAYMENTS, filename: str = "payments-2026-02.beancount") -> accounting.ImportResult:
    return accounting.import_file("iam", content, filename=filename, actor="acc")


def test_an_import_is_recorded_with_its_identities_in_one_transaction(in_demo) -> None:
    before = snapshot()
    result = run_import()
    assert result.summary == "Imported 2 transactions from payments-2026-02.beancount as import 1 (posting 5)"
    assert snapshot()[:5] == (before[0] + 1, before[1] + 1, before[2] + 1, 1, 2)
    [row] = accounting.imports_of(projects.get_project("iam"))
    assert (row.number, row.filename, row.actor, row.transactions, row.ledger_seq, row.reverted) == (
        1, "payments-2026-02.beancount", "acc", 2, 5, False)
    assert len(row.sha256) == 64
    assert bank_balance() == "61176.48 EUR"
    text = db.session.scalar(select(LedgerPosting.text).where(LedgerPosting.seq == 5))
    assert 'imported-from: "payments-2026-02.beancount"' in text and "import: 1" in text and "import-line: 3" in text


def test_the_same_file_is_refused_naming_the_import(in_demo) -> None:
    run_import()
    before = snapshot()
    with pytest.raises(Conflict, match=r"this file was imported already as import 1 \(payments-2026-02.beancount, .* by acc\)"):
        run_import(filename="renamed.beancount")
    assert snapshot() == before


def test_a_transaction_already_imported_is_refused_by_its_line(in_demo) -> None:
    run_import()
    before = snapshot()
    with pytest.raises(ImportRejected) as info:
        run_import(SECOND, "payments-2026-03.beancount")
    assert info.value.details == ["line 5: this transaction was imported already in import 1 (payments-2026-02.beancount)"]
    assert snapshot() == before


def test_refusals_change_nothing(in_demo) -> None:
    before = snapshot()
    forged = PAYMENTS.replace(b"Assets:Bank                            30588.24", b"Income:Contributions                   30588.24")
    for content, message in [(forged, "line 5: Income:Contributions is kept by the portal itself"),
                             (PAYMENTS.replace(b"2026-02-16 *", b"2026-02-16 !"), "line 8: only cleared (*) transactions"),
                             (PAYMENTS.replace(b"2026-02-16", b"2030-02-16"), "line 8: dated 2030-02-16, outside the project's term")]:
        with pytest.raises(ImportRejected) as info:
            run_import(content)
        assert any(d.startswith(message) for d in info.value.details), info.value.details
    with pytest.raises(InvalidInput, match="is not UTF-8 text"):
        run_import(b"\xff\xfe2026")
    assert snapshot() == before


def test_every_reason_at_once_by_line_and_nothing_changed(in_demo) -> None:
    before = snapshot()
    with pytest.raises(ImportRejected) as info:
        run_import(BAD.encode(), "everything-wrong.beancount")
    for line, message in EXPECTED.items():
        assert any(d.startswith(f"line {line}: ") and message in d for d in info.value.details), (line, info.value.details)
    assert snapshot() == before


def test_a_closed_year_is_refused(in_demo) -> None:
    costs.close_year("iam", 2025, actor="lead", decision="accounts 2025")
    before = snapshot()
    with pytest.raises(ImportRejected) as info:
        run_import(PAYMENTS.replace(b"2026-02-16", b"2025-12-16").replace(b"2026-02-01 open", b"2025-01-01 open"))
    assert info.value.details == ["line 8: dated 2025-12-16, in 2025, which is closed"]
    assert snapshot() == before


def test_a_change_made_while_the_file_was_checked_is_checked_again_under_the_lock(in_demo) -> None:
    """The heavy checks run before the lock; a year closed meanwhile still refuses the import."""
    content = PAYMENTS.replace(b"2026-", b"2025-")
    closed = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "posting" and not closed:
            closed.append(costs.close_year("iam", 2025, actor="lead", decision="accounts 2025"))

    before = snapshot()
    with pytest.raises(ImportRejected) as info:
        accounting.import_file("iam", content, filename="p.beancount", actor="acc", progress=progress)
    assert "line 3: dated 2025-02-15, in 2025, which is closed" in info.value.details
    assert snapshot()[3:5] == before[3:5]  # no import recorded; the year's closing is


def test_revert_posts_the_reversal_releases_the_identities_and_cannot_be_repeated(in_demo, monkeypatch) -> None:
    monkeypatch.setattr(accounting, "today", lambda: dt.date(2026, 5, 4))
    run_import()
    shares = {s.code: s.share for s in projects.shares(projects.get_project("iam"))}
    result = accounting.revert("iam", 1, actor="acc", reason="exported twice by the bank")
    assert result.summary == "Reverted import 1 (payments-2026-02.beancount): 2 transactions reversed in posting 6"
    assert bank_balance() in ("0.00 EUR", "0 EUR")
    assert {s.code: s.share for s in projects.shares(projects.get_project("iam"))} == shares
    entries = E.parse_entries(db.session.scalar(select(LedgerPosting.text).where(LedgerPosting.seq == 6)), "iam")
    assert [(e.date, e.meta["reverts"], e.meta["decision"], e.meta["actor"]) for e in entries] == [
        (dt.date(2026, 5, 4), "import 1 (payments-2026-02.beancount)", "exported twice by the bank", "acc")] * 2
    [row] = accounting.imports_of(projects.get_project("iam"))
    assert (row.reverted_seq, row.reverted_by, row.revert_reason) == (6, "acc", "exported twice by the bank")
    assert db.session.scalar(select(func.count()).select_from(ImportedTransaction)) == 0

    before = snapshot()
    with pytest.raises(Conflict, match=r"import 1 \(payments-2026-02.beancount\) was reverted already, by acc on .* \(posting 6\)"):
        accounting.revert("iam", 1, actor="acc", reason="again")
    with pytest.raises(NotFound, match="iam has no import 2"):
        accounting.revert("iam", 2, actor="acc", reason="x")
    with pytest.raises(NotFound):
        accounting.revert("iam", 10**20, actor="acc", reason="x")
    with pytest.raises(InvalidInput, match="the reason must not be empty"):
        accounting.revert("iam", 1, actor="acc", reason="  ")
    assert snapshot() == before

    again = run_import()  # the same file, once its import is reverted
    assert again.number == 2 and bank_balance() == "61176.48 EUR"
    assert [(r.number, r.reverted) for r in accounting.imports_of(projects.get_project("iam"))] == [(2, False), (1, True)]


def test_the_recorded_changes_replay_to_what_was_posted(in_demo) -> None:
    """An import and its reversal are changes whose entries come with them (``POSTED_AS_BUILT``)."""
    run_import()
    accounting.revert("iam", 1, actor="acc", reason="wrong file")
    run_import(SECOND.split(b"\n\n")[0], "kotka.beancount")
    project = projects.get_project("iam")
    rows = db.session.execute(select(ProjectChange).where(ProjectChange.project_id == project.id).order_by(ProjectChange.seq)).scalars().all()
    texts = dict(db.session.execute(select(LedgerPosting.seq, LedgerPosting.text).where(LedgerPosting.project_id == project.id)).all())
    ops = [Op.from_json(r.op) for r in rows]
    brought = {i: E.parse_entries(texts[r.ledger_seq], "iam") for i, r in enumerate(rows) if r.kind in POSTED_AS_BUILT}
    replayed = replay(ops, brought)
    posted = [E.parse_entries(texts[r.ledger_seq], "iam") if r.ledger_seq else [] for r in rows]
    strip = lambda entries: [E.format_entry(e._replace(meta={})) for e in entries]  # noqa: E731
    assert [strip(p) for p in replayed.postings] == [strip(p) for p in posted]
    assert [r.kind for r in rows][-3:] == ["ledger-imported", "ledger-import-reverted", "ledger-imported"]

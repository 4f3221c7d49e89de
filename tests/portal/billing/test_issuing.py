"""Issuing a year's invoices through the change machinery (portal.billing.issuing), on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from beancount import loader
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select

from ledger import entries as E
from ledger.errors import Conflict, InvalidInput, LedgerError, NotFound
from ledger.invoicing import components, held
from ledger.recalc import replay
from portal.accounting import services as accounting
from portal.billing import issuing
from portal.billing import services as billing
from portal.billing.models import InvoiceLine
from portal.costs import services as costs
from portal.extensions import db
from portal.projects import services as projects
from portal.projects.ledgers import Ledgers
from portal.projects.models import LedgerPosting, ProjectChange
from tests.common.billing import SELLER, D, counts, invoices, money_columns, with_seller
from tests.common.histories import POOL, changes, terms

EXAMPLES = int(os.environ.get("INVOICING_PORTAL_EXAMPLES", "15"))
_slugs = itertools.count(1)


def year_total(code: str, year: int) -> int:
    journal = projects.journal_for(projects.get_project("iam"))
    return journal.assessed_cells().get((year, code), 0) + journal.charged_cells().get((year, code), 0)


def billed(code: str, year: int) -> int:
    return sum(i.net_cents for i in invoices() if i.code == code and i.year == year)


def test_a_preview_posts_nothing_and_the_issue_makes_what_it_showed(in_demo) -> None:
    with_seller()
    before = counts()
    shown = issuing.preview("iam", year=2026, date=D(2026, 1, 15))
    assert counts() == before
    assert len(shown.invoices) == 17 and shown.total == 15_000_000
    run = issuing.issue("iam", year=2026, date=D(2026, 1, 15), actor="acc", expect_seq=shown.seq)
    assert [(p.invoice.number, p.invoice.code, p.invoice.total_cents) for p in run.invoices] == \
        [(p.invoice.number, p.invoice.code, p.invoice.total_cents) for p in shown.invoices]
    assert [i.number for i in invoices()] == list(range(1, 18))
    assert all(i.due_date == D(2026, 2, 5) and i.kind == "invoice" for i in invoices())  # 21 days net, the default
    assert {i.code: i.net_cents for i in invoices()} == {code: year_total(code, 2026) for code in {i.code for i in invoices()}}


def test_issuing_moves_the_invoiced_amounts_to_invoiced_open_in_one_posting_with_the_op_and_audit(in_demo) -> None:
    with_seller()
    project = projects.get_project("iam")
    seq, changes_before = project.ledger_seq, project.change_seq
    run = issuing.issue("iam", year=2025, date=D(2025, 2, 1), actor="acc")
    project = projects.get_project("iam")
    assert run.seq == seq + 1 == project.ledger_seq and project.change_seq == changes_before + 1
    op = projects.changes_of(project, ["invoices-issued"])[0]
    assert op.params["year"] == 2025 and op.params["numbers"] == list(range(1, 18)) and op.actor == "acc"
    assert run.outcome.event.action == "invoices-issued" and len(run.outcome.event.details["invoices"]) == 17
    journal = projects.journal_for(project)
    invoiced = {E.code_of_account(p.account.replace("Invoiced", "Members")): E.posting_cents(p)
                for e in journal.entries if "invoice" in getattr(e, "tags", ()) for p in e.postings if p.account.startswith(E.INVOICED)}
    assert invoiced == {i.code: i.total_cents for i in invoices()}
    entry = next(e for e in journal.entries if "invoice" in getattr(e, "tags", ()))
    assert entry.meta["invoice"] == "1" and entry.meta["reference"] == invoices()[0].reference and entry.meta["year"] == 2025
    assert E.check_balanced(journal.entries) == []


def test_after_a_recalculation_the_next_issue_makes_supplementary_invoices_and_credit_notes(in_demo) -> None:
    with_seller()
    issuing.issue("iam", year=2026, date=D(2026, 1, 15), actor="acc")
    first = money_columns()
    costs.add_charge("iam", city="638", amount=1_200_000, date=D(2026, 9, 1), text="20 tablets", actor="lead")
    projects.add_members("iam", ["091"], joined=D(2026, 6, 1), decision="KV", actor="lead")
    run = issuing.issue("iam", year=2026, date=D(2026, 10, 1), actor="acc")
    kinds = {p.invoice.code: (p.invoice.kind, p.invoice.corrects) for p in run.invoices}
    assert kinds["091"] == ("invoice", None)
    assert kinds["638"][0] == "supplementary" and kinds["109"][0] == "credit-note"
    porvoo = next(p for p in run.invoices if p.invoice.code == "638")
    assert [line.text for line in porvoo.lines][-1] == "20 tablets (1.9.2026)"
    credit = next(p.invoice for p in run.invoices if p.invoice.code == "109")
    assert credit.corrects == next(i.number for i in invoices() if i.code == "109" and i.kind == "invoice")
    now = money_columns()
    assert (now[0][: len(first[0])], now[1][: len(first[1])]) == first  # the first issue's invoices as they were
    assert all(billed(code, 2026) == year_total(code, 2026) for code in {i.code for i in invoices()})
    assert issuing.preview("iam", year=2026).invoices == ()


def test_no_issued_invoice_is_ever_updated(in_demo) -> None:
    with_seller()
    issuing.issue("iam", year=2025, date=D(2025, 2, 1), actor="acc")
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        projects.add_members("iam", ["091"], joined=D(2025, 10, 1), decision="KV", actor="lead")
        issuing.issue("iam", year=2025, date=D(2025, 11, 1), actor="acc")
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert statements and not [s for s in statements if s.lstrip().upper().startswith(("UPDATE INVOICES", "UPDATE INVOICE_LINES", "DELETE FROM INVOICE"))]
    row = invoices()[0]
    row.net_cents += 1
    with pytest.raises(RuntimeError, match="never changed"):
        db.session.flush()
    db.session.rollback()


def test_instalments_and_vat_come_from_the_projects_settings(in_demo) -> None:
    with_seller()
    billing.set_settings("iam", instalments=2, vat="25.5", actor="acc")
    first = issuing.issue("iam", year=2027, date=D(2027, 1, 10), terms=30, actor="acc")
    porvoo = next(p.invoice for p in first.invoices if p.invoice.code == "638")
    share = year_total("638", 2027)
    assert (porvoo.instalment, porvoo.instalments, porvoo.net_cents) == (1, 2, (share + 1) // 2)
    assert porvoo.vat_cents == (porvoo.net_cents * 255 + 500) // 1000 and porvoo.total_cents == porvoo.net_cents + porvoo.vat_cents
    assert porvoo.due_date == D(2027, 2, 9)
    second = issuing.issue("iam", year=2027, date=D(2027, 7, 1), actor="acc")
    assert {p.invoice.instalment for p in second.invoices} == {2}
    assert billed("638", 2027) == share
    journal = projects.journal_for(projects.get_project("iam"))
    vat = sum(E.posting_cents(p) for e in journal.entries for p in getattr(e, "postings", ()) if p.account == E.VAT_PAYABLE)
    assert vat == -sum(i.vat_cents for i in invoices())


BAD_ISSUES = [
    ({"year": 2031}, InvalidInput, "not one of the project's years"),
    ({"year": 2026, "due": D(2026, 1, 1), "date": D(2026, 2, 1)}, InvalidInput, "before the invoice date"),
    ({"year": 2026, "due": D(2026, 3, 1), "terms": 30}, InvalidInput, "not both"),
    ({"year": 2026, "terms": 400}, InvalidInput, "0 to 365"),
    ({"year": 2026, "expect_seq": 1}, Conflict, "preview"),
]


def test_bad_input_is_refused_and_nothing_is_posted_or_numbered(in_demo) -> None:
    with_seller()
    before = counts(), projects.get_project("iam").ledger_seq
    for kwargs, error, message in BAD_ISSUES:
        with pytest.raises(error, match=message):
            issuing.issue("iam", actor="acc", **kwargs)
        db.session.expire_all()
        assert (counts(), projects.get_project("iam").ledger_seq) == before, kwargs
    assert issuing.issue("iam", year=2026, actor="acc").invoices[0].invoice.number == 1  # no number was lost


def test_nothing_to_invoice_and_no_seller_are_refused(in_demo) -> None:
    with pytest.raises(Conflict, match="no seller"):
        issuing.preview("iam", year=2025)
    with_seller()
    issuing.issue("iam", year=2025, actor="acc")
    with pytest.raises(Conflict, match="nothing to invoice"):
        issuing.issue("iam", year=2025, actor="acc")
    with pytest.raises(NotFound):
        issuing.issue("nope", year=2025, actor="acc")


def test_the_exported_ledger_passes_bean_check_and_the_history_replays(in_demo, tmp_path: Path) -> None:
    with_seller()
    billing.set_settings("iam", vat="24", actor="acc")
    issuing.issue("iam", year=2025, date=D(2024, 12, 15), actor="acc")  # before the term: posted on its first day
    projects.withdraw_member("iam", "638", left=D(2025, 12, 31), decision="KV", actor="lead")
    issuing.issue("iam", year=2026, actor="acc")
    project = projects.get_project("iam")
    path = tmp_path / "iam.beancount"
    path.write_text(accounting.export(project), encoding="utf-8")
    check = subprocess.run([Path(sys.executable).parent / "bean-check", path], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    rows = db.session.execute(select(ProjectChange).where(ProjectChange.project_id == project.id).order_by(ProjectChange.seq)).scalars().all()
    texts = dict(db.session.execute(select(LedgerPosting.seq, LedgerPosting.text).where(LedgerPosting.project_id == project.id)).all())
    built = {i: E.parse_entries(texts[r.ledger_seq], "iam") for i, r in enumerate(rows) if r.kind == "invoices-issued"}
    replayed = replay(projects.changes_of(project), built)
    for row, entries in zip(rows, replayed.postings, strict=True):
        if row.ledger_seq is not None:
            assert "\n".join(E.format_entry(e) for e in entries) == texts[row.ledger_seq], row.kind
    assert Ledgers().state(project) == replayed.state == projects.state_for(project)


def test_concurrent_issues_number_without_gaps_or_doubles(in_demo) -> None:
    """Three issues at once (two of the same year): the project's lock and the counter row serialise them."""
    app = in_demo
    with_seller()
    db.session.remove()
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def issue(year: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                issuing.issue("iam", year=year, actor=f"acc-{year}")
            except Conflict as exc:  # the same year twice: the second finds nothing left to invoice
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issue, args=(year,)) for year in (2025, 2026, 2026)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    with app.app_context():
        rows = invoices()
        assert sorted(i.number for i in rows) == list(range(1, 35))
        assert sorted((i.year, i.code) for i in rows) == sorted({(i.year, i.code) for i in rows})
        assert len(errors) == 1 and "nothing to invoice" in errors[0].message
        lines = db.session.scalars(select(InvoiceLine.invoice_id)).all()
        assert len(lines) == 34
        db.session.remove()


class Driver:
    """A project driven through the portal's change service, for the histories of tests.common.histories."""

    def __init__(self, slug: str) -> None:
        self.slug = slug

    @property
    def state(self) -> Any:
        return projects.state_for(projects.get_project(self.slug))

    def run(self, kind: str, effective: Any, **params: Any) -> Any:
        return projects.change(self.slug, lambda state, project: projects.make_op(kind, effective, "t", kind, **params))

    def snapshot(self) -> int:
        return projects.get_project(self.slug).ledger_seq


def _issue(slug: str, year: int) -> None:
    with contextlib.suppress(Conflict):  # nothing to invoice
        issuing.issue(slug, year=year, actor="acc")


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(term=terms(), data=st.data())
def test_through_random_changes_and_issues_invoices_follow_the_ledger_and_never_change(app, term, data) -> None:
    start, end, budget = term
    slug, instalments = f"bill-{next(_slugs)}", data.draw(st.sampled_from([1, 2]))
    with app.app_context():
        projects.create_project(slug, name=f"Billing {slug}", start=start, end=end, years=budget, actor="t")
        projects.add_members(slug, data.draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=3, unique=True)), joined=start,
                             decision="", actor="t")
        billing.set_seller(slug, actor="t", **SELLER)  # one seller for every project: one number series
        billing.set_settings(slug, instalments=instalments, actor="t")
        driver = Driver(slug)
        _issue(slug, data.draw(st.sampled_from(sorted(budget))))
        for _ in range(data.draw(st.integers(2, 7))):
            before = money_columns()
            for make, _ in data.draw(changes(start, end, sorted(budget)))[1]:
                try:
                    make(driver)
                except LedgerError:
                    break
            if data.draw(st.booleans()):
                _issue(slug, data.draw(st.sampled_from(sorted(budget))))
            now = money_columns()
            assert (now[0][: len(before[0])], now[1][: len(before[1])]) == before  # nothing issued changed
        for _ in range(2):
            for year in sorted(budget):
                for _ in range(instalments + 1):
                    _issue(slug, year)
        project = projects.get_project(slug)
        mine = [i for i in invoices() if i.project_id == project.id]
        entries = projects.journal_for(project).entries
        for year in sorted(budget):
            for code, cents in held(components(entries, year)).items():
                if cents < 0 and code not in {i.code for i in mine}:
                    continue  # a credit waits for an invoice to correct
                assert sum(i.net_cents for i in mine if (i.code, i.year) == (code, year)) == cents, (code, year)
        _, errors, _ = loader.load_string(accounting.export(project))
        assert errors == []
        numbers = sorted(i.number for i in invoices())
        assert numbers == list(range(1, len(numbers) + 1))  # gap-free across the seller's projects
        db.session.remove()


def test_a_credit_note_credits_vat_at_the_rate_of_the_invoice_it_corrects(in_demo) -> None:
    with_seller()
    billing.set_settings("iam", vat="24", actor="acc")
    issuing.issue("iam", year=2026, date=D(2026, 1, 15), actor="acc")
    billing.set_settings("iam", vat="25.5", actor="acc")
    projects.add_members("iam", ["091"], joined=D(2026, 6, 1), decision="KV", actor="lead")
    run = issuing.issue("iam", year=2026, actor="acc")
    rates = {(p.invoice.code, p.invoice.kind): p.invoice.vat_rate for p in run.invoices}
    assert rates[("638", "credit-note")] == "24" and rates[("091", "invoice")] == "25.5"
    credit = next(p.invoice for p in run.invoices if p.invoice.code == "638")
    assert credit.vat_cents == -((-credit.net_cents * 24 + 50) // 100)

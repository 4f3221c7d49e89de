"""What invoicing computes (ledger.invoicing): the year's components, the next invoices, their entries."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable

import pytest
from beancount import loader
from beancount.core import data
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import entries as E
from ledger import export
from ledger.errors import InvalidInput, LedgerError
from ledger.invoicing import (
    Component,
    Draft,
    Issued,
    Line,
    basis,
    check_instalments,
    components,
    held,
    invoice_entry,
    narration,
    opens,
    outstanding,
    plan,
)
from ledger.money import parse_amount
from tests.common.core import Real, new_project
from tests.common.histories import POOL, changes, terms

D = dt.date
EXAMPLES = int(os.environ.get("INVOICING_EXAMPLES", "60"))


def demo() -> Real:
    """Three members of a 2025–2027 project of 90 000,00 a year; Porvoo charged for tablets in 2026."""
    real = new_project(D(2025, 1, 1), D(2027, 12, 31), {2025: 9_000_000, 2026: 9_000_000, 2027: 9_000_000})
    real.join(["638", "020", "091"], D(2025, 1, 1))
    real.run("charge-added", D(2026, 3, 1), city="638", cents=120_000, text="20 tablets")
    return real


class Books:
    """Invoicing in the core as the portal does it: plan, number, post one ``#invoice`` entry per invoice."""

    def __init__(self, real: Real) -> None:
        self.real = real
        self.issued: list[Issued] = []

    def issue(self, year: int, instalments: int = 1) -> list[Draft]:
        journal = self.real.journal
        drafts = plan(year, components(journal.entries, year), self.issued, instalments=instalments)
        built: list[data.Directive] = list(opens(drafts, journal.accounts(), self.real.state.start, vat=False))
        for draft in drafts:
            number = len(self.issued) + 1
            built.append(invoice_entry(draft, number, date=D(2026, 12, 1), vat_cents=0, meta={"change": "invoices-issued"}))
            self.issued.append(Issued(number, draft.code, draft.year, draft.kind, draft.instalment,
                                      {line.key: line.cents for line in draft.lines}))
        if built:
            journal.add(journal.seq + 1, built)
        return drafts

    def billed(self, code: str, year: int) -> int:
        return sum(sum(i.lines.values()) for i in self.issued if i.code == code and i.year == year)


def year_cells(real: Real, year: int) -> dict[str, int]:
    cells = {**{c: v for (y, c), v in real.journal.assessed_cells().items() if y == year}}
    for (y, c), v in real.journal.charged_cells().items():
        if y == year:
            cells[c] = cells.get(c, 0) + v
    return {c: v for c, v in sorted(cells.items()) if v}


# -- components ----------------------------------------------------------------------------------
def test_a_years_components_are_the_share_the_fees_and_each_charge_and_add_up_to_the_ledger() -> None:
    real = demo()
    found = components(real.journal.entries, 2026)
    assert set(found) == {"020", "091", "638"}
    porvoo = found["638"]
    assert porvoo["share"] == Component("share", "share", 3_000_000)
    (charge,) = [c for c in porvoo.values() if c.kind == "charge"]
    assert (charge.cents, charge.date, charge.text) == (120_000, D(2026, 3, 1), "20 tablets")
    assert {code: v for code, v in held(found).items() if v} == year_cells(real, 2026)
    assert held(components(real.journal.entries, 2025)) == year_cells(real, 2025)


def test_a_cancelled_charge_is_a_component_of_its_own() -> None:
    real = demo()
    real.run("charge-cancelled", D(2026, 4, 1), number=1, reason="wrong city")
    charges = [c for c in components(real.journal.entries, 2026)["638"].values() if c.kind == "charge"]
    assert sorted(c.cents for c in charges) == [-120_000, 120_000]
    assert any(c.text.startswith("cancelled: 20 tablets") for c in charges)


def test_the_basis_of_a_years_share_is_its_rule_and_its_sharers() -> None:
    found = basis(demo().state, 2026)
    assert (found.rule.kind, found.members) == ("equal", 3)


# -- the next invoices ---------------------------------------------------------------------------
def test_the_first_invoice_of_a_year_bills_every_component_in_full() -> None:
    drafts = Books(demo()).issue(2026)
    assert [(d.code, d.kind, d.net, d.instalment, d.corrects) for d in drafts] == [
        ("020", "invoice", 3_000_000, 1, None), ("091", "invoice", 3_000_000, 1, None), ("638", "invoice", 3_120_000, 1, None)]
    porvoo = drafts[-1]
    assert [(line.kind, line.cents, line.correction) for line in porvoo.lines] == [("share", 3_000_000, False), ("charge", 120_000, False)]


def test_nothing_is_invoiced_twice() -> None:
    books = Books(demo())
    books.issue(2026)
    assert books.issue(2026) == []


def test_instalments_split_the_share_the_charges_go_in_full_with_the_first_and_the_last_takes_the_rest() -> None:
    real = new_project(D(2025, 1, 1), D(2026, 12, 31), {2025: 100_001, 2026: 0})
    real.join(["638"], D(2025, 1, 1))
    real.run("charge-added", D(2025, 5, 1), city="638", cents=999, text="travel")
    books = Books(real)
    first = books.issue(2025, instalments=2)
    assert [(d.instalment, d.instalments, [line.cents for line in d.lines]) for d in first] == [(1, 2, [50_001, 999])]
    second = books.issue(2025, instalments=2)
    assert [(d.kind, d.instalment, d.net) for d in second] == [("invoice", 2, 50_000)]
    assert books.billed("638", 2025) == 101_000 and books.issue(2025, instalments=2) == []


def test_after_a_recalculation_the_difference_is_a_supplementary_invoice_or_a_credit_note_naming_the_invoice() -> None:
    real = demo()
    books = Books(real)
    books.issue(2026)
    real.join(["106"], D(2026, 6, 1))  # four share 2026 now: each of the three is owed 7 500,00 back
    drafts = books.issue(2026)
    by_code = {d.code: d for d in drafts}
    assert (by_code["106"].kind, by_code["106"].net, by_code["106"].corrects) == ("invoice", 2_250_000, None)
    for code, number in (("020", 1), ("091", 2), ("638", 3)):
        assert (by_code[code].kind, by_code[code].net, by_code[code].corrects) == ("credit-note", -750_000, number)
        assert by_code[code].lines[0].correction
    real.run("budget-set", D(2026, 7, 1), years={"2026": 10_000_000})  # 100 000,00: 2 500,00 more each
    assert {(d.code, d.kind, d.net, d.corrects) for d in books.issue(2026)} == {
        ("020", "supplementary", 250_000, 1), ("091", "supplementary", 250_000, 2), ("638", "supplementary", 250_000, 3),
        ("106", "supplementary", 250_000, 6)}  # 106 joined as invoice 6 (the second run, by code: 4, 5, 6, 7)
    assert all(books.billed(code, 2026) == cents for code, cents in year_cells(real, 2026).items())


def test_a_negative_amount_for_a_member_never_invoiced_waits_and_a_credit_note_names_its_latest_invoice() -> None:
    targets = {"638": {"share": Component("share", "share", -1)}}
    assert plan(2026, targets, []) == []
    (credit,) = plan(2026, targets, [Issued(7, "638", 2025, "invoice", 1, {"share": 500})])
    assert (credit.kind, credit.net, credit.corrects, credit.instalment) == ("credit-note", -1, 7, None)


def test_a_credit_while_instalments_remain_corrects_only_what_is_beyond_the_whole_year() -> None:
    targets = {"638": {"share": Component("share", "share", 300)}}
    first = Issued(1, "638", 2026, "invoice", 1, {"share": 333})  # a third of 1 000 before the recalculation
    (credit,) = plan(2026, targets, [first], instalments=3)
    assert (credit.kind, credit.net) == ("credit-note", -33)
    assert plan(2026, targets, [first, Issued(2, "638", 2026, "credit-note", None, {"share": -33})], instalments=3) == []


@pytest.mark.parametrize("value", [0, 13, True, "2", None])
def test_instalments_are_one_to_twelve(value: object) -> None:
    with pytest.raises(InvalidInput, match="instalments"):
        check_instalments(value)


# -- the entries ---------------------------------------------------------------------------------
def _draft(kind: str, cents: int, corrects: int | None = None) -> Draft:
    return Draft("638", 2026, kind, (Line("share", "share", cents, kind != "invoice"),), 1 if kind == "invoice" else None, 1, corrects)


def test_an_invoice_entry_moves_the_net_from_members_to_invoiced_with_the_year_and_the_number() -> None:
    entry = invoice_entry(_draft("invoice", 100_000), 12, date=D(2026, 2, 1), vat_cents=25_500, meta={"actor": "t"})
    assert E.check_balanced([entry]) == [] and entry.tags == {"invoice"}
    moves = {p.account: (E.posting_cents(p), dict(p.meta or {})) for p in entry.postings}
    assert moves[E.member_account("638", "Porvoo")][0] == -100_000
    assert moves["Assets:Receivable:Invoiced:Porvoo-638"] == (125_500, {"year": 2026, "invoice": "12"})
    assert moves[E.VAT_PAYABLE][0] == -25_500
    assert entry.meta["invoice"] == "12" and entry.meta["kind"] == "invoice" and entry.narration == "Invoice 12: Porvoo (638), 2026"


def test_a_credit_note_moves_it_back_and_names_the_invoice() -> None:
    entry = invoice_entry(_draft("credit-note", -40_000, corrects=12), 13, date=D(2026, 3, 1), vat_cents=0, meta={})
    assert {p.account: E.posting_cents(p) for p in entry.postings} == {
        E.member_account("638", "Porvoo"): 40_000, E.invoiced_account("638", "Porvoo"): -40_000}
    assert entry.meta["corrects"] == "12" and narration(_draft("credit-note", -1, 12), 13) == "Credit note 13: Porvoo (638), 2026, corrects invoice 12"


@pytest.mark.parametrize("kind, cents, vat", [("invoice", -5, 0), ("credit-note", 5, 0), ("invoice", 100, -1)])
def test_an_entry_whose_signs_contradict_its_kind_is_refused(kind: str, cents: int, vat: int) -> None:
    with pytest.raises(InvalidInput):
        invoice_entry(_draft(kind, cents), 1, date=D(2026, 1, 1), vat_cents=vat, meta={})


def test_opens_are_for_the_accounts_the_ledger_lacks() -> None:
    made = opens([_draft("invoice", 1)], {E.member_account("638", "Porvoo")}, D(2025, 1, 1), vat=True)
    assert [(o.account, o.date) for o in made] == [("Assets:Receivable:Invoiced:Porvoo-638", D(2025, 1, 1)), (E.VAT_PAYABLE, D(2025, 1, 1))]


def test_what_is_outstanding_is_what_the_invoiced_postings_of_each_number_leave() -> None:
    real = demo()
    Books(real).issue(2026)
    assert outstanding(real.journal.entries) == {1: 3_000_000, 2: 3_000_000, 3: 3_120_000}


# -- the property --------------------------------------------------------------------------------
def bean_check(real: Real) -> list[str]:
    text = export.render(real.journal.entries, title="t")
    _, errors, _ = loader.load_string(text)
    return [str(e.message) for e in errors]


def members_left(real: Real, code: str, year: int) -> int:
    """What the member's receivable still holds of a year: assessed or charged, not yet invoiced."""
    return sum(E.posting_cents(p) for e in real.journal.entries if isinstance(e, data.Transaction) for p in e.postings
               if E.code_of_account(p.account) == code and E.posting_year(p) == year)


def _apply(real: Real, steps: Iterable) -> None:
    for make, _ in steps:
        try:
            make(real)
        except LedgerError:
            return


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(term=terms(), data=st.data())
def test_after_random_changes_and_issues_every_members_invoices_of_a_year_come_to_what_the_ledger_holds(term, data) -> None:
    start, end, budget = term
    real = new_project(start, end, budget)
    real.join(data.draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=4, unique=True)), start)
    books = Books(real)
    instalments = data.draw(st.sampled_from([1, 1, 2, 3]))
    for _ in range(data.draw(st.integers(2, 12))):
        if data.draw(st.booleans()):
            before = list(books.issued)
            books.issue(data.draw(st.sampled_from(sorted(budget))), instalments)
            assert books.issued[: len(before)] == before  # nothing issued is ever changed
        else:
            _apply(real, data.draw(changes(start, end, sorted(budget)))[1])
    for _ in range(2):  # every year to the end: all instalments, then the corrections a later invoice makes possible
        for year in sorted(budget):
            for _ in range(instalments + 1):
                books.issue(year, instalments)
    invoiced = {i.code for i in books.issued}
    for year in sorted(budget):
        for code, cents in held(components(real.journal.entries, year)).items():
            if cents < 0 and code not in invoiced:
                assert books.billed(code, year) == 0  # a credit waits until there is an invoice to correct
                continue
            assert books.billed(code, year) == cents, (code, year)
            assert members_left(real, code, year) == 0
    assert E.check_balanced(real.journal.entries) == [] and bean_check(real) == []


def test_the_readmes_query_of_what_is_open_per_invoice_agrees_with_outstanding() -> None:
    real = demo()
    Books(real).issue(2026)
    result = real.journal.query("SELECT meta('invoice'), sum(position) WHERE account ~ '^Assets:Receivable:Invoiced' GROUP BY 1")
    found = {int(invoice): parse_amount(amount.removesuffix(" EUR")) for invoice, amount in result.cells()}
    assert found == outstanding(real.journal.entries) == {1: 3_000_000, 2: 3_000_000, 3: 3_120_000}


def test_a_later_instalment_is_not_a_correction_even_after_a_recalculation() -> None:
    targets = {"638": {"share": Component("share", "share", 900)}}
    (second,) = plan(2026, targets, [Issued(1, "638", 2026, "invoice", 1, {"share": 500})], instalments=2)
    assert (second.kind, second.instalment, second.net, second.lines[0].correction) == ("invoice", 2, 400, False)

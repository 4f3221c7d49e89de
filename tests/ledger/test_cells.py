"""Cells, ``(year, code)`` to cents: a member's total over its cells, and one member's cells; the sums
of a ledger (``Books``), which must be what the entries add up to whatever their tags and accounts."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

import pytest
from beancount.core import data
from beancount.core.amount import Amount
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import entries as E
from ledger.cells import UNTAGGED, Books, member_code, of_member, posting_year, totals_of
from ledger.errors import LedgerError
from ledger.journal import Journal
from tests.common.core import Real, version
from tests.common.histories import changes, terms

CELLS = {(2026, "753"): 200, (2025, "638"): 100, (None, "638"): 5, (2026, "638"): -30, (2025, "020"): 0}


def test_totals_sum_each_members_cells_in_code_order() -> None:
    totals = totals_of(CELLS)
    assert totals == {"020": 0, "638": 75, "753": 200}
    assert list(totals) == ["020", "638", "753"]
    assert totals_of({}) == {}


def test_of_member_keeps_one_members_cells() -> None:
    assert of_member(CELLS, "638") == {(2025, "638"): 100, (None, "638"): 5, (2026, "638"): -30}
    assert of_member(CELLS, "091") == {}


@given(st.dictionaries(st.tuples(st.none() | st.integers(2020, 2030), st.sampled_from(["020", "091", "638", "753"])),
                       st.integers(-10**9, 10**9)))
def test_the_totals_are_the_sums_of_each_members_cells(cells: dict) -> None:
    totals = totals_of(cells)
    assert sum(totals.values()) == sum(cells.values())
    assert totals == {code: sum(of_member(cells, code).values()) for code in sorted({c for _, c in cells})}


# -- the sums of a ledger (Books) ------------------------------------------------------------------
D = dt.date
PORVOO, SIPOO = E.member_account("638", "Porvoo"), E.member_account("753", "Sipoo")
NAMES = {"638": "Porvoo", "753": "Sipoo"}


def posting(account: str, amount: str, currency: str = "EUR", **meta) -> data.Posting:
    return data.Posting(account, Amount(Decimal(amount), currency), None, None, None, meta or None)


def tx(day: dt.date, postings: list, tags: frozenset = frozenset()) -> data.Transaction:
    return data.Transaction({}, day, "*", None, "x", tags, frozenset(), postings)


def test_books_sum_every_eur_posting_by_tag_account_and_year_and_keep_the_opening_dates() -> None:
    entries = [
        E.open_entry(D(2025, 3, 1), PORVOO, {}), E.open_entry(D(2025, 1, 1), PORVOO, {}), E.open_entry(D(2025, 1, 1), "Assets:Bank", {}),
        E.assessment(D(2025, 1, 1), {(2025, "638"): 1_000, (2026, "638"): 500, (None, "753"): 7}, NAMES, "x", {}),
        tx(D(2025, 2, 1), [posting("Assets:Bank", "12.34"), posting(PORVOO, "-12.34")]),
        tx(D(2025, 2, 2), [posting("Assets:Bank", "1.00", "USD"), posting(PORVOO, "-1.00", "USD")]),
        tx(D(2025, 2, 3), [posting(PORVOO, "2.00", year=Decimal(2026)), posting("Assets:Bank", "-2.00")], frozenset({"a", "b"})),
    ]
    books = Books.of(entries)
    assert books.opened == {PORVOO: D(2025, 1, 1), "Assets:Bank": D(2025, 1, 1)}
    assert books.sums[("assessment", PORVOO, 2025)] == 1_000 and books.sums[("assessment", PORVOO, 2026)] == 500
    assert books.sums[("assessment", SIPOO, None)] == 7
    assert books.sums[("assessment", E.CONTRIBUTIONS, 2025)] == -1_000  # every account, not only the members'

    assert books.sums[(UNTAGGED, "Assets:Bank", None)] == 1_234 and books.sums[(UNTAGGED, PORVOO, None)] == -1_234
    assert books.sums[("a", PORVOO, 2026)] == books.sums[("b", PORVOO, 2026)] == 200  # under each of its tags
    assert not any(key[1] == PORVOO and cents == -100 for key, cents in books.sums.items())  # USD is not summed
    assert books.cells("assessment", under=E.RECEIVABLE) == {(2025, "638"): 1_000, (2026, "638"): 500, (None, "753"): 7}
    assert books.cells("a", "b", under=E.RECEIVABLE) == {(2026, "638"): 400}
    assert books.cells("assessment", under="Income") == {}  # Income:Contributions is no member's account
    assert E.assessed_cells(books) == books.cells("assessment", under=E.RECEIVABLE)


@pytest.mark.parametrize("value, year", [(Decimal(2026), 2026), ("2026", 2026), (2026, 2026), (Decimal("2026.5"), None),
                                         ("abc", None), (True, None), (Decimal("NaN"), None), (Decimal(10) ** 30, None),
                                         ("²⁰²⁶", None), (None, None), (0, None)])
def test_a_postings_year_is_a_whole_year_or_none(value, year) -> None:
    assert posting_year(posting(PORVOO, "1.00", **({"year": value} if value is not None else {}))) == year


def test_the_accounts_code_is_its_last_components_ending() -> None:
    assert member_code(PORVOO) == "638" and member_code("Assets:Receivable:Invoiced:Porvoo-638") == "638"
    assert member_code("Assets:Bank") is None and member_code("Assets:Porvoo-638:Sub") is None and member_code("A:B-1638") is None


amounts = st.integers(-10**9, 10**9).map(lambda c: Decimal(c) / 100)
postings_ = st.lists(st.tuples(st.sampled_from([PORVOO, SIPOO, "Assets:Bank", E.CONTRIBUTIONS]), amounts,
                               st.none() | st.integers(2024, 2030), st.sampled_from(["EUR", "EUR", "USD"])), max_size=4)
transactions = st.builds(lambda ps, tags, day: tx(day, [posting(a, str(n), c, **({"year": Decimal(y)} if y else {})) for a, n, y, c in ps],
                                                  frozenset(tags)),
                         postings_, st.sets(st.sampled_from(["assessment", "charge", "fee", "x"]), max_size=2),
                         st.dates(D(2024, 1, 1), D(2030, 12, 31)))
opens_ = st.builds(lambda a, day: E.open_entry(day, a, {}), st.sampled_from([PORVOO, SIPOO, "Assets:Bank"]),
                   st.dates(D(2024, 1, 1), D(2030, 12, 31)))


@given(st.lists(transactions | opens_, max_size=12), st.integers(0, 12))
def test_books_of_two_parts_added_are_the_books_of_the_whole_and_agree_with_add_cells(entries, cut) -> None:
    whole = Books.of(entries)
    assert Books.of(entries[:cut]).plus(Books.of(entries[cut:])) == whole
    for tag in ("assessment", "charge", "fee", "x"):
        cells: dict = {}
        for entry in entries:
            E.add_cells(cells, entry, tag)
        assert whole.cells(tag, under=E.RECEIVABLE) == cells
    assert whole.accounts() == {e.account for e in entries if isinstance(e, data.Open)}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(term=terms(), data=st.data())
def test_after_random_histories_the_books_of_the_entries_are_what_the_journal_holds(term, data) -> None:
    start, end, budget = term
    real = Real(Journal("t"))
    real.run("project-created", start, name="t", start=start.isoformat(), end=end.isoformat(), policy="whole-term",
             budget={str(y): c for y, c in budget.items()}, rule=version("equal", start, [])[0])
    for _ in range(data.draw(st.integers(3, 10))):
        _, steps = data.draw(changes(start, end, sorted(budget)))
        for make, _mirror in steps:
            with contextlib.suppress(LedgerError):
                make(real)
    books = Books.of(real.journal.entries)
    assert E.assessed_cells(books) == real.journal.assessed_cells()
    assert E.charged_cells(books) == real.journal.charged_cells()
    assert E.fee_cells(books) == real.journal.fee_cells()
    assert books.accounts() == real.journal.accounts()

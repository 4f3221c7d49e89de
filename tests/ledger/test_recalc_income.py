"""Income by budget year (ledger.recalc with ledger.entries.recognitions): each year's income is in entries dated in it.

Whatever day a change is posted, Fava's income statement for a year (its time filter) and a BQL
query by the entries' year give exactly what the members are assessed for that year; what is
assessed for other years waits in ``Liabilities:Deferred:Contributions`` until its year.
"""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings

from ledger import entries as E
from ledger import export
from ledger.errors import LedgerError
from ledger.journal import Journal
from ledger.project import Op
from tests.common.ledger import apply, joined, op, run
from tests.ledger.test_recalc import GROWTH, histories

D = __import__("datetime").date
YEARS = range(2025, 2030)


def _year_assessed(journal: Journal) -> dict[int, int]:
    """What the members are assessed for each budget year, in cents (the co-funded amount of the year)."""
    out = dict.fromkeys(YEARS, 0)
    for (year, _), cents in journal.assessed_cells().items():
        assert year is not None
        out[year] += cents
    return out


def _income_by_bql(journal: Journal, year: int) -> int:
    rows = journal.query(f"SELECT sum(number) AS total WHERE account ~ '^Income:Contributions' AND year = {year}").rows
    total = rows[0][0] if rows and rows[0][0] is not None else Decimal(0)
    return -int(Decimal(total) * 100)


def _played(history: list) -> Journal:
    journal = Journal("p")
    state = None
    accepted = 0
    for item in history:
        change = item if isinstance(item, Op) else joined(state, item[1], item[2])
        try:
            state = run(journal, state, change).state
        except LedgerError:
            continue
        accepted += 1
    assume(accepted > 1)
    return journal


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories())
def test_each_years_income_is_that_years_co_funding_whenever_it_was_posted(history: list) -> None:
    journal = _played(history)
    assessed = _year_assessed(journal)
    for year in YEARS:
        assert _income_by_bql(journal, year) == assessed[year]
    for entry in journal.entries:  # no income of a budget year dated outside it
        for posting in getattr(entry, "postings", ()):
            if posting.account.startswith("Income:") and E.posting_year(posting) is not None:
                assert entry.date.year == E.posting_year(posting)
    deferred = journal.query("SELECT sum(number) AS total WHERE account ~ '^Liabilities:Deferred'").rows
    assert not deferred or deferred[0][0] in (None, 0)  # once every recognition is in, nothing stays deferred
    assert E.check_balanced(journal.entries) == []


def _journal() -> Journal:
    """A project assessed on 1.1.2025 for 2025–2029, then changed on 1.3.2026 (a joiner, a new total)."""
    journal = Journal("iam")
    apply(journal, 52_000_000, "population", GROWTH, D(2025, 1, 1))
    state = apply(journal, 60_000_000, "population", [*GROWTH, "444"], D(2026, 3, 1)).state
    run(journal, state, op("charge-added", D(2026, 5, 1), city="444", cents=120_000, text="tablets"))
    return journal


def test_future_years_wait_in_deferred_until_their_first_day() -> None:
    journal = _journal()
    on_2026 = journal.query("SELECT sum(number) AS total WHERE account ~ '^Liabilities:Deferred' AND date <= 2026-12-31").rows
    assessed = _year_assessed(journal)
    assert -int(on_2026[0][0] * 100) == assessed[2027] + assessed[2028] + assessed[2029]
    first_days = journal.query("SELECT DISTINCT date WHERE 'recognition' IN tags AND year >= 2027 ORDER BY date").rows
    assert [r[0] for r in first_days] == [D(2027, 1, 1), D(2028, 1, 1), D(2029, 1, 1)]


def test_the_export_loads_in_bean_check_and_favas_income_statement_for_a_year_is_its_co_funding(tmp_path: Path) -> None:
    from fava.core import FavaLedger

    journal = _journal()
    path = tmp_path / "iam.beancount"
    path.write_text(export.render(journal.entries, title="IAM"), encoding="utf-8")
    check = subprocess.run([Path(sys.executable).parent / "bean-check", path], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    fava = FavaLedger(str(path))
    assert list(fava.errors) == []
    assessed = _year_assessed(journal)
    for year in YEARS:
        tree = fava.get_filtered(time=str(year)).root_tree
        assert tree[E.CONTRIBUTIONS].balance == {("EUR", None): Decimal(-assessed[year]) / 100}
        assert _income_by_bql(journal, year) == assessed[year]
    whole = fava.get_filtered().root_tree
    assert whole[E.CONTRIBUTIONS].balance == {("EUR", None): Decimal(-60_000_000) / 100}


def test_the_balance_sheet_keeps_assessed_apart_from_invoiced() -> None:
    """``Assets:Receivable:Members`` holds only assessed, not invoiced; ``:Invoiced`` only what invoices moved."""
    journal = _journal()
    rows = journal.query("SELECT root(account, 3) AS family, sum(number) AS total WHERE account ~ '^Assets:Receivable' "
                         "GROUP BY family ORDER BY family").rows
    totals = {family: int(total * 100) for family, total in rows}
    charged = sum(journal.charged_cells().values())
    assert totals == {"Assets:Receivable:Members": 60_000_000 + charged}

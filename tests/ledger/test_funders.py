"""Funders' receivables (ledger.funders): a grant or a subsidy is owed by its funder until it pays."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from beancount.core import data

from ledger import entries as E
from ledger import funders as F
from ledger import importer
from ledger.journal import Journal
from tests.common.ledger import apply, op, run
from tests.ledger.test_recalc import GROWTH

D = dt.date


def _balances(journal: Journal, where: str) -> dict[str, int]:
    rows = journal.query(f"SELECT account, sum(number) AS total WHERE {where} GROUP BY account ORDER BY account").rows
    return {account: int(total * 100) for account, total in rows}


def _project() -> tuple[Journal, object]:
    journal = Journal("iam")
    state = apply(journal, 52_000_000, "equal", GROWTH, D(2025, 1, 1)).state
    return journal, state


def test_a_grant_is_owed_by_its_funder_and_is_income_of_its_year_while_shares_stay() -> None:
    journal, state = _project()
    shares_before = journal.assessed_cells()
    result = run(journal, state, op("grant-added", D(2026, 2, 1), year=2027, cents=1_000_000, text="EU grant"))
    funded = [e for e in result.entries() if F.FUNDING_TAG in getattr(e, "tags", ())]
    assert len(funded) == 1 and funded[0].date == D(2026, 2, 1)
    assert _balances(journal, "account ~ '^Assets:Receivable:Funders'") == {"Assets:Receivable:Funders:EU-grant": 1_000_000}
    assert _balances(journal, "account ~ '^Income:Grants' AND year = 2027") == {F.GRANTS: -1_000_000}
    assert _balances(journal, "account ~ '^Income:Grants' AND year = 2026") == {}
    # the members' shares of 2027 fell by the grant (as before), so the year's income is still its budget
    moved = sum(c - shares_before.get(k, 0) for k, c in journal.assessed_cells().items() if k[0] == 2027)
    assert moved == -1_000_000
    assert E.check_balanced(journal.entries) == []


def test_a_later_change_posts_no_funding_again_and_a_subsidy_follows_its_hours() -> None:
    journal, state = _project()
    state = run(journal, state, op("grant-added", D(2026, 2, 1), year=2026, cents=500_000, text="EU grant")).state
    state = run(journal, state, op("budget-set", D(2026, 3, 1), years={"2026": 11_000_000})).state
    assert _balances(journal, "'funding' IN tags AND account ~ 'Funders'") == {"Assets:Receivable:Funders:EU-grant": 500_000}
    state = run(journal, state, op("subsidy-set", D(2026, 3, 2), key="state", rate_cents=5_000, text="State subsidy")).state
    hours = [{"person": "A", "date": "2026-03-10", "task": "dev", "hours": "10"}]
    run(journal, state, op("hours-logged", D(2026, 3, 10), key="state", entries=hours))
    assert _balances(journal, "account ~ 'Funders'") == {"Assets:Receivable:Funders:EU-grant": 500_000,
                                                          "Assets:Receivable:Funders:Subsidy-state": 50_000}
    assert _balances(journal, "account ~ '^Income:Subsidies' AND year = 2026") == {F.SUBSIDIES: -50_000}


def test_the_funders_payment_is_an_import_crediting_its_receivable() -> None:
    journal, state = _project()
    run(journal, state, op("grant-added", D(2026, 2, 1), year=2026, cents=500_000, text="EU grant"))
    text = ('2026-01-01 open Assets:Bank EUR\n2026-04-01 * "EU pays the grant"\n'
            '  Assets:Bank  5000.00 EUR\n  Assets:Receivable:Funders:EU-grant  -5000.00 EUR\n')
    opens = [e for e in journal.entries if isinstance(e, data.Open)]
    checked = importer.validate(text, opens, importer.Term(D(2025, 1, 1), D(2029, 12, 31)))
    journal.add(journal.seq + 1, checked.entries)
    assert _balances(journal, "account ~ 'Funders'") == {"Assets:Receivable:Funders:EU-grant": 0}


def test_funder_accounts_are_valid_beancount_names() -> None:
    assert F.funder_account("EU grant") == "Assets:Receivable:Funders:EU-grant"
    assert F.funder_account("ääni-säätiö") == "Assets:Receivable:Funders:Ääni-säätiö"
    assert F.funder_account("!!!") == "Assets:Receivable:Funders:Funder"
    assert F.income_of(F.funder_account("Subsidy state")) == F.SUBSIDIES and F.income_of("x:EU") == F.GRANTS
    assert Decimal(1)  # keep the import used

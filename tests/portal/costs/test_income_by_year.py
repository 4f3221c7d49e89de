"""Through the portal: each year's income is that year's co-funding, and a grant is owed by its funder."""

from __future__ import annotations

from decimal import Decimal

from portal.accounting import services as accounting
from portal.costs import services as costs


def _total(query: str) -> Decimal:
    rows = accounting.query("iam", query).rows
    return Decimal(rows[0][0]) if rows and rows[0][0] is not None else Decimal(0)


def test_income_of_each_year_and_the_funders_receivable(in_demo) -> None:
    costs.add_grant("iam", year=2027, amount=1_000_000, text="EU grant", actor="test")
    assessed = accounting.query("iam", "SELECT meta('year') AS y, sum(number) AS total WHERE 'assessment' IN tags "
                                       "AND account ~ '^Assets:Receivable:Members' GROUP BY y ORDER BY y").rows
    assert assessed
    for year, total in assessed:
        income = _total(f"SELECT sum(number) WHERE account ~ '^Income:Contributions' AND year = {int(year)}")
        assert income == -Decimal(total)
    owed = _total("SELECT sum(number) WHERE account ~ '^Assets:Receivable:Funders:EU-grant'")
    grants = _total("SELECT sum(number) WHERE account ~ '^Income:Grants' AND year = 2027")
    assert owed == Decimal("10000.00") and grants == Decimal("-10000.00")

"""Funding: a subsidy rounded once on its total and split by each year's hours; grants applied to their
year or to one member's share, never beyond it, and what could not be used reported."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import InvalidInput
from ledger.funding import FundingLine, Grant, HoursEntry, Subsidy, YearLine, funding_lines, subsidy_amount, targeted, year_lines

D = dt.date


def hours(*rows: tuple[int, str]) -> tuple[HoursEntry, ...]:
    return tuple(HoursEntry(f"p{i}", D(year, 3, 1), "dev", Decimal(h)) for i, (year, h) in enumerate(rows))


def test_a_subsidy_is_rounded_once_half_up_on_the_total_then_split_by_year() -> None:
    # 0.33 h x 45.00 = 14.85 EUR, 7.5 h = 337.50 EUR: 7.83 h, 352.35 EUR, split 337.50 / 14.85 by hours
    amount = subsidy_amount(Subsidy(4_500, hours((2025, "7.5"), (2026, "0.33")), "state"))
    assert (amount.hours, amount.exact, amount.cents) == (Decimal("7.83"), Decimal("35235.00"), 35_235)
    assert amount.by_year == {2025: 33_750, 2026: 1_485}
    # three rows of 0.01 h at 0.50 EUR: 1.5 cents once (2), not 0.5 cents three times (0 or 3)
    assert subsidy_amount(Subsidy(50, hours((2025, "0.01"), (2025, "0.01"), (2025, "0.01")), "s")).cents == 2


def test_a_subsidy_without_hours_pays_nothing() -> None:
    for subsidy in (Subsidy(4_500, (), "none"), Subsidy(0, hours((2025, "8")), "free")):
        amount = subsidy_amount(subsidy)
        assert amount.cents == 0 and amount.by_year == {}


@pytest.mark.parametrize("subsidy, message", [
    (Subsidy(4_500, (HoursEntry("Aino", D(2025, 3, 1), "dev", Decimal(-1)),), "x"), "hours of Aino on 2025-03-01 must be a Decimal"),
    (Subsidy(4_500, (HoursEntry("Aino", D(2025, 3, 1), "dev", True),), "x"), "must be a Decimal not below zero"),  # type: ignore[arg-type]
    (Subsidy(-1, hours((2025, "1")), "x"), "the hourly rate must be whole cents"),
])
def test_bad_subsidies_are_refused(subsidy: Subsidy, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        subsidy_amount(subsidy)


@given(st.lists(st.tuples(st.integers(2025, 2027), st.integers(0, 2_400)), max_size=12), st.integers(0, 100_000))
def test_a_subsidys_years_add_up_to_its_one_rounding(rows: list[tuple[int, int]], rate: int) -> None:
    subsidy = Subsidy(rate, tuple(HoursEntry("p", D(y, 1, 1), "t", Decimal(h) / 100) for y, h in rows), "s")
    amount = subsidy_amount(subsidy)
    assert abs(amount.cents - amount.exact) <= Decimal("0.5")
    assert sum(amount.by_year.values()) == amount.cents
    assert set(amount.by_year) <= {y for y, h in rows if h}


def test_funding_lines_by_year_with_the_subsidys_note() -> None:
    lines = funding_lines([Grant(2026, 1_000_000, "EU"), Subsidy(4_500, hours((2026, "1"), (2025, "2")), "state", "638"),
                           Grant(2025, 500, "region", "753")], {"638", "753"})
    assert [(f.year, f.text, f.target, f.cents) for f in lines] == [
        (2025, "region", "753", 500), (2025, "state", "638", 9_000), (2026, "EU", None, 1_000_000), (2026, "state", "638", 4_500)]
    assert lines[1].note.startswith("3 h x 45.00 EUR = 135 EUR, rounded half up once on the total to 135.00 EUR")
    with pytest.raises(InvalidInput, match="funding 'EU' is targeted to 091, not a member"):
        funding_lines([Grant(2026, 1, "EU", "091")], {"638"})
    with pytest.raises(InvalidInput, match="grant 'EU' must be whole cents"):
        funding_lines([Grant(2026, -5, "EU")], {"638"})


def test_general_funding_reduces_its_year_at_most_to_zero() -> None:
    lines = [FundingLine(2025, "EU", None, 300), FundingLine(2025, "region", None, 200), FundingLine(2026, "EU", None, 5_000),
             FundingLine(2026, "to Porvoo", "638", 99), FundingLine(2031, "late", None, 7)]
    years, unused = year_lines({2025: 10_000, 2026: 4_000, 2027: 1_000}, lines)
    assert years == {2025: YearLine(2025, 10_000, 500, 9_500, 0), 2026: YearLine(2026, 4_000, 4_000, 0, 1_000),
                     2027: YearLine(2027, 1_000, 0, 1_000, 0)}
    assert unused == [(2026, None, 1_000), (2031, None, 7)]


def test_targeted_funding_reduces_one_share_never_below_zero() -> None:
    lines = [FundingLine(2025, "a", "638", 300), FundingLine(2025, "b", "638", 300), FundingLine(2026, "c", "753", 50),
             FundingLine(2026, "d", "020", 10), FundingLine(2025, "general", None, 1_000)]
    applied, unused = targeted(lines, {(2025, "638"): 500, (2026, "753"): 80})
    assert applied == {(2025, "638"): 500, (2026, "753"): 50}  # 020 has nothing that year: nothing applied
    assert unused == [(2025, "638", 100), (2026, "020", 10)]

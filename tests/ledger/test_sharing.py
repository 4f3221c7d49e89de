"""Who shares each budget year and by what weight (docs/cost-sharing.md, sections 2 and 5)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import InvalidInput
from ledger.rules import make_version
from ledger.sharing import (
    LEAVERS,
    POLICIES,
    Membership,
    Term,
    check_choice,
    days_in_year,
    periods_by_code,
    sharers,
    shares_whole_term,
    unbounded,
)

D = dt.date
TERM = Term(D(2025, 3, 1), D(2027, 10, 31))


def test_days_are_clipped_to_the_term() -> None:
    always = [Membership("638", D(2024, 1, 1))]
    assert [days_in_year(always, y, TERM) for y in TERM.years] == [306, 365, 304]  # 1.3.–31.12., a whole year, 1.1.–31.10.
    leap = Term(D(2028, 1, 1), D(2028, 12, 31))
    assert days_in_year([Membership("638", D(2028, 2, 29), D(2028, 2, 29))], 2028, leap) == 1
    assert days_in_year([Membership("638", D(2028, 1, 1))], 2028, leap) == 366


def test_each_period_of_a_rejoiner_counts() -> None:
    periods = [Membership("638", D(2025, 3, 1), D(2025, 3, 31)), Membership("638", D(2025, 12, 1))]
    assert days_in_year(periods, 2025, TERM) == 31 + 31


@given(joined=st.dates(D(2025, 3, 1), D(2027, 10, 31)), length=st.integers(0, 1200))
def test_days_of_one_period_over_the_years_add_up_to_its_length_within_the_term(joined: dt.date, length: int) -> None:
    left = min(joined + dt.timedelta(days=length), TERM.end)
    period = [Membership("638", joined, left)]
    assert sum(days_in_year(period, y, TERM) for y in TERM.years) == (left - joined).days + 1


def test_whole_term_a_late_joiner_shares_the_years_before_and_a_leaver_keeps_its_years() -> None:
    late = [Membership("638", D(2027, 6, 1))]
    assert [shares_whole_term(late, y, "keeps-years") for y in (2025, 2026, 2027)] == [True, True, True]
    leaver = [Membership("638", D(2025, 3, 1), D(2026, 12, 31))]
    assert [shares_whole_term(leaver, y, "keeps-years") for y in (2025, 2026, 2027)] == [True, True, False]
    assert [shares_whole_term(leaver, y, "stops") for y in (2025, 2026, 2027)] == [False, False, False]


def test_whole_term_a_rejoiner_skips_the_gap() -> None:
    periods = [Membership("638", D(2025, 3, 1), D(2025, 6, 30)), Membership("638", D(2027, 1, 1))]
    assert [shares_whole_term(periods, y, "keeps-years") for y in (2025, 2026, 2027)] == [True, False, True]
    assert [shares_whole_term(periods, y, "stops") for y in (2025, 2026, 2027)] == [False, False, True]


def test_sharers_by_policy() -> None:
    periods = periods_by_code([Membership("753", D(2026, 7, 1)), Membership("638", D(2025, 3, 1))])
    assert list(periods) == ["638", "753"]
    assert sharers("pro-rata", 2026, periods, TERM, "keeps-years") == {"638": 365, "753": 184}
    assert sharers("pro-rata", 2025, periods, TERM, "keeps-years") == {"638": 306}
    assert sharers("whole-term", 2025, periods, TERM, "keeps-years") == {"638": 1, "753": 1}


def test_hybrid_splits_its_two_parts_separately() -> None:
    """40 % by days, 60 % by population × days: a half-year member of twice the population."""
    version = make_version("hybrid", D(2025, 1, 1), "", population_year=2025, populations={"A": 100, "B": 200}, base_percent="40")
    shares = unbounded(2026, 1_000_000, version, {"A": 365, "B": 182})
    equal = {"A": Fraction(400_000 * 365, 547), "B": Fraction(400_000 * 182, 547)}
    people = {"A": Fraction(600_000 * 100 * 365, 100 * 365 + 200 * 182), "B": Fraction(600_000 * 200 * 182, 100 * 365 + 200 * 182)}
    assert shares.unbounded == {c: equal[c] + people[c] for c in "AB"}
    assert sum(shares.unbounded.values()) == 1_000_000


def test_fixed_needs_every_sharer_and_weights_that_do_not_vanish() -> None:
    fixed = make_version("fixed", D(2025, 1, 1), "", percentages={"A": "75", "B": "25"})
    assert unbounded(2025, 100, fixed, {"A": 1, "B": 1}).unbounded == {"A": 75, "B": 25}
    with pytest.raises(InvalidInput, match="do not name C, who share 2025"):
        unbounded(2025, 100, fixed, {"A": 1, "C": 1})
    population = make_version("population", D(2025, 1, 1), "", population_year=2025, populations={"A": 0})
    with pytest.raises(InvalidInput, match="sum to zero"):
        unbounded(2025, 100, population, {"A": 1})
    assert unbounded(2025, 0, population, {"A": 1}).unbounded == {"A": 0}


def test_choices_are_checked_in_one_place() -> None:
    assert check_choice("pro-rata", POLICIES, "policy") == "pro-rata"
    with pytest.raises(InvalidInput, match="unknown leaver setting 'never'; choose one of: keeps-years, stops"):
        check_choice("never", LEAVERS, "leaver setting")

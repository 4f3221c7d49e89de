"""Joining fees by date tiers: the right tier, exact cents, charged to the joiner only, bad tiers refused."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.budget import Membership, Term, assess
from ledger.errors import InvalidInput
from ledger.joining import fee_tier, joining_charge, joining_fee, make_tiers
from ledger.rules import make_version

D = dt.date
# 1 EUR per resident until 31.10.2010, 3 EUR until 31.3.2011, 6 EUR after.
TIERS = [(D(2010, 10, 31), 100), (D(2011, 3, 31), 300), (None, 600)]


@pytest.mark.parametrize(
    "joined, cents",
    [(D(2009, 1, 1), 5_186_300), (D(2010, 10, 31), 5_186_300), (D(2010, 11, 1), 15_558_900),
     (D(2011, 3, 31), 15_558_900), (D(2011, 4, 1), 31_117_800), (D(2026, 7, 1), 31_117_800)],
)
def test_porvoo_joining_fee_by_tier(joined: dt.date, cents: int) -> None:
    # Porvoo, 51,863 residents: 51,863.00 EUR up to 31.10.2010 (inclusive), 155,589.00 EUR up to
    # 31.3.2011, 311,178.00 EUR from 1.4.2011.
    assert joining_fee(51_863, joined, TIERS) == cents


@given(population=st.integers(0, 700_000), joined=st.dates(D(2000, 1, 1), D(2040, 12, 31)))
def test_fee_is_residents_times_the_first_tier_not_ended(population: int, joined: dt.date) -> None:
    price = next(c for until, c in TIERS if until is None or joined <= until)
    assert joining_fee(population, joined, TIERS) == population * price
    assert fee_tier(joined, TIERS).cents_per_resident == price


def test_the_fee_is_a_direct_charge_to_the_joiner_only() -> None:
    charge = joining_charge("753", 23_006, D(2011, 1, 15), TIERS, 2010)
    assert (charge.code, charge.date, charge.cents) == ("753", D(2011, 1, 15), 6_901_800)
    assert "23006 residents (2010) x 3.00 EUR (until 2011-03-31)" in charge.text
    assert charge.kind == "fee"
    members = [Membership("638", D(2010, 1, 1)), Membership("753", D(2011, 1, 15))]
    a = assess(Term(D(2011, 1, 1), D(2011, 12, 31)), {2011: 1_000_000}, "whole-term", {2011: make_version("equal", D(2010, 1, 1))},
               members, charges=[charge])
    assert a.assessed == {(2011, "638"): 500_000, (2011, "753"): 500_000}
    assert a.charged() == {(2011, "753"): 6_901_800}


@pytest.mark.parametrize(
    "tiers, message",
    [
        ([], "at least one tier"),
        ([(D(2011, 3, 31), 300), (D(2010, 10, 31), 100), (None, 600)], "date order"),
        ([(D(2010, 10, 31), 100), (D(2010, 10, 31), 300), (None, 600)], "without overlap"),
        ([(None, 100), (D(2011, 3, 31), 300)], "open-ended but is not the last"),
        ([(D(2010, 10, 31), 100)], "last tier must be open-ended"),
        ([(D(2010, 10, 31), -1), (None, 600)], "whole cents"),
    ],
)
def test_bad_tiers_are_refused(tiers: list, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        make_tiers(tiers)
    with pytest.raises(InvalidInput):
        joining_fee(1, D(2010, 1, 1), tiers)


def test_a_negative_population_is_refused() -> None:
    with pytest.raises(InvalidInput, match="population"):
        joining_fee(-1, D(2010, 1, 1), TIERS)

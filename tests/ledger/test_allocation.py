"""Allocation properties: exact sums, within one cent, deterministic, order-independent."""

from __future__ import annotations

import datetime as dt
import random
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import municipalities as M
from ledger.allocation import Allocation, Member, largest_remainder
from ledger.errors import InvalidInput
from ledger.params import freeze
from ledger.rules import allocate_version, make_version


def allocate(total: int, kind: str, members: list[Member]) -> Allocation:
    """The rule ``kind`` as a version with the members' populations frozen into it."""
    pops = {"population_year": 2025, "populations": {m.code: m.population for m in members}} if kind == "population" else {}
    return allocate_version(total, make_version(kind, dt.date(2025, 1, 1), **pops), members)


codes = st.integers(min_value=1, max_value=999).map(lambda n: f"{n:03d}")
members = st.dictionaries(codes, st.integers(min_value=1, max_value=700_000), min_size=1, max_size=60).map(
    lambda d: [Member(code, f"City {code}", pop) for code, pop in d.items()]
)
totals = st.integers(min_value=0, max_value=10**11)
rules = st.sampled_from(["equal", "population"])


@settings(max_examples=300)
@given(total=totals, members=members, rule=rules)
def test_shares_sum_exactly_and_each_within_one_cent(total: int, members: list[Member], rule: str) -> None:
    result = allocate(total, rule, members)
    assert sum(result.shares.values()) == total
    for code, cents in result.shares.items():
        assert abs(Fraction(cents) - result.exact[code]) < 1
        assert cents >= 0


@settings(max_examples=200)
@given(total=totals, members=members, rule=rules, seed=st.integers())
def test_result_is_independent_of_input_order(total: int, members: list[Member], rule: str, seed: int) -> None:
    shuffled = list(members)
    random.Random(seed).shuffle(shuffled)
    assert allocate(total, rule, members).shares == allocate(total, rule, shuffled).shares


@settings(max_examples=200)
@given(total=totals, members=members)
def test_deterministic_and_remaining_cents_go_to_largest_remainders_then_lowest_code(total: int, members: list[Member]) -> None:
    first = allocate(total, "equal", members)
    assert first == allocate(total, "equal", members)
    # Under the equal rule all remainders tie: the extra cents go to the lowest codes.
    assert list(first.extra_cent) == sorted(m.code for m in members)[: len(first.extra_cent)]


def test_equal_split_of_the_demo_budget_among_17() -> None:
    names = [f"{n:03d}" for n in range(100, 117)]
    result = allocate(52_000_000, "equal", [Member(c, c, 1) for c in names])
    assert sorted(set(result.shares.values())) == [3_058_823, 3_058_824]
    assert list(result.shares.values()).count(3_058_824) == 9  # 520000.00 = 17 x 30588.23 + 0.09
    assert result.extra_cent == tuple(names[:9])


def test_population_split_among_growth_cities_2025() -> None:
    growth = ["609", "286", "167", "405", "109", "905", "743", "698", "491", "638", "734", "285", "272", "106", "205"]
    cities = [M.lookup(c, 2025) for c in growth]
    version = make_version("population", dt.date(2025, 1, 1), population_year=2025, populations=freeze(growth, 2025))
    result = allocate_version(52_000_000, version, growth)
    total_pop = sum(c.population for c in cities)
    assert sum(result.shares.values()) == 52_000_000
    porvoo = M.lookup("638", 2025).population
    assert abs(result.shares["638"] - Fraction(52_000_000 * porvoo, total_pop)) < 1


def test_largest_remainder_prefers_the_larger_fraction() -> None:
    shares, _, extra = largest_remainder(100, {"001": 1, "002": 2})  # 33.33 and 66.67
    assert shares == {"001": 33, "002": 67} and extra == ("002",)


@pytest.mark.parametrize(
    "kind, year, message",
    [("weird", None, "unknown allocation rule"), ("population", None, "reference year")],
)
def test_bad_rules_are_refused(kind: str, year: int | None, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        make_version(kind, dt.date(2025, 1, 1), population_year=year)


def test_a_year_without_figures_is_refused() -> None:
    with pytest.raises(InvalidInput, match="1999"):
        freeze(["638"], 1999)


def test_a_member_twice_is_refused() -> None:
    with pytest.raises(InvalidInput):
        allocate(100, "equal", [Member("001", "a", 1), Member("001", "a", 1)])

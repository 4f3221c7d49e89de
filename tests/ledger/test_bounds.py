"""Caps and floors on the term share (docs/cost-sharing.md, section 6), on exact shares."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.bounds import apply_bounds
from ledger.errors import InvalidInput

F = Fraction


def even(years: dict[int, int], codes: str) -> dict[int, dict[str, Fraction]]:
    return {y: {c: F(cf, len(codes)) for c in codes} for y, cf in years.items()}


def totals(exact: dict[int, dict[str, Fraction]]) -> dict[str, Fraction]:
    out: dict[str, Fraction] = {}
    for shares in exact.values():
        for c, e in shares.items():
            out[c] = out.get(c, F(0)) + e
    return out


def test_without_bounds_the_shares_are_unchanged() -> None:
    shares = even({2025: 300}, "ABC")
    assert apply_bounds(shares, {2025: 300}, {}, {}, {}).exact == shares


def test_a_cap_holds_over_the_term_and_its_excess_goes_to_the_others_year_by_year() -> None:
    years = {2025: 300, 2026: 600}
    bounded = apply_bounds(even(years, "ABC"), years, {"A": 150}, {}, {})
    assert totals(bounded.exact)["A"] == 150 and bounded.held["A"].bound == "cap"
    for y, cf in years.items():
        assert sum(bounded.exact[y].values()) == cf
    assert bounded.exact[2025]["A"] == 50 and bounded.exact[2026]["A"] == 100  # scaled by one factor: 300 → 150


def test_a_floor_is_met_from_every_year_in_proportion() -> None:
    years = {2025: 300, 2026: 300}
    bounded = apply_bounds(even(years, "ABC"), years, {}, {"C": 400}, {})
    assert totals(bounded.exact)["C"] == 400
    assert bounded.exact[2025]["C"] == bounded.exact[2026]["C"] == 200


def test_what_closed_years_hold_counts_toward_the_bound() -> None:
    years = {2026: 300}
    bounded = apply_bounds(even(years, "ABC"), years, {"A": 150}, {}, {"A": 120})
    assert totals(bounded.exact)["A"] == 30
    with pytest.raises(InvalidInput, match=r"the cap of A \(1\.00\) is below what closed years already hold for it \(1\.20\)"):
        apply_bounds(even(years, "ABC"), years, {"A": 100}, {}, {"A": 120})


def test_bounds_that_cannot_hold_are_refused() -> None:
    years = {2025: 300}
    with pytest.raises(InvalidInput):
        apply_bounds(even(years, "AB"), years, {"A": 10, "B": 10}, {}, {})
    with pytest.raises(InvalidInput):
        apply_bounds(even(years, "AB"), years, {}, {"A": 200, "B": 200}, {})
    with pytest.raises(InvalidInput, match="shares no open year"):
        apply_bounds({2025: {"A": F(300)}}, years, {}, {"B": 10}, {})


@given(cfs=st.lists(st.integers(0, 10_000), min_size=1, max_size=4), cap=st.integers(0, 20_000), floor=st.integers(0, 5_000))
def test_every_bound_holds_and_every_year_sums_to_what_it_co_funds(cfs: list[int], cap: int, floor: int) -> None:
    years = {2025 + i: cf for i, cf in enumerate(cfs)}
    try:
        bounded = apply_bounds(even(years, "ABCD"), years, {"A": cap}, {"D": floor}, {})
    except InvalidInput:
        return  # refused: the bounds cannot hold together
    term = totals(bounded.exact)
    assert term["A"] <= cap and term["D"] >= min(floor, sum(cfs))
    for y, cf in years.items():
        assert sum(bounded.exact[y].values()) == cf and all(e >= 0 for e in bounded.exact[y].values())

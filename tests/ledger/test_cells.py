"""Cells, ``(year, code)`` to cents: a member's total over its cells, and one member's cells."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ledger.cells import of_member, totals_of

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

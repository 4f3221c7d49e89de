"""A member's amount of one budget year is a *cell*: ``(year, municipality code)`` to cents.

Assessments, ledger sums and closed-year checks all speak in cells. Entries written before
budget years existed have no year: their cells have ``None`` for the year.
"""

from __future__ import annotations

from collections.abc import Mapping

Cell = tuple[int | None, str]  # (budget year or None, municipality code)
YearCell = tuple[int, str]     # a cell of a budget year


def totals_of(cells: Mapping[Cell, int] | Mapping[YearCell, int]) -> dict[str, int]:
    """Each member's sum over all its cells, by code in ascending order."""
    totals: dict[str, int] = {}
    for (_, code), cents in cells.items():
        totals[code] = totals.get(code, 0) + cents
    return dict(sorted(totals.items()))


def of_member(cells: Mapping[Cell, int], code: str) -> dict[Cell, int]:
    """The cells of one member."""
    return {cell: cents for cell, cents in cells.items() if cell[1] == code}

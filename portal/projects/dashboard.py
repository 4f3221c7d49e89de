"""The signed-in city's dashboard: what it pays in each budget year, read from the ledger's sums.

Invoiced, paid and open come from billing, which builds on ``projects`` (so ``projects`` may not
import it); :func:`open_amounts` is the one place to switch when a payments reader is available.
"""

from __future__ import annotations

from typing import NamedTuple

from portal.projects import services as projects
from portal.projects.models import Project


class YearRow(NamedTuple):
    year: int
    share: int          # cents assessed to the city for the year


def years(project: Project, code: str) -> list[YearRow]:
    """The city's assessed share per budget year, in year order (withdrawn members keep their past years)."""
    cells = projects.assessed_cells(project)
    return [YearRow(year, cents) for (year, city), cents in sorted(cells.items(), key=lambda kv: kv[0][0] or 0)
            if city == code and year is not None]


def open_amounts(invoiced: int, paid: int | None = None) -> int:
    """What is open of an invoiced amount: for now every invoiced cent counts as open until a payments
    reader gives ``paid``."""
    return invoiced - (paid or 0)

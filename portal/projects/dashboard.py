"""The signed-in city's dashboard: what it pays in each budget year, read from the ledger's sums.

Per budget year: its share (as assessed, after funding), what funding took off it, its direct
charges (own costs, joining fees: the city's own, shown apart from the share) and the total it pays.
Invoiced, paid and open come from billing, which builds on ``projects`` (so ``projects`` may not
import it): the page reads them through billing's template global ``city_billing``.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from ledger import entries as E
from ledger.explain import funding_relief
from ledger.journal import ShareEvent
from ledger.project import assess_state
from portal.formats import date, eur
from portal.projects import services as projects
from portal.projects.ledgers import books
from portal.projects.models import Project


class YearRow(NamedTuple):
    """One budget year of the city, in cents."""

    year: int
    share: int          # assessed to the city for the year (funding already taken off)
    funding: int = 0    # what grants and subsidies took off its share
    charged: int = 0    # its direct charges and joining fees, apart from the share

    @property
    def before_funding(self) -> int:
        """What its share would be without the funding."""
        return self.share + self.funding

    @property
    def total(self) -> int:
        """What the city pays for the year: its share and its own charges."""
        return self.share + self.charged


def years(project: Project, code: str) -> list[YearRow]:
    """The city's budget years in order (withdrawn members keep their past years), from the ledger's
    sums; funding's part from the assessment of the project's state (the ledger holds each year's
    funding per funder, not per member)."""
    sums = books(project, accounts=False)
    shares = {y: v for (y, c), v in E.assessed_cells(sums).items() if c == code and y is not None}
    charged = {y: v for (y, c), v in E.charged_cells(sums).items() if c == code and y is not None}
    assessment = assess_state(projects.state_for(project))
    funding = funding_relief(assessment, code) if assessment is not None and (shares or charged) else {}
    return [YearRow(y, shares.get(y, 0), funding.get(y, 0), charged.get(y, 0))
            for y in sorted(set(shares) | set(charged) | set(funding))]


def withdrawn(project: Project) -> dict[str, dt.date]:
    """Every member that has withdrawn, with its leave date (its latest period's, as the members table
    and the API say): what a page marks beside the member wherever it lists it."""
    state = projects.state_for(project)
    return {code: left for code in state.codes() if (left := state.periods(code)[-1].left) is not None}


def share_history(history: list[ShareEvent]) -> tuple[list[ShareEvent], list[ShareEvent]]:
    """The history's rows that moved the share, and apart from them those that charged the city directly."""
    return [e for e in history if e.is_share], [e for e in history if not e.is_share]


__all__ = ["YearRow", "date", "eur", "share_history", "withdrawn", "years"]  # date, eur: the charts' labels, as the tables write them

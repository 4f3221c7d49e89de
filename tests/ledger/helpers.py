"""Build small project ledgers with the pure core, as the portal does."""

from __future__ import annotations

import datetime as dt

from ledger import entries as E
from ledger import municipalities as M
from ledger.allocation import Member, Rule
from ledger.journal import Journal
from ledger.recalc import Change, recalculate

START = dt.date(2025, 1, 1)


def member(code: str) -> Member:
    city = M.lookup(code, 2025)
    return Member(city.code, city.name, city.population)


def names(codes) -> dict[str, str]:
    return {c: M.lookup(c).name for c in codes}


def apply(journal: Journal, total: int, rule: Rule, codes: list[str], when: dt.date, summary: str = "change"):
    """Recalculate for ``codes`` as members and add the result to ``journal`` as the next posting."""
    if journal.seq == 0:
        journal.add(1, [E.open_entry(START, E.CONTRIBUTIONS, {})])
    all_codes = set(codes) | set(journal.assessed())
    result = recalculate(
        total=total, rule=rule, members=[member(c) for c in codes], assessed=journal.assessed(),
        names=names(all_codes), change=Change("members-added", when, "test", summary), start=START,
        open_accounts=journal.accounts(),
    )
    if result.entries():
        journal.add(journal.seq + 1, result.entries())
    return result

"""Recalculation: from a project's new state and what was assessed before, one balanced entry.

A pure function. Every change of membership, budget or rule recomputes every member's share and
posts, for each city whose share moved, the difference between its new share and what the
ledger has assessed so far. Nothing already posted is edited.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Mapping, NamedTuple, Sequence

from beancount.core import data

from ledger import entries as E
from ledger.allocation import Allocation, Member, Rule, allocate
from ledger.money import fmt


class Change(NamedTuple):
    """What happened, who did it and why: it becomes the entry's narration and metadata."""

    kind: str              # members-added, member-withdrawn, budget-changed, rule-changed
    effective: dt.date     # the join or leave date, or the date a budget or rule applies from
    actor: str             # who: "Name <issuer|sub>" or "cli:user"
    summary: str           # e.g. "Kouvola (286) and Salo (734) joined"
    decision: str = ""     # the council decision or other reference
    recorded: dt.datetime | None = None


class ShareRow(NamedTuple):
    code: str
    name: str
    before: int
    after: int

    @property
    def difference(self) -> int:
        return self.after - self.before


class Recalculation(NamedTuple):
    allocation: Allocation
    rows: list[ShareRow]                  # every city with a share before or after, by code
    transaction: data.Transaction | None  # None when no share changed
    opens: list[data.Open]                # receivable accounts this entry needs first

    @property
    def changed(self) -> list[ShareRow]:
        return [r for r in self.rows if r.difference]

    def entries(self) -> list[data.Directive]:
        return [*self.opens, *([self.transaction] if self.transaction else [])]


def posting_date(change: Change, start: dt.date) -> dt.date:
    """Entries are dated on the effective date, but never before the ledger's accounts open."""
    return max(change.effective, start)


def recalculate(
    *,
    total: int,
    rule: Rule,
    members: Sequence[Member],
    assessed: Mapping[str, int],
    names: Mapping[str, str],
    change: Change,
    start: dt.date,
    open_accounts: set[str],
) -> Recalculation:
    """New shares for ``members`` and the entry that moves every share from ``assessed`` to them."""
    allocation = allocate(total, rule, members)
    codes = sorted(set(allocation.shares) | {c for c, v in assessed.items() if v})
    rows = [ShareRow(c, names[c], assessed.get(c, 0), allocation.shares.get(c, 0)) for c in codes]
    changes = {r.code: r.difference for r in rows if r.difference}
    when = posting_date(change, start)
    recorded = (change.recorded or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
    meta: dict = {
        "change": change.kind,
        "effective": change.effective,
        "actor": change.actor,
        "recorded": recorded.isoformat(),
        "rule": rule.describe(),
        "members": Decimal(len(members)),
        "allocated": fmt(total) + " EUR",
    }
    if change.decision:
        meta["decision"] = change.decision
    narration = f"{change.summary}; shares recalculated ({rule.describe()}, {len(members)} members)"
    transaction = E.assessment(when, changes, names, narration, meta)
    needed = sorted({E.member_account(c, names[c]) for c in changes} | ({E.CONTRIBUTIONS} if sum(changes.values()) else set()))
    opens = [E.open_entry(start, a, {}) for a in needed if a not in open_accounts]
    return Recalculation(allocation, rows, transaction, opens)

"""Recalculation: from a project's new state and what the ledger has assessed, the entries to post.

Pure functions. Every change recomputes every member's share of every budget year
(``ledger.project.assess_state``) and posts, in one balanced ``#assessment`` transaction, the
difference between each new share and what the ledger has assessed so far for that year. A
closed year keeps what was assessed (the ledger's cells of a closed year are never moved); what
the rules would now give it is returned as ``blocked``. A direct charge (a member's own costs, a
joiner's catch-up) is a ``#charge`` transaction of its own; joining fees are derived from the
state, so a change posts the difference of every member's fees in one ``#fee`` transaction.
What either moves for a budget year other than the change's date's year waits in
``Liabilities:Deferred:…`` and a ``#recognition`` entry dated in that year moves it into income
(``ledger.entries.recognitions``): each year's income is in entries dated within it.
Nothing already posted is edited.

:func:`replay` runs a project's stored changes from nothing: it must give exactly the entries the
portal posted, which the tests check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import NamedTuple

from beancount.core import data

from ledger import entries as E
from ledger import funders as F
from ledger import municipalities as M
from ledger.budget import Assessment, Blocked, Charge
from ledger.cells import Books, Cell, YearCell, totals_of
from ledger.changes import apply
from ledger.collector import without_collection
from ledger.money import fmt
from ledger.project import POSTED_AS_BUILT, Op, ProjectState, assess_state, version_for


class ShareRow(NamedTuple):
    """A member's assessed share over the whole term, before and after the change."""

    code: str
    name: str
    before: int
    after: int

    @property
    def difference(self) -> int:
        return self.after - self.before


class CellRow(NamedTuple):
    """A member's share of one budget year, before and after (year None: before budget years)."""

    year: int | None
    code: str
    before: int
    after: int

    @property
    def difference(self) -> int:
        return self.after - self.before


class Recalculation(NamedTuple):
    state: ProjectState
    assessment: Assessment | None
    rows: list[ShareRow]                   # every city with a share before or after, by code
    cells: list[CellRow]                   # every (year, city) that moved, by code then year
    blocked: list[Blocked]                 # what closed years kept out
    charges: list[Charge]                  # direct charges this change posts
    transaction: data.Transaction | None   # the assessment; None when no share moved
    other: list[data.Directive]            # opens first, then charge and fee transactions

    @property
    def changed(self) -> list[ShareRow]:
        return [r for r in self.rows if r.difference]

    def entries(self) -> list[data.Directive]:
        opens = [e for e in self.other if isinstance(e, data.Open)]
        rest = [e for e in self.other if not isinstance(e, data.Open)]
        return [*opens, *([self.transaction] if self.transaction else []), *rest]


def names_for(codes: Iterable[str]) -> dict[str, str]:
    return {c: M.lookup(c).name for c in codes}


def posting_date(op: Op, start: dt.date) -> dt.date:
    """Entries are dated on the effective date, but never before the ledger's accounts open."""
    return max(op.effective, start)


def _meta(op: Op, extra: Mapping[str, object]) -> data.Meta:
    meta: dict[str, object] = {"change": op.kind, "effective": op.effective, "actor": op.actor,
                  "recorded": op.recorded.replace(microsecond=0).isoformat(), **extra}
    if op.decision:
        meta["decision"] = op.decision
    return meta


def _kept(ledger: Mapping[Cell, int], new: Mapping[YearCell, int], closed: Iterable[int]) -> dict[Cell, int]:
    """The new cells, except that a closed year keeps what the ledger holds for it."""
    shut = set(closed)
    kept: dict[Cell, int] = {cell: v for cell, v in new.items() if cell[0] not in shut}
    kept |= {cell: v for cell, v in ledger.items() if cell[0] is not None and cell[0] in shut}
    return kept


def _moves(ledger: Mapping[Cell, int], kept: Mapping[Cell, int]) -> dict[Cell, int]:
    """What to post: each cell's difference; cells from before budget years existed are cleared."""
    moves = dict(kept)
    for cell, v in ledger.items():
        moves[cell] = -v if cell[0] is None else moves.get(cell, 0) - v
    return {cell: v for cell, v in moves.items() if v}


def recalculate(before: ProjectState | None, after: ProjectState, op: Op, *, assessed: Mapping[Cell, int],
                open_accounts: set[str], fees: Mapping[Cell, int] | None = None,
                funded: Mapping[tuple[int, str], int] | None = None) -> Recalculation:
    """The entries that take the ledger from ``assessed`` (its joining ``fees``, its ``funded`` receivables) to ``after``."""
    if op.kind == "project-created":
        created: list[data.Directive] = [E.open_entry(after.start, a, {}) for a in (E.CONTRIBUTIONS,) if a not in open_accounts]
        return Recalculation(after, None, [], [], [], [], None, created)
    assessment = assess_state(after)
    kept = _kept(assessed, assessment.shares() if assessment else {}, after.closed)
    moves = _moves(assessed, kept)
    codes = sorted({c for _, c in kept} | {c for _, c in assessed})
    names = names_for(codes)
    before_totals, after_totals = totals_of(assessed), totals_of(kept)
    current = set(after.current())
    rows = [ShareRow(c, names[c], before_totals.get(c, 0), after_totals.get(c, 0)) for c in codes
            if before_totals.get(c, 0) or after_totals.get(c, 0) or c in current]
    cells = [CellRow(y, c, assessed.get((y, c), 0), assessed.get((y, c), 0) + cents)
             for (y, c), cents in sorted(moves.items(), key=lambda kv: (kv[0][1], kv[0][0] or 0))]
    transaction = _assessment_entry(after, op, moves, names, list(assessment.blocked) if assessment else [])
    new_charges, charge_entries = _charge_entries(before, after, op, names)
    fee_moves = _moves(fees or {}, _kept(fees or {}, _fee_cells(assessment), after.closed))
    for _, code in fee_moves:
        names.setdefault(code, M.lookup(code).name)
    fee_entry = _fee_entry(after, op, fee_moves, names)
    new_charges += [Charge(c, posting_date(op, after.start), v, "joining fee (recalculated)", "fee") for (_, c), v in sorted(fee_moves.items())]
    recognised = [*E.recognitions(transaction, E.CONTRIBUTIONS), *E.recognitions(fee_entry, E.JOINING_FEES)]
    recognised += F.entries(posting_date(op, after.start), F.moves(after, funded or {}), f"{op.summary}; funding owed by its funders",
                            _meta(op, {}))
    needed = {E.member_account(c, names[c]) for c in {c for _, c in moves} | {c for _, c in fee_moves}}
    needed |= {E.member_account(c.code, names[c.code]) for c in new_charges}
    needed |= {p.account for e in [transaction, fee_entry, *recognised] if e for p in e.postings}
    if charge_entries:
        needed.add(E.DIRECT_CHARGES)
    opens: list[data.Directive] = [E.open_entry(after.start, a, {}) for a in sorted(needed) if a not in open_accounts]
    return Recalculation(after, assessment, rows, cells, list(assessment.blocked) if assessment else [], new_charges,
                         transaction, [*opens, *charge_entries, *([fee_entry] if fee_entry else []), *recognised])


def _fee_cells(assessment: Assessment | None) -> dict[YearCell, int]:
    out: dict[YearCell, int] = {}
    for charge in assessment.charges if assessment else ():
        if charge.kind == "fee":
            out[(charge.date.year, charge.code)] = out.get((charge.date.year, charge.code), 0) + charge.cents
    return out


def _fee_entry(after: ProjectState, op: Op, moves: Mapping[Cell, int], names: Mapping[str, str]) -> data.Transaction | None:
    if not moves:
        return None
    meta = _meta(op, {"tiers": ", ".join(f"{t.until or 'after'}={fmt(t.cents_per_resident)}" for t in after.tiers) or "none"})
    return E.year_moves(posting_date(op, after.start), moves, names, f"{op.summary}; joining fees recalculated", meta,
                        tag=E.FEE_TAG, income=E.JOINING_FEES)


def _assessment_entry(after: ProjectState, op: Op, moves: Mapping[Cell, int], names: Mapping[str, str],
                      blocked: list[Blocked]) -> data.Transaction | None:
    """The one ``#assessment`` transaction of a change, or None when no share moved."""
    if not moves:
        return None
    when = posting_date(op, after.start)
    version = version_for(after, when.year)
    meta = _meta(op, {"policy": after.policy, "rule": version.describe(),
                      "members": Decimal(len(after.current())), "allocated": fmt(after.total) + " EUR"})
    narration = f"{op.summary}; shares recalculated ({version.describe()}, {after.policy}, {len(after.current())} members)"
    if blocked:
        narration += f"; closed {', '.join(str(y) for y in sorted({b.year for b in blocked}))} kept"
    return E.assessment(when, moves, names, narration, meta)


def _charge_entries(before: ProjectState | None, after: ProjectState, op: Op,
                    names: dict[str, str]) -> tuple[list[Charge], list[data.Directive]]:
    """The ``#charge`` transactions of the charges a change adds, and the reversals of those it cancels."""
    new_charges = list(after.charges[len(before.charges) if before else 0:])
    new_charges += after.catch_ups[len(before.catch_ups) if before else 0:]
    entries: list[data.Directive] = []
    for charge in new_charges:
        name = names.setdefault(charge.code, M.lookup(charge.code).name)
        meta = _meta(op, {"amount": fmt(charge.cents) + " EUR"})
        entries.append(E.charge(charge.date, charge.code, name, charge.cents, f"{name} ({charge.code}): {charge.text}", meta))
    for number in sorted(set(after.cancelled) - set(before.cancelled if before else ())):
        charge = after.charges[number - 1]
        name = names.setdefault(charge.code, M.lookup(charge.code).name)
        meta = _meta(op, {"amount": fmt(-charge.cents) + " EUR", "cancels": f"charge {number}"})
        entries.append(E.charge(posting_date(op, after.start), charge.code, name, -charge.cents,
                                f"{name} ({charge.code}): cancelled: {charge.text} ({op.params.get('reason', '')})",
                                meta, year=charge.date.year))
        new_charges.append(charge._replace(cents=-charge.cents))
    return new_charges, entries


@without_collection  # some 100,000 short-lived objects, none in a cycle: ledger.collector
def step(state: ProjectState | None, op: Op, *, assessed: Mapping[Cell, int], open_accounts: set[str],
         fees: Mapping[Cell, int] | None = None, funded: Mapping[tuple[int, str], int] | None = None) -> Recalculation:
    """Apply one op and recalculate: what the portal does for every change."""
    return recalculate(state, apply(state, op), op, assessed=assessed, open_accounts=open_accounts, fees=fees, funded=funded)


class Replayed(NamedTuple):
    state: ProjectState | None
    postings: list[list[data.Directive]]   # one list per op; empty when the op posted nothing


def replay(ops: Sequence[Op], imported: Mapping[int, Sequence[data.Directive]] | None = None) -> Replayed:
    """Run ``ops`` from nothing; ``imported[i]`` are the entries op ``i`` (an import, its reversal, issued invoices) posted."""
    imported = imported or {}
    state: ProjectState | None = None
    cells: dict[Cell, int] = {}
    fees: dict[Cell, int] = {}
    funded: dict[tuple[int, str], int] = {}
    accounts: set[str] = set()
    postings: list[list[data.Directive]] = []
    for i, op in enumerate(ops):
        if op.kind in POSTED_AS_BUILT:
            built = list(imported.get(i, ()))
        else:
            result = step(state, op, assessed=cells, open_accounts=accounts, fees=fees, funded=funded)
            state, built = result.state, result.entries()
        for key, cents in F.ledger_cells(Books.of(built)).items():
            funded[key] = funded.get(key, 0) + cents
        for entry in built:
            E.add_cells(cells, entry)
            E.add_cells(fees, entry, E.FEE_TAG)
            if isinstance(entry, data.Open):
                accounts.add(entry.account)
        postings.append(built)
    return Replayed(state, postings)

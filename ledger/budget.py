"""Every member's share of every budget year: the rules of docs/cost-sharing.md put together.

:func:`assess` takes a project's term, budget years, policy, rule versions, membership periods,
funding, charges and closed years, and gives each member's assessed cents per year:

1. each year's co-funded amount: its budget less general funding (``ledger.funding``);
2. who shares each year and their unbounded exact shares (``ledger.sharing``);
3. caps and floors over the term (``ledger.bounds``), closed years held as they were;
4. cumulative rounding, year after year (``ledger.allocation.round_cumulative``);
5. targeted funding off its member's share, never below zero.

Closed years keep exactly what was assessed when they were closed; what the rules would now give
them is reported (:class:`Blocked`), never posted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import NamedTuple

from ledger.allocation import Rounded, Running, largest_remainder, round_cumulative
from ledger.bounds import Bounded, apply_bounds
from ledger.cells import YearCell as Cell
from ledger.errors import InvalidInput, Phrase, Word
from ledger.funding import FundingLine, Grant, Subsidy, Unused, YearLine, funding_lines, targeted, year_lines
from ledger.money import fmt, whole_cents
from ledger.rules import RuleVersion
from ledger.sharing import LEAVERS, POLICIES, Membership, Term, YearShares, check_choice, periods_by_code, sharers, unbounded

__all__ = ["POLICIES", "Assessment", "Blocked", "Charge", "Membership", "Term", "YearResult", "assess", "check_policy"]


def check_policy(policy: object) -> str:
    """The policy, if it is one of :data:`POLICIES`; the one place that says which exist."""
    return check_choice(policy, POLICIES, Word("policy"))


class Charge(NamedTuple):
    """A cost that concerns one member only: charged to it alone, outside the allocation."""

    code: str
    date: dt.date
    cents: int
    text: str
    kind: str = "charge"   # "charge" (a direct charge), "catch-up" (fixed when it joined) or "fee" (a joining fee)


class Blocked(NamedTuple):
    """What a closed year kept out: ``kept`` stays assessed, ``would_be`` is what the rules give now."""

    year: int
    code: str
    kept: int
    would_be: int


class YearResult(NamedTuple):
    """One budget year: its budget line, its sharers, their exact shares and how they were rounded."""

    year: int
    line: YearLine
    version: RuleVersion
    closed: bool
    shares: YearShares | None      # the sharers and their unbounded shares (None: a closed year the rules cannot now give)
    exact: Mapping[str, Fraction]  # the exact shares within the bounds; a closed year: what it keeps
    rounded: Rounded | None        # an open year's cumulative rounding
    allocated: dict[str, int]      # each member's cents of the year's co-funded amount


class Assessment(NamedTuple):
    policy: str
    leaver: str
    memberships: tuple[Membership, ...]
    years: dict[int, YearResult]
    funding: tuple[FundingLine, ...]
    bounds: Bounded
    bounds_version: RuleVersion                  # whose caps and floors bind the term
    targeted: dict[Cell, int]                    # targeted funding taken off the cell
    unused: tuple[Unused, ...]                   # funding that could not be used
    charges: tuple[Charge, ...]
    assessed: dict[Cell, int]                    # allocated − targeted; closed years as kept: what #assessment posts
    blocked: tuple[Blocked, ...]                 # closed years' amounts the rules would now change
    versions: dict[int, RuleVersion]             # the version in force for each budget year

    def shares(self) -> dict[Cell, int]:
        """Each cell's assessed share: what assessment entries post."""
        return dict(self.assessed)

    def charged(self) -> dict[Cell, int]:
        out: dict[Cell, int] = {}
        for c in self.charges:
            out[(c.date.year, c.code)] = out.get((c.date.year, c.code), 0) + c.cents
        return out

    def totals(self) -> dict[str, int]:
        """What each member pays over the whole term: its shares and its direct charges."""
        out: dict[str, int] = {}
        for cells in (self.assessed, self.charged()):
            for (_, code), cents in cells.items():
                out[code] = out.get(code, 0) + cents
        return dict(sorted(out.items()))


def _validate(budget: Mapping[int, int], policy: str, leaver: str, memberships: Iterable[Membership]) -> tuple[Membership, ...]:
    check_policy(policy)
    check_choice(leaver, LEAVERS, Word("leaver setting"))
    if not budget:
        raise InvalidInput("the budget has no years")
    for year, cents in budget.items():
        if isinstance(cents, int) and not isinstance(cents, bool) and cents < 0:
            raise InvalidInput("the budget of %(year)s is negative", year=year)
        whole_cents(cents, Phrase("the budget of %(year)s", year=year))
    members = tuple(sorted(memberships))
    if not members:
        raise InvalidInput("the project has no members")
    for m in members:
        if m.left is not None and m.left < m.joined:
            raise InvalidInput("%(code)s leaves (%(left)s) before it joins (%(joined)s)", code=m.code, left=m.left, joined=m.joined)
    return members


def _year_shares(years: Mapping[int, YearLine], versions: Mapping[int, RuleVersion], periods: Mapping[str, list[Membership]],
                 term: Term, policy: str, leaver: str, closed: Mapping[int, Mapping[str, int]]) -> dict[int, YearShares | None]:
    out: dict[int, YearShares | None] = {}
    for year, line in years.items():
        days = sharers(policy, year, periods, term, leaver)
        if year in closed:
            try:  # only for what the rules would now give: a closed year is never reassessed
                out[year] = unbounded(year, line.co_funded, versions[year], days) if days else None
            except InvalidInput:
                out[year] = None
            continue
        if line.co_funded and not days:
            raise InvalidInput("no member in %(year)s to share its co-funded budget of %(amount)s EUR", year=year,
                               amount=fmt(line.co_funded))
        out[year] = unbounded(year, line.co_funded, versions[year], days)
    return out


def _round(years: Mapping[int, YearLine], shares: Mapping[int, YearShares | None], bounded: Bounded, codes: list[str],
           closed: Mapping[int, Mapping[str, int]]) -> dict[int, tuple[Mapping[str, Fraction], Rounded | None, dict[str, int]]]:
    """Cumulative rounding over the years in order; closed years pass their kept cents through."""
    running = Running.of(codes)
    cents = dict.fromkeys(codes, 0)
    out: dict[int, tuple[Mapping[str, Fraction], Rounded | None, dict[str, int]]] = {}
    for year in sorted(years):
        if year in closed:
            kept = {c: v for c, v in closed[year].items() if v}
            running = running.plus(kept)
            for code, v in kept.items():
                cents[code] = cents.get(code, 0) + v
            out[year] = ({c: Fraction(v) for c, v in kept.items()}, None, kept)
            continue
        exact = bounded.exact.get(year, {})
        running = running.plus(exact)
        year_shares = shares.get(year)
        rounded = round_cumulative(running, cents, year_shares.days if year_shares else ())
        cents = rounded.totals
        out[year] = (exact, rounded, {c: v for c, v in rounded.shares.items() if v or c in exact})
    return out


def _blocked(years: Mapping[int, YearLine], shares: Mapping[int, YearShares | None], lines: list[FundingLine],
             closed: Mapping[int, Mapping[str, int]]) -> tuple[Blocked, ...]:
    """For each closed year, its unbounded shares rounded on their own, against what it keeps."""
    found: list[Blocked] = []
    for year in sorted(closed):
        s = shares.get(year)
        alone = largest_remainder(years[year].co_funded, s.unbounded)[0] if s and years[year].co_funded else {}
        applied, _ = targeted([f for f in lines if f.year == year], {(year, c): v for c, v in alone.items()})
        would_be = {c: v - applied.get((year, c), 0) for c, v in alone.items()}
        kept = closed[year]
        for code in sorted(set(would_be) | set(kept)):
            if would_be.get(code, 0) != kept.get(code, 0):
                found.append(Blocked(year, code, kept.get(code, 0), would_be.get(code, 0)))
    return tuple(found)


def assess(term: Term, budget: Mapping[int, int], policy: str, versions: Mapping[int, RuleVersion],
           memberships: Iterable[Membership], *, funding: Iterable[Grant | Subsidy] = (), charges: Iterable[Charge] = (),
           closed: Mapping[int, Mapping[str, int]] | None = None, leaver: str = "keeps-years",
           bounds: RuleVersion | None = None) -> Assessment:
    """Every member's assessed cents per budget year (docs/cost-sharing.md).

    ``versions`` gives the rule version in force for each budget year; ``closed`` what each closed
    year keeps per member; ``bounds`` the version whose caps and floors bind the term (default: the
    version of the last budget year).
    """
    closed = dict(closed or {})
    members = _validate(budget, policy, leaver, memberships)
    missing = sorted(set(budget) - set(versions))
    if missing:
        raise InvalidInput("no rule version is in force for %(years)s", years=", ".join(map(str, missing)))
    periods = periods_by_code(members)
    codes = sorted(periods)
    lines = funding_lines(funding, set(codes))
    years, unused = year_lines(budget, lines)
    shares = _year_shares(years, versions, periods, term, policy, leaver, closed)
    bounds_version = bounds or versions[max(budget)]
    open_shares = {y: s.unbounded for y, s in shares.items() if y not in closed and s is not None}
    kept: dict[str, int] = {}
    for cells in closed.values():
        for code, v in cells.items():
            kept[code] = kept.get(code, 0) + v
    bounded = apply_bounds(open_shares, {y: years[y].co_funded for y in open_shares}, bounds_version.cap_map,
                           bounds_version.floor_map, kept)
    rounded = _round(years, shares, bounded, codes, closed)
    allocated = {(y, c): v for y, (_, _, a) in rounded.items() if y not in closed for c, v in a.items()}
    applied, unused_targeted = targeted([f for f in lines if f.year not in closed], allocated)
    assessed = {cell: v - applied.get(cell, 0) for cell, v in allocated.items()}
    assessed |= {(y, c): v for y, cells in closed.items() for c, v in cells.items()}
    charge_list = tuple(sorted(charges))
    for charge in charge_list:
        if charge.code not in periods:
            raise InvalidInput("charge %(text)s is to %(code)s, not a member", text=repr(charge.text), code=charge.code)
        whole_cents(charge.cents, Phrase("charge %(text)r", text=charge.text)) if charge.cents >= 0 else None
    result = {y: YearResult(y, years[y], versions[y], y in closed, shares[y], *rounded[y]) for y in sorted(years)}
    every_unused = sorted([*unused, *unused_targeted], key=lambda u: (u[0], u[1] or "", u[2]))
    return Assessment(policy, leaver, members, result, tuple(lines), bounded, bounds_version, applied, tuple(every_unused),
                      charge_list, dict(sorted((k, v) for k, v in assessed.items() if v)),
                      _blocked(years, shares, lines, closed), dict(sorted(versions.items())))

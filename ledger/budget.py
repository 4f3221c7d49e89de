"""A project's budget years, cost-sharing policy, funding and direct charges: who pays what, when.

Policies:

* ``whole-term``: every member pays its share of the whole term's co-funded budget whatever its
  join date; a late joiner's share is thereby credited back to the earlier members. Each member's
  term share (rounded once) is then spread over the years in proportion to the years' budgets.
* ``pro-rata``: each year's co-funded budget is split among that year's members by rule weight ×
  days of membership in the year (inclusive dates, 365 or 366 days).

Each budget year is shared under the rule version in force for it (see ``versions_by_year``).
Under ``whole-term`` the years governed by one version are allocated together; a member that has
left before the term's last budget year ends is no longer part of the term (closed years keep
what it was assessed). Caps and floors bound a member's share of the whole term: the years (or
groups of years) are taken in order, a member's cap in each is what is left of it, and its floor
is made up in its last year (or group) with a budget. General funding (a grant, or a state subsidy on logged hours) reduces its
year's co-funded amount; targeted funding reduces one member's share, never below zero, and what
it could not use is reported. Direct charges go to one member outside the allocation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import NamedTuple

from ledger.allocation import Allocation, largest_remainder
from ledger.cells import YearCell as Cell
from ledger.errors import InvalidInput
from ledger.funding import FundingLine, Grant, Subsidy, YearLine, funding_lines, targeted, year_lines
from ledger.money import fmt, whole_cents
from ledger.rules import RuleVersion, Solution, check_members, round_solution, rule_weights, solve

POLICIES = ("whole-term", "pro-rata")


def check_policy(policy: object) -> str:
    """The policy, if it is one of :data:`POLICIES`; the one place that says which exist."""
    if policy not in POLICIES:
        raise InvalidInput(f"unknown policy {policy!r}; choose one of: {', '.join(POLICIES)}")
    return str(policy)


class Membership(NamedTuple):
    code: str
    joined: dt.date
    left: dt.date | None = None     # last day of membership, inclusive


class Charge(NamedTuple):
    """A cost that concerns one member only: charged to it alone, outside the allocation."""

    code: str
    date: dt.date
    cents: int
    text: str


class Split(NamedTuple):
    """One allocation step, kept for the explanation."""

    label: str
    year: int | None                # None: the whole term
    weights: dict[str, Fraction]    # rule weight, × days under pro-rata; remaining share when spreading
    days: dict[str, int]            # pro-rata only
    solution: Solution | None       # None when spreading term shares over the years
    allocation: Allocation


class Assessment(NamedTuple):
    policy: str
    version: RuleVersion                        # the version of the last budget year
    memberships: tuple[Membership, ...]
    years: dict[int, YearLine]
    funding: tuple[FundingLine, ...]
    splits: tuple[Split, ...]
    allocated: dict[Cell, int]                  # share of the co-funded budget
    exact: dict[Cell, Fraction]                 # the exact value each allocated cell was rounded from
    targeted: dict[Cell, int]                   # targeted funding applied to the cell
    unused: tuple[tuple[int, str | None, int], ...]  # (year, target or None, cents) funding left unused
    charges: tuple[Charge, ...]
    cells: dict[Cell, int]                      # allocated − targeted + charges: what is assessed
    versions: dict[int, RuleVersion]            # the version in force for each budget year

    def shares(self) -> dict[Cell, int]:
        """Each cell's share of the allocation less targeted funding: what assessment entries post."""
        return {cell: cents - self.targeted.get(cell, 0) for cell, cents in self.allocated.items()}

    def totals(self) -> dict[str, int]:
        """What each member pays over the whole term."""
        out: dict[str, int] = {}
        for (_, code), cents in self.cells.items():
            out[code] = out.get(code, 0) + cents
        return dict(sorted(out.items()))


def days_in_year(m: Membership, year: int) -> int:
    """Days of membership within ``year``, both ends inclusive."""
    start = max(m.joined, dt.date(year, 1, 1))
    end = min(m.left or dt.date(year, 12, 31), dt.date(year, 12, 31))
    return max((end - start).days + 1, 0)


def _validate(budget: Mapping[int, int], policy: str, memberships: Iterable[Membership]) -> tuple[Membership, ...]:
    check_policy(policy)
    if not budget:
        raise InvalidInput("the budget has no years")
    for year, cents in budget.items():
        if isinstance(cents, int) and not isinstance(cents, bool) and cents < 0:
            raise InvalidInput(f"the budget of {year} is negative")
        whole_cents(cents, f"the budget of {year}")
    members = tuple(sorted(memberships))
    codes = [m.code for m in members]
    if not members:
        raise InvalidInput("the project has no members")
    if len(set(codes)) != len(codes):
        raise InvalidInput("a member is listed twice")
    for m in members:
        if m.left is not None and m.left < m.joined:
            raise InvalidInput(f"{m.code} leaves ({m.left}) before it joins ({m.joined})")
    return members


def version_groups(versions: Mapping[int, RuleVersion]) -> list[tuple[RuleVersion, list[int]]]:
    """Each rule version with the budget years it governs, in year order.

    The one answer to "which years does this version govern": a version governs a run of
    consecutive years (``ledger.project.version_index`` picks one per year), so the runs are
    found by the version object itself, never by comparing its fields.
    """
    groups: list[tuple[RuleVersion, list[int]]] = []
    for year in sorted(versions):
        if groups and groups[-1][0] is versions[year]:
            groups[-1][1].append(year)
        else:
            groups.append((versions[year], [year]))
    return groups


def _caps_left(caps: Mapping[str, int], paid: Mapping[str, int]) -> dict[str, int]:
    """What is left of each cap after the earlier years; refused when they already pay more."""
    for code, cap in caps.items():
        if paid.get(code, 0) > cap:
            raise InvalidInput(f"the cap of {code} ({fmt(cap)}) is below what it pays in the years before"
                               f" ({fmt(paid[code])})")
    return {c: cap - paid[c] for c, cap in caps.items() if c in paid}


def _whole_term(years: dict[int, YearLine], versions: Mapping[int, RuleVersion], codes: list[str]) -> list[Split]:
    groups = version_groups({y: versions[y] for y in years})
    paid = dict.fromkeys(codes, 0)
    splits: list[Split] = []
    for i, (version, group) in enumerate(groups):
        term = sum(years[y].co_funded for y in group)
        caps = _caps_left(version.cap_map, paid)
        last = i == len(groups) - 1
        floors = {c: max(f - paid[c], 0) for c, f in version.floor_map.items() if c in paid} if last else {}
        solution = solve(term, rule_weights(version, codes), caps, floors)
        allocation = round_solution(solution)
        label = "whole term" if len(groups) == 1 else f"{group[0]}–{group[-1]} (whole term under the version of {version.effective.isoformat()})"
        splits.append(Split(label, None, solution.weights, {}, solution, allocation))
        remaining, left = dict(allocation.shares), term
        for year in group:
            line = years[year]
            weights: dict[str, Fraction] = {c: Fraction(cents) for c, cents in remaining.items()}  # exact cents
            if line.co_funded and left:
                shares, exact, extra = largest_remainder(line.co_funded, weights)
            else:
                shares, exact, extra = dict.fromkeys(codes, 0), {c: Fraction(0) for c in codes}, ()
            splits.append(Split(f"{year}: term shares spread by the year's budget", year, weights, {}, None,
                                Allocation(line.co_funded, shares, exact, extra)))
            remaining = {c: remaining[c] - shares[c] for c in codes}
            left -= line.co_funded
        for code, cents in allocation.shares.items():
            paid[code] += cents
    return splits


def _pro_rata(years: dict[int, YearLine], versions: Mapping[int, RuleVersion], members: tuple[Membership, ...]) -> list[Split]:
    paid = {m.code: 0 for m in members}
    last_year = {m.code: max((y for y, line in years.items() if line.co_funded and days_in_year(m, y)), default=None)
                 for m in members}
    for code, floor in versions[max(years)].floor_map.items():
        if floor and last_year.get(code, 0) is None:
            raise InvalidInput(f"the floor of {code} cannot be met: it is a member in no year with a co-funded budget")
    splits: list[Split] = []
    for year, line in sorted(years.items()):
        version = versions[year]
        caps, floors = version.cap_map, version.floor_map
        days = {m.code: d for m in members if (d := days_in_year(m, year))}
        if not days:
            if line.co_funded:
                raise InvalidInput(f"no member in {year} to share its co-funded budget")
            continue
        base = rule_weights(version, days)
        weights = {c: base[c] * days[c] for c in days}
        year_caps = {c: v for c, v in _caps_left(caps, paid).items() if c in days}
        year_floors = {c: max(floors[c] - paid[c], 0) for c in days if c in floors and last_year[c] == year}
        solution = solve(line.co_funded, weights, year_caps, year_floors)
        allocation = round_solution(solution)
        for code, cents in allocation.shares.items():
            paid[code] += cents
        splits.append(Split(f"{year}: by rule weight x days of membership", year, weights, days, solution, allocation))
    return splits


def term_members(members: Iterable[Membership], years: Iterable[int]) -> list[str]:
    """Who shares the whole term: every member that has not left before the last budget year ends."""
    end = dt.date(max(years), 12, 31)
    return [m.code for m in members if m.left is None or m.left >= end]


def _versions(budget: Mapping[int, int], version: RuleVersion | Mapping[int, RuleVersion],
              populations: Mapping[str, int] | None, codes: list[str]) -> dict[int, RuleVersion]:
    """The version in force for each budget year (one version given: every year under it)."""
    if isinstance(version, RuleVersion):
        if populations:
            version = version.with_populations(populations)
        check_members(version, codes)
        return dict.fromkeys(budget, version)
    missing = sorted(set(budget) - set(version))
    if missing:
        raise InvalidInput(f"no rule version is in force for {', '.join(map(str, missing))}")
    # Each version is checked against the members of the years it governs, by rule_weights.
    return dict(version)


def _splits(policy: str, years: dict[int, YearLine], versions: Mapping[int, RuleVersion],
            members: tuple[Membership, ...]) -> list[Split]:
    if policy == "pro-rata":
        return _pro_rata(years, versions, members)
    sharing = term_members(members, years)
    if not sharing and any(y.co_funded for y in years.values()):
        raise InvalidInput("no member remains to the end of the term to share its budget")
    return _whole_term(years, versions, sharing) if sharing else []


def assess(
    budget: Mapping[int, int],
    policy: str,
    version: RuleVersion | Mapping[int, RuleVersion],
    memberships: Iterable[Membership],
    populations: Mapping[str, int] | None = None,
    *,
    funding: Iterable[Grant | Subsidy] = (),
    charges: Iterable[Charge] = (),
) -> Assessment:
    """Every member's assessment per year and over the term.

    ``version`` is one rule version for every year, or the version in force for each budget year.
    ``populations`` adds figures of a single version's reference year for members it did not
    freeze (later joiners); a figure that differs from a frozen one is refused.
    """
    members = _validate(budget, policy, memberships)
    codes = [m.code for m in members]
    versions = _versions(budget, version, populations, codes)
    lines = funding_lines(funding, set(codes))
    years, unused = year_lines(budget, lines)
    splits = _splits(policy, years, versions, members)
    allocated: dict[Cell, int] = {(y, c): 0 for y in years for c in codes}
    exact: dict[Cell, Fraction] = {cell: Fraction(0) for cell in allocated}
    for split in splits:
        if split.year is not None:
            for code, cents in split.allocation.shares.items():
                allocated[(split.year, code)] = cents
                exact[(split.year, code)] = split.allocation.exact[code]
    applied, unused_targeted = targeted(lines, allocated)
    charge_list = tuple(sorted(charges))
    cells = {cell: cents - applied.get(cell, 0) for cell, cents in allocated.items()}
    for charge in charge_list:
        if charge.code not in codes:
            raise InvalidInput(f"charge {charge.text!r} is to {charge.code}, not a member")
        whole_cents(charge.cents, f"charge {charge.text!r}")
        cells[(charge.date.year, charge.code)] = cells.get((charge.date.year, charge.code), 0) + charge.cents
    every_unused = sorted([*unused, *unused_targeted], key=lambda u: (u[0], u[1] or "", u[2]))
    return Assessment(policy, versions[max(years)], members, years, tuple(lines), tuple(splits), allocated, exact,
                      applied, tuple(every_unused), charge_list, dict(sorted(cells.items())), dict(sorted(versions.items())))


class Blocked(NamedTuple):
    """A change a closed year kept out: ``kept`` stays assessed, ``would_be`` was computed."""

    year: int
    code: str
    kept: int
    would_be: int


def apply_closed(previous: Mapping[Cell, int], new: Mapping[Cell, int],
                 closed_years: Iterable[int]) -> tuple[dict[Cell, int], list[Blocked]]:
    """Closed years keep what was assessed; ``blocked`` lists every amount the change would have moved."""
    closed = set(closed_years)
    result = {cell: cents for cell, cents in new.items() if cell[0] not in closed}
    result.update({cell: cents for cell, cents in previous.items() if cell[0] in closed})
    blocked = [
        Blocked(year, code, previous.get((year, code), 0), new.get((year, code), 0))
        for year, code in sorted(set(previous) | set(new))
        if year in closed and previous.get((year, code), 0) != new.get((year, code), 0)
    ]
    return dict(sorted(result.items())), blocked

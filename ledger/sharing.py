"""Who shares each budget year, and by what weight: docs/cost-sharing.md, sections 2 and 5.

Under **pro-rata** the members with days in a year share it by rule weight × days. Under
**whole-term** a member shares a year by its rule weight alone when its periods reach the year (a
late joiner shares the years before it joined; a leaver keeps the years up to the one it leaves,
or with the setting ``stops`` shares nothing once it has left). The result is each sharer's
*unbounded exact share* of the year's co-funded amount, before caps and floors (``ledger.bounds``)
and rounding (``ledger.allocation.round_cumulative``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Literal, NamedTuple

from ledger.allocation import Over
from ledger.errors import InvalidInput
from ledger.rules import RuleVersion

POLICIES = ("whole-term", "pro-rata")
LEAVERS = ("keeps-years", "stops")      # whole-term: a leaver keeps the years up to its leave, or stops at once
JOINERS = ("open-years", "catch-up")    # whole-term: a joiner shares the open years only, or also pays for closed ones


class Membership(NamedTuple):
    """One membership period of a member; a member that rejoins has several."""

    code: str
    joined: dt.date
    left: dt.date | None = None     # last day of membership, inclusive; None while it lasts


class Term(NamedTuple):
    start: dt.date
    end: dt.date

    @property
    def years(self) -> range:
        return range(self.start.year, self.end.year + 1)


class YearShares(NamedTuple):
    """One year's sharers and their unbounded exact shares, with what the explanation needs."""

    year: int
    days: dict[str, int]                # each sharer's days in the year (1 under whole-term)
    weights: Mapping[str, Fraction]     # rule weight × days (hybrid: of its population part)
    unbounded: Mapping[str, Fraction]   # B[y][c]: exact cents of the co-funded amount


def check_choice(value: object, choices: tuple[str, ...], what: str) -> str:
    """``value`` if it is one of ``choices``: the one check of a policy or a setting (``what``, a
    :class:`~ledger.errors.Word` such as "policy")."""
    if value not in choices:
        raise InvalidInput("unknown %(what)s %(value)s; choose one of: %(choices)s", what=what, value=repr(value),
                           choices=", ".join(choices))
    return str(value)


def periods_by_code(members: Iterable[Membership]) -> dict[str, list[Membership]]:
    """Each member's periods, oldest first."""
    out: dict[str, list[Membership]] = {}
    for m in sorted(members, key=lambda m: (m.code, m.joined)):
        out.setdefault(m.code, []).append(m)
    return out


def days_in_year(periods: Iterable[Membership], year: int, term: Term) -> int:
    """Days of ``year`` inside one of the periods and inside the term, both ends inclusive."""
    total = 0
    for p in periods:
        first = max(p.joined, dt.date(year, 1, 1), term.start)
        last = min(p.left or term.end, dt.date(year, 12, 31), term.end)
        total += max((last - first).days + 1, 0)
    return total


def shares_whole_term(periods: list[Membership], year: int, leaver: str) -> bool:
    """Whether a member shares ``year`` under whole-term (section 5).

    A period reaches back to the term's start when it is the member's first (a late joiner pays
    for the years before it joined), else to its own join year (a rejoiner skips the gap), and
    forward to the year of its leave date. With ``leaver="stops"`` only the open period counts.
    """
    for i, p in enumerate(periods):
        if leaver == "stops" and p.left is not None:
            continue
        reaches_back = i == 0 or year >= p.joined.year
        reaches_forward = p.left is None or year <= p.left.year
        if reaches_back and reaches_forward:
            return True
    return False


def sharers(policy: str, year: int, periods: Mapping[str, list[Membership]], term: Term, leaver: str) -> dict[str, int]:
    """Who shares ``year`` and its days: pro-rata by days of membership, whole-term one each."""
    if policy == "pro-rata":
        return {c: d for c, ps in periods.items() if (d := days_in_year(ps, year, term))}
    return {c: 1 for c, ps in periods.items() if shares_whole_term(ps, year, leaver)}


def _population(version: RuleVersion, pops: Mapping[str, int], code: str) -> int:
    """``code``'s population in the version's frozen figures (``pops``: its ``population_map``, made once per year)."""
    if code not in pops:
        raise InvalidInput("the rule version has no %(year)s population for %(code)s", year=version.population_year, code=code)
    return pops[code]


def _split(amount: Fraction, weights: Mapping[str, Fraction], year: int,
           zero: Literal["sharers", "percentages", "populations"]) -> dict[str, Fraction]:
    """``amount`` split by ``weights``; refused when they sum to zero and there is something to split,
    saying which weights (``zero``) of ``year`` those are."""
    if amount.denominator == 1 and all(w.denominator == 1 for w in weights.values()):
        # Whole amount, whole weights (the usual case): one exact division each, the same values
        # as the general form below at a third of its cost (a year of 300 members is 300 of them).
        whole = sum(w.numerator for w in weights.values())
        if whole:
            return {c: Fraction(amount.numerator * w.numerator, whole) for c, w in weights.items()}
    total = sum(weights.values(), Fraction(0))
    if total == 0:
        if amount == 0:
            return dict.fromkeys(weights, Fraction(0))
        if zero == "sharers":
            raise InvalidInput("nobody shares %(year)s", year=year)
        if zero == "percentages":
            raise InvalidInput("the fixed percentages of the members of %(year)s are all zero", year=year)
        raise InvalidInput("the members' populations in %(year)s sum to zero: nothing to allocate by", year=year)
    return {c: amount * w / total for c, w in weights.items()}


def _by_population(year: int, co_funded: int, version: RuleVersion, days: Mapping[str, int]) -> YearShares | None:
    """The population rule: whole weights (residents x days), so each share is one exact division of whole numbers.

    The same values as :func:`_split` gives (its whole-number case), without making a Fraction of
    every weight first: a year of 300 members is 300 of them, in every year of every change.
    """
    pops = version.population_map
    whole = {c: _population(version, pops, c) * n for c, n in days.items()}
    if any(type(w) is not int for w in whole.values()):
        return None  # figures that are not whole numbers: the general form
    total = sum(whole.values())
    if total == 0:
        if co_funded == 0:
            return YearShares(year, dict(days), {c: Fraction(w) for c, w in whole.items()}, dict.fromkeys(whole, Fraction(0)))
        raise InvalidInput("the members' populations in %(year)s sum to zero: nothing to allocate by", year=year)
    return YearShares(year, dict(days), Over(whole, 1), Over({c: co_funded * w for c, w in whole.items()}, total))


def unbounded(year: int, co_funded: int, version: RuleVersion, days: Mapping[str, int]) -> YearShares:
    """Each sharer's exact share of the year's co-funded amount by the rule, before bounds (section 5)."""
    if version.kind == "population" and type(co_funded) is int and all(type(n) is int for n in days.values()):
        whole = _by_population(year, co_funded, version, days)
        if whole is not None:
            return whole
    amount = Fraction(co_funded)
    d = {c: Fraction(n) for c, n in days.items()}
    if version.kind == "equal":
        weights = d
        shares = _split(amount, weights, year, "sharers")
    elif version.kind == "fixed":
        pct = version.percentage_map
        missing = sorted(c for c in d if c not in pct)
        if missing:
            raise InvalidInput("the fixed percentages do not name %(codes)s, who share %(year)s:"
                               " set a new rule version with a percentage for every member", codes=", ".join(missing), year=year)
        weights = {c: Fraction(pct[c]) * d[c] for c in d}
        shares = _split(amount, weights, year, "percentages")
    else:
        pops = version.population_map
        weights = {c: Fraction(_population(version, pops, c) * n) for c, n in days.items()}
        if version.kind == "population":
            shares = _split(amount, weights, year, "populations")
        else:
            base = Fraction(version.base_percent or 0, 100)
            equal = _split(amount * base, d, year, "sharers")
            by_people = _split(amount * (1 - base), weights, year, "populations")
            shares = {c: equal[c] + by_people[c] for c in d}
    return YearShares(year, dict(days), weights, shares)

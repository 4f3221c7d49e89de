"""Caps and floors bind a member's share of the whole term: docs/cost-sharing.md, section 6.

The bounds are applied at the term level first, as for one allocation (``ledger.rules.solve``,
with each member's unbounded term share as its weight), which says who is held at a bound. Each
held member's shares of the open years are then scaled by one factor to meet its bound, and what
that frees (or takes) in a year is spread over the year's other sharers in proportion to their
unbounded shares; a member that this pushes past its own bound is held too, until none is. Every
step is linear, so the shares stay exact fractions.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import NamedTuple

from ledger.errors import InvalidInput
from ledger.money import fmt
from ledger.rules import solve

Shares = dict[int, Mapping[str, Fraction]]  # year -> code -> exact cents (a dict, or an allocation.Over)


class Held(NamedTuple):
    bound: str       # "cap" or "floor"
    cents: int       # the bound over the whole term
    target: int      # what the open years must give (the bound less what closed years hold)


class Bounded(NamedTuple):
    exact: Shares                  # E[y][c]: the open years' exact shares within the bounds
    held: dict[str, Held]          # the members held at a bound
    level: Fraction | None         # the term-level multiplier of the members not held (None: no bounds)


def _remaining(caps: Mapping[str, int], floors: Mapping[str, int], kept: Mapping[str, int],
               term: Mapping[str, Fraction]) -> tuple[dict[str, int], dict[str, int]]:
    """The bounds less what closed years already hold; refused when a closed year already breaks one."""
    for code, cap in caps.items():
        if kept.get(code, 0) > cap:
            raise InvalidInput("the cap of %(code)s (%(cap)s) is below what closed years already hold for it (%(kept)s):"
                               " closed years cannot be reassessed", code=code, cap=fmt(cap), kept=fmt(kept[code]))
    floors_left = {c: f - kept.get(c, 0) for c, f in floors.items() if f - kept.get(c, 0) > 0}
    for code in floors_left:
        if term.get(code, 0) == 0:
            raise InvalidInput("the floor of %(code)s (%(floor)s) cannot be met: it shares no open year and closed years"
                               " hold %(kept)s for it", code=code, floor=fmt(floors[code]), kept=fmt(kept.get(code, 0)))
    return {c: cap - kept.get(c, 0) for c, cap in caps.items()}, floors_left


def _spread(unbounded: Shares, co_funded: Mapping[int, int], held: Mapping[str, Held], term: Mapping[str, Fraction]) -> Shares:
    """Held members scaled to their targets; each year's rest spread over its other sharers."""
    exact: Shares = {}
    for year, shares in unbounded.items():
        fixed = {c: b * held[c].target / term[c] for c, b in shares.items() if c in held}
        rest = co_funded[year] - sum(fixed.values(), Fraction(0))
        free = {c: b for c, b in shares.items() if c not in held}
        base = sum(free.values(), Fraction(0))
        if rest < 0:
            raise InvalidInput("the floors cannot hold: in %(year)s the members held at a floor would pay more than the"
                               " %(amount)s EUR the members co-fund", year=year, amount=fmt(co_funded[year]))
        if rest and base == 0:
            raise InvalidInput("the caps and floors cannot hold: in %(year)s every member that shares it is held at a bound",
                               year=year)
        exact[year] = {**fixed, **{c: rest * b / base if base else Fraction(0) for c, b in free.items()}}
    return exact


def _broken(exact: Shares, held: Mapping[str, Held], caps: Mapping[str, int], floors: Mapping[str, int],
            cap_left: Mapping[str, int], floor_left: Mapping[str, int]) -> dict[str, Held]:
    totals: dict[str, Fraction] = {}
    for shares in exact.values():
        for c, e in shares.items():
            totals[c] = totals.get(c, Fraction(0)) + e
    broken: dict[str, Held] = {}
    for code, total in totals.items():
        if code in held:
            continue
        if code in cap_left and total > cap_left[code]:
            broken[code] = Held("cap", caps[code], cap_left[code])
        elif code in floor_left and total < floor_left[code]:
            broken[code] = Held("floor", floors[code], floor_left[code])
    return broken


def apply_bounds(unbounded: Shares, co_funded: Mapping[int, int], caps: Mapping[str, int], floors: Mapping[str, int],
                 kept: Mapping[str, int]) -> Bounded:
    """The open years' exact shares with every cap and floor held over the term (section 6).

    ``unbounded`` are the open years' unbounded shares ``B[y][c]``, ``kept`` each member's cents
    in closed years.
    """
    if not caps and not floors:
        return Bounded(unbounded, {}, None)
    term: dict[str, Fraction] = {}
    for shares in unbounded.values():
        for c, b in shares.items():
            term[c] = term.get(c, Fraction(0)) + b
    cap_left, floor_left = _remaining(caps, floors, kept, term)
    weights = {c: u for c, u in term.items() if u > 0}
    total = sum(co_funded[y] for y in unbounded)
    if not weights or total == 0:  # nothing to share in the open years: every bound holds at zero
        return Bounded(unbounded, {}, None)
    solution = solve(total, weights, {c: v for c, v in cap_left.items() if c in weights},
                     {c: v for c, v in floor_left.items() if c in weights})
    held = {c: Held("cap", caps[c], cap_left[c]) for c in solution.capped}
    held |= {c: Held("floor", floors[c], floor_left[c]) for c in solution.floored}
    while True:
        exact = _spread(unbounded, co_funded, held, term)
        broken = _broken(exact, held, caps, floors, cap_left, floor_left)
        if not broken:
            return Bounded(exact, held, solution.level)
        held |= broken

"""Versioned cost-sharing rules, and their exact rational shares with caps and floors.

A :class:`RuleVersion` is one version of a project's cost-sharing: the rule, the decision it rests
on and the date it takes effect. Everything a later recomputation needs is frozen into it (the
populations of its reference year, the percentages, the caps and floors), so a version always
reproduces the same shares; a new reference year or a new percentage is a new version.

Shares are computed in two stages. :func:`solve` gives the exact rational shares (a ``Fraction``
of cents per member) with caps and floors applied; :func:`allocate_version` rounds them with the
largest-remainder method of :mod:`ledger.allocation`, so each share is within one cent of its
exact value and the shares sum exactly to the total. Caps and floors are whole cents, so a member
held at one has an integral exact share, receives no remaining cent and stays within its bound.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from ledger.allocation import Allocation, Member, largest_remainder
from ledger.errors import InvalidInput, Phrase, Word
from ledger.money import fmt, whole_cents

KINDS = ("equal", "population", "hybrid", "fixed")


@dataclass(frozen=True)
class RuleVersion:
    """One version of a project's rule. Mappings are frozen as tuples of pairs sorted by code."""

    kind: str
    effective: dt.date
    decision: str = ""
    population_year: int | None = None
    populations: tuple[tuple[str, int], ...] = ()        # population, hybrid: frozen when set
    base_percent: Fraction | None = None                 # hybrid: the part split equally
    percentages: tuple[tuple[str, Decimal], ...] = ()    # fixed: sum exactly 100
    caps: tuple[tuple[str, int], ...] = ()               # cents: ceiling on the whole term
    floors: tuple[tuple[str, int], ...] = ()             # cents: minimum over the whole term

    @property
    def population_map(self) -> dict[str, int]:
        return dict(self.populations)

    @property
    def percentage_map(self) -> dict[str, Decimal]:
        return dict(self.percentages)

    @property
    def cap_map(self) -> dict[str, int]:
        return dict(self.caps)

    @property
    def floor_map(self) -> dict[str, int]:
        return dict(self.floors)

    def describe(self) -> str:
        """A short label for narrations and metadata, e.g. ``hybrid 40 % equal / 60 % population (2025)``."""
        if self.kind == "population":
            text = f"population ({self.population_year})"
        elif self.kind == "hybrid":
            base = _pct(self.base_percent or Fraction(0))
            rest = _pct(100 - (self.base_percent or Fraction(0)))
            text = f"hybrid {base} % equal / {rest} % population ({self.population_year})"
        elif self.kind == "fixed":
            text = "fixed " + " / ".join(f"{c} {p} %" for c, p in self.percentages)
        else:
            text = self.kind
        if self.caps or self.floors:
            text += f", {len(self.caps)} cap(s), {len(self.floors)} floor(s)"
        return text

    def with_populations(self, extra: Mapping[str, int]) -> RuleVersion:
        """The same version with figures of its reference year added for later joiners.

        Adding a joiner's figure does not change the rule; changing a frozen figure would, so it
        is refused (set a new version with a new reference year instead).
        """
        frozen = self.population_map
        for code, pop in extra.items():
            if code in frozen and frozen[code] != pop:
                raise InvalidInput("the rule version froze population %(frozen)s for %(code)s (%(year)s);"
                                   " %(population)s would change it: set a new rule version instead",
                                   frozen=frozen[code], code=code, year=self.population_year, population=pop)
        merged = {**frozen, **{c: _count(p, c) for c, p in extra.items()}}
        return replace(self, populations=tuple(sorted(merged.items())))


def _pct(value: Fraction | Decimal) -> str:
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    return str((Decimal(value.numerator) / Decimal(value.denominator)).normalize())


def _count(value: object, code: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput("population of %(code)s must be a whole number not below zero (got %(value)s)", code=code,
                           value=repr(value))
    return value


def _exact_number(value: object, what: str) -> Fraction:
    """Decimal, int, Fraction or text to an exact Fraction; floats are refused, never rounded."""
    if isinstance(value, (float, bool)):
        raise InvalidInput("%(what)s must be written exactly (text or Decimal), not as a float", what=what)
    try:
        if isinstance(value, (str, Decimal)):
            return Fraction(Decimal(value))
        if isinstance(value, (int, Fraction)):
            return Fraction(value)
    except (ValueError, TypeError, ArithmeticError):
        pass
    raise InvalidInput("%(what)s %(value)s is not a number", what=what, value=repr(value))


def _populations(kind: str, year: int | None, populations: Mapping[str, int] | None) -> tuple[tuple[str, int], ...]:
    if kind in ("population", "hybrid"):
        if year is None:
            raise InvalidInput("the %(kind)s rule needs the reference year of its populations", kind=Word(kind))
        if populations is None:
            raise InvalidInput("the %(kind)s rule needs the populations of %(year)s, frozen when it is set", kind=Word(kind),
                               year=year)
        return tuple(sorted((c, _count(p, c)) for c, p in populations.items()))
    if year is not None or populations:
        raise InvalidInput("the %(kind)s rule does not use populations", kind=Word(kind))
    return ()


def _base(kind: str, base_percent: object) -> Fraction | None:
    if kind != "hybrid":
        if base_percent is not None:
            raise InvalidInput("the %(kind)s rule has no base percentage", kind=Word(kind))
        return None
    if base_percent is None:
        raise InvalidInput("the hybrid rule needs the percentage split equally (for example 40)")
    base = _exact_number(base_percent, Word("the base percentage"))
    if not 0 <= base <= 100:
        raise InvalidInput("the base percentage must be between 0 and 100 (got %(value)s)", value=_pct(base))
    return base


def _percentages(kind: str, percentages: Mapping[str, object] | None) -> tuple[tuple[str, Decimal], ...]:
    if kind != "fixed":
        if percentages:
            raise InvalidInput("the %(kind)s rule has no percentages", kind=Word(kind))
        return ()
    if not percentages:
        raise InvalidInput("the fixed rule needs a percentage for every member")
    if any(isinstance(p, Fraction) for p in percentages.values()):
        raise InvalidInput("write the percentages as decimals (for example 33.5), not as fractions")
    exact = {c: _exact_number(p, Phrase("the percentage of %(code)s", code=c)) for c, p in percentages.items()}
    for code, p in exact.items():
        if p < 0:
            raise InvalidInput("the percentage of %(code)s must not be negative", code=code)
    if sum(exact.values()) != 100:
        raise InvalidInput("the percentages sum to %(sum)s %%, not exactly 100 %%", sum=_pct(sum(exact.values(), Fraction(0))))
    return tuple(sorted((c, Decimal(str(percentages[c]))) for c in exact))


def _bounds(caps: Mapping[str, int] | None, floors: Mapping[str, int] | None) -> tuple[dict[str, int], dict[str, int]]:
    cap_map = {c: whole_cents(v, Phrase("the cap of %(code)s", code=c)) for c, v in (caps or {}).items()}
    floor_map = {c: whole_cents(v, Phrase("the floor of %(code)s", code=c)) for c, v in (floors or {}).items()}
    for code, floor in floor_map.items():
        if code in cap_map and floor > cap_map[code]:
            raise InvalidInput("the floor of %(code)s (%(floor)s) is above its cap (%(cap)s)", code=code, floor=fmt(floor),
                               cap=fmt(cap_map[code]))
    return cap_map, floor_map


def make_version(
    kind: str,
    effective: dt.date,
    decision: str = "",
    *,
    population_year: int | None = None,
    populations: Mapping[str, int] | None = None,
    base_percent: object = None,
    percentages: Mapping[str, object] | None = None,
    caps: Mapping[str, int] | None = None,
    floors: Mapping[str, int] | None = None,
) -> RuleVersion:
    """A validated, frozen rule version; every refusal is an :class:`InvalidInput` saying why."""
    if kind not in KINDS:
        raise InvalidInput("unknown allocation rule %(kind)s; choose one of: %(kinds)s", kind=repr(kind), kinds=", ".join(KINDS))
    pops = _populations(kind, population_year, populations)
    base = _base(kind, base_percent)
    pcts = _percentages(kind, percentages)
    cap_map, floor_map = _bounds(caps, floors)
    return RuleVersion(
        kind, effective, decision, population_year if kind in ("population", "hybrid") else None, pops, base, pcts,
        tuple(sorted(cap_map.items())), tuple(sorted(floor_map.items())),
    )


def _codes(members: Iterable[str | Member]) -> list[str]:
    codes = [m.code if isinstance(m, Member) else m for m in members]
    if len(set(codes)) != len(codes):
        raise InvalidInput("a member is listed twice")
    if not codes:
        raise InvalidInput("there are no members to share the cost")
    return codes


def rule_weights(version: RuleVersion, codes: Iterable[str]) -> dict[str, Fraction]:
    """Each member's weight under the rule alone, normalised to sum to one over ``codes``."""
    codes = list(codes)
    n = len(codes)
    if version.kind == "equal":
        return {c: Fraction(1, n) for c in codes}
    if version.kind == "fixed":
        pct = version.percentage_map
        missing = [c for c in codes if c not in pct]
        if missing:
            raise InvalidInput("the fixed percentages do not name %(codes)s:"
                               " set a new rule version with a percentage for every member", codes=", ".join(sorted(missing)))
        total = sum(Fraction(pct[c]) for c in codes)
        if total == 0:
            raise InvalidInput("the fixed percentages of these members are all zero")
        return {c: Fraction(pct[c]) / total for c in codes}
    pops = version.population_map
    missing = [c for c in codes if c not in pops]
    if missing:
        raise InvalidInput("the rule version has no %(year)s population for %(codes)s", year=version.population_year,
                           codes=", ".join(sorted(missing)))
    people = sum(pops[c] for c in codes)
    base = Fraction(version.base_percent or 0, 100) if version.kind == "hybrid" else Fraction(0)
    if people == 0:
        if base < 1:
            raise InvalidInput("the members' populations sum to zero: nothing to allocate by")
        return {c: Fraction(1, n) for c in codes}
    return {c: base / n + (1 - base) * Fraction(pops[c], people) for c in codes}


class Solution(NamedTuple):
    """Exact shares with caps and floors: members not held at a bound pay ``level`` × weight."""

    total: int
    weights: dict[str, Fraction]     # the weights spread by (sum to one, or days-weighted)
    exact: dict[str, Fraction]       # cents, summing exactly to total
    level: Fraction                  # the common multiplier of the free members' weights
    capped: tuple[str, ...]          # held at their cap (their weight would give more)
    floored: tuple[str, ...]         # held at their floor (their weight would give less)


def _check_feasible(total: int, w: Mapping[str, Fraction], lo: Mapping[str, Fraction], hi: Mapping[str, Fraction]) -> None:
    """Refuse bounds that cannot hold: a floor above its cap, floors above the total, caps below it."""
    for c, cap in hi.items():
        if lo[c] > cap:
            raise InvalidInput("the floor of %(code)s (%(floor)s) is above its cap (%(cap)s)", code=c, floor=fmt(int(lo[c])),
                               cap=fmt(int(cap)))
    if sum(lo.values()) > total:
        raise InvalidInput("the floors add up to %(floors)s EUR, more than the %(total)s EUR to allocate",
                           floors=fmt(int(sum(lo.values()))), total=fmt(total))
    if not any(w[c] > 0 and c not in hi for c in w):
        room = sum(((hi[c] if w[c] > 0 else lo[c]) for c in w), Fraction(0))
        if room < total:
            raise InvalidInput("the caps can hold at most %(room)s EUR, less than the %(total)s EUR the members must pay",
                               room=fmt(int(room)), total=fmt(total))


def solve(total: int, weights: Mapping[str, Fraction], caps: Mapping[str, int] | None = None,
          floors: Mapping[str, int] | None = None) -> Solution:
    """Exact shares ``clamp(level × weight, floor, cap)`` summing to ``total``.

    This is the fixed point of "hold every member above its cap at the cap and re-spread the
    excess over the others by their weights" (and the same for floors), found directly: the sum
    is piecewise linear and non-decreasing in ``level``, so the level is found exactly between
    two consecutive breakpoints ``bound / weight``. Members are never ordered, so the result
    cannot depend on the order of the input.
    """
    caps, floors = caps or {}, floors or {}
    if total < 0:
        raise InvalidInput("the amount to allocate must not be negative")
    w = {c: Fraction(x) for c, x in weights.items()}
    if any(x < 0 for x in w.values()):
        raise InvalidInput("weights must not be negative")
    lo = {c: Fraction(floors.get(c, 0)) for c in w}
    hi = {c: Fraction(caps[c]) for c in w if c in caps}   # only the capped members
    _check_feasible(total, w, lo, hi)

    def share(c: str, level: Fraction) -> Fraction:
        value = max(level * w[c], lo[c])
        return min(value, hi[c]) if c in hi else value

    def paid(level: Fraction) -> Fraction:
        return sum((share(c, level) for c in w), Fraction(0))

    bounds = [(c, b) for c in w if w[c] > 0 for b in (lo[c], hi.get(c)) if b is not None]
    points = sorted({Fraction(0)} | {b / w[c] for c, b in bounds})
    prev, level = Fraction(0), None
    for point in points:
        at_point = paid(point)
        if at_point >= total:
            at_prev = paid(prev)
            level = prev if at_point == at_prev else prev + (total - at_prev) * (point - prev) / (at_point - at_prev)
            break
        prev = point
    if level is None:  # beyond the last breakpoint only uncapped members still grow
        free = sum((w[c] for c in w if w[c] > 0 and c not in hi), Fraction(0))
        level = prev + (total - paid(prev)) / free
    exact = {c: share(c, level) for c in w}
    assert sum(exact.values()) == total
    capped = tuple(sorted(c for c, cap in hi.items() if level * w[c] > cap))
    floored = tuple(sorted(c for c in w if level * w[c] < lo[c]))
    return Solution(total, w, exact, level, capped, floored)


def check_members(version: RuleVersion, codes: Iterable[str], *, strict: bool = True) -> None:
    """Fixed percentages must name exactly the members; caps and floors only members.

    ``strict=False`` (assessing a stored version) lets a version name former members too: a
    member that left does not make the version it was named in invalid.
    """
    codes = set(codes)
    if version.kind == "fixed":
        named = set(version.percentage_map)
        if strict and named - codes:
            raise InvalidInput("the percentages name non-members: %(codes)s", codes=", ".join(sorted(named - codes)))
        if codes - named:
            raise InvalidInput("the fixed percentages do not name %(codes)s:"
                               " set a new rule version with a percentage for every member", codes=", ".join(sorted(codes - named)))
    if not strict:
        return
    if extra := set(version.cap_map) - codes:
        raise InvalidInput("the caps name non-members: %(codes)s", codes=", ".join(sorted(extra)))
    if extra := set(version.floor_map) - codes:
        raise InvalidInput("the floors name non-members: %(codes)s", codes=", ".join(sorted(extra)))


def solve_version(total: int, version: RuleVersion, members: Iterable[str | Member]) -> Solution:
    codes = _codes(members)
    check_members(version, codes)
    return solve(total, rule_weights(version, codes), version.cap_map, version.floor_map)


def exact_shares(total: int, version: RuleVersion, members: Iterable[str | Member]) -> dict[str, Fraction]:
    """Every member's exact rational share of ``total`` cents, caps and floors applied."""
    return solve_version(total, version, members).exact


def round_solution(solution: Solution) -> Allocation:
    """Round exact shares to cents by largest remainder (ties broken by code)."""
    if solution.total == 0:
        zero = dict.fromkeys(solution.exact, 0)
        return Allocation(0, zero, {c: Fraction(0) for c in zero}, ())
    shares, exact, extra = largest_remainder(solution.total, solution.exact)
    return Allocation(solution.total, shares, exact, extra)


def allocate_version(total: int, version: RuleVersion, members: Iterable[str | Member]) -> Allocation:
    """Every member's share of ``total`` cents under ``version``, in cents summing exactly to it."""
    return round_solution(solve_version(total, version, members))

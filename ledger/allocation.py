"""Turning exact shares into cents: the ledger's two rounding methods.

:func:`largest_remainder` splits one total (a budget over its years, a subsidy over its years,
one allocation): the shares sum exactly to the total and each is within one cent of its exact
value. :func:`round_cumulative` rounds the members' shares year after year by their running
totals (docs/cost-sharing.md, section 8), so that each year sums exactly, each member's term share
is within one cent of its exact value and the remaining cents move round from year to year.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from fractions import Fraction
from typing import NamedTuple, TypeVar

from ledger.errors import InvalidInput

K = TypeVar("K", str, int)  # members are keyed by code, budget years by year


class Member(NamedTuple):
    code: str
    name: str
    population: int


class Allocation(NamedTuple):
    """The result of one allocation, with what is needed to explain it."""

    total: int                      # cents allocated
    shares: dict[str, int]          # code -> cents
    exact: dict[str, Fraction]      # code -> exact share in cents
    extra_cent: tuple[str, ...]     # codes that received one of the remaining cents, in order


def largest_remainder(total: int, weights: Mapping[K, int | Fraction]) -> tuple[dict[K, int], dict[K, Fraction], tuple[K, ...]]:
    """Split ``total`` cents in proportion to ``weights`` (Hamilton's method).

    Each member first gets the floor of its exact share; the cents left over (fewer than the
    number of members) go one each to the largest fractional parts. Ties are broken by the
    key (the municipality code) in ascending order, so the result never depends on input order.
    """
    if total < 0:
        raise InvalidInput("the amount to allocate must not be negative")
    if not weights:
        return {}, {}, ()
    if any(w < 0 for w in weights.values()):
        raise InvalidInput("weights must not be negative")
    # Integer arithmetic on a common denominator: the same result as exact Fractions, several
    # times faster (a recalculation spreads hundreds of members over every budget year).
    scale = math.lcm(*(1 if isinstance(w, int) else Fraction(w).denominator for w in weights.values()))
    whole = {key: w * scale if isinstance(w, int) else int(Fraction(w) * scale) for key, w in weights.items()}
    weight_sum = sum(whole.values())
    if weight_sum == 0:
        raise InvalidInput("the weights sum to zero: nothing to allocate by")
    parts = {key: divmod(total * w, weight_sum) for key, w in whole.items()}
    shares = {key: q for key, (q, _) in parts.items()}
    exact = {key: Fraction(total * w, weight_sum) for key, w in whole.items()}
    left = total - sum(shares.values())
    order = sorted(parts, key=lambda key: (-parts[key][1], key))
    extra = tuple(order[:left])
    for key in extra:
        shares[key] += 1
    return shares, exact, extra


class Rounded(NamedTuple):
    """One year of cumulative rounding (docs/cost-sharing.md, section 8), with its reasons.

    The running exact totals are kept as whole numerators over one common denominator (what
    :func:`round_cumulative` computes with); :attr:`exact` gives them as Fractions, for an explanation.
    """

    shares: dict[str, int]          # the year's share of each member: the running total's step
    totals: dict[str, int]          # each member's running total in cents after the year
    numerators: dict[str, int]      # each member's running exact total after the year, times ``denominator``
    denominator: int
    extra: tuple[str, ...]          # who received one of the year's remaining cents, in order
    kept_back: tuple[str, ...]      # of those, who received it so as not to pay less than before

    @property
    def exact(self) -> dict[str, Fraction]:
        """Each member's running exact total after the year."""
        return {c: Fraction(n, self.denominator) for c, n in self.numerators.items()}


class Over(Mapping[str, Fraction]):
    """Exact amounts as whole numerators over one denominator, read as Fractions.

    What the population rule gives (a year's shares are ``budget × weight / Σ weights``): a
    Fraction is made only for a value that is read (an explanation, a bound), while
    :meth:`Running.plus` adds the numerators as they are, with no Fraction and no reduction for
    each of a year's 300 members.
    """

    __slots__ = ("denominator", "numerators")

    def __init__(self, numerators: dict[str, int], denominator: int) -> None:
        self.numerators, self.denominator = numerators, denominator

    def __getitem__(self, code: str) -> Fraction:
        return Fraction(self.numerators[code], self.denominator)

    def __iter__(self) -> Iterator[str]:
        return iter(self.numerators)

    def __len__(self) -> int:
        return len(self.numerators)

    def __repr__(self) -> str:
        return f"Over({dict(self)!r})"


class Running(NamedTuple):
    """Running exact totals in cents: each member's numerator over one common denominator.

    Exact like Fractions, but a year's shares are added with two integer operations each instead
    of a Fraction's addition and its reduction (a 300-member project adds 3,000 of them per change).
    """

    numerators: dict[str, int]
    denominator: int

    @staticmethod
    def of(codes: Iterable[str]) -> Running:
        return Running(dict.fromkeys(codes, 0), 1)

    def plus(self, amounts: Mapping[str, Fraction | int]) -> Running:
        """These totals with ``amounts`` added (whole cents, exact Fractions, or an :class:`Over`)."""
        if isinstance(amounts, Over):
            denominator = math.lcm(self.denominator, amounts.denominator)
            scale, factor = denominator // self.denominator, denominator // amounts.denominator
            numerators = {c: n * scale for c, n in self.numerators.items()} if scale != 1 else dict(self.numerators)
            for code, n in amounts.numerators.items():
                numerators[code] = numerators.get(code, 0) + n * factor
            return Running(numerators, denominator)
        fractions = [a for a in amounts.values() if not isinstance(a, int)]
        denominator = math.lcm(self.denominator, *{a.denominator for a in fractions})
        scale = denominator // self.denominator
        numerators = {c: n * scale for c, n in self.numerators.items()} if scale != 1 else dict(self.numerators)
        for code, amount in amounts.items():
            if isinstance(amount, int):
                step = amount * denominator
            else:
                step = amount.numerator * (denominator // amount.denominator)
            numerators[code] = numerators.get(code, 0) + step
        return Running(numerators, denominator)


def round_cumulative(exact: Running, before: Mapping[str, int], sharers: Iterable[str]) -> Rounded:
    """Round running exact totals to cents so that their sum is kept and no one is favoured by code.

    ``exact`` is every member's running exact total after the year (its sum a whole number of
    cents), ``before`` its running total in cents before it. Each member gets the floor of its
    exact total; the cents left over go one each, in this order, to the members whose share of the
    year would otherwise be negative, then to the year's ``sharers``, then to the others; within
    each group the largest fractional part first, then the lowest code. Each running total stays
    within a cent of its exact value, so a member whose remainder ranked high one year ranks low
    the next: the extra cent moves round instead of going to the same codes every year.
    """
    in_year = set(sharers)
    # The fractional parts over the common denominator: exact integers to sum and to sort by, the
    # same order and sum as the Fractions themselves, without a Fraction operation per comparison
    # (a change of a 300-member project sorts 300 members in each of ten years).
    common, numerators = exact.denominator, exact.numerators
    floors = {c: n // common for c, n in numerators.items()}
    parts = {c: n % common for c, n in numerators.items()}
    left, rest = divmod(sum(parts.values()), common)
    if rest:
        raise InvalidInput("the running totals to round do not sum to whole cents")

    ranked = sorted((0 if floors[c] < before.get(c, 0) else 1 if c in in_year else 2, -part, c)
                    for c, part in parts.items() if part)  # tuples compared in C, not a key function per member
    extra = tuple(c for _, _, c in ranked[:left])
    totals = dict(floors)
    for code in extra:
        totals[code] += 1
    shares = {c: totals[c] - before.get(c, 0) for c in numerators}
    kept_back = tuple(c for c in extra if floors[c] < before.get(c, 0))
    return Rounded(shares, totals, numerators, common, extra, kept_back)  # a Running's dict: never changed

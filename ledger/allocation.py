"""Splitting an allocated total into integer-cent shares: the one rounding method of the ledger.

Every rule (``ledger.rules``) reduces to exact shares; :func:`largest_remainder` turns them into
cents so that the shares sum exactly to the total and each is within one cent of its exact value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
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

"""Joining fees: a price per resident that rises with the date of joining, paid by the joiner only.

Tiers are ``(last date inclusive, cents per resident)`` in date order, the last one open-ended
(``None``): 1 EUR per resident until 31.10.2010, 3 EUR until 31.3.2011, 6 EUR after is
``[(date(2010, 10, 31), 100), (date(2011, 3, 31), 300), (None, 600)]``. The fee is a direct
charge to the joiner (see :func:`joining_charge`), outside the allocation among the members.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple

from ledger.budget import Charge
from ledger.errors import InvalidInput
from ledger.money import fmt


class Tier(NamedTuple):
    until: dt.date | None      # last joining date of the tier, inclusive; None: open-ended
    cents_per_resident: int


def make_tiers(pairs: Iterable[tuple[dt.date | None, int]]) -> tuple[Tier, ...]:
    """Validated tiers: dates strictly increasing, only the last one open-ended, prices whole cents."""
    tiers = tuple(Tier(until, cents) for until, cents in pairs)
    if not tiers:
        raise InvalidInput("a joining fee needs at least one tier")
    for i, tier in enumerate(tiers):
        if isinstance(tier.cents_per_resident, bool) or not isinstance(tier.cents_per_resident, int) or tier.cents_per_resident < 0:
            raise InvalidInput("tier %(n)s: the price per resident must be whole cents not below zero", n=i + 1)
        last = i == len(tiers) - 1
        if tier.until is None and not last:
            raise InvalidInput("tier %(n)s is open-ended but is not the last tier", n=i + 1)
        if tier.until is not None and last:
            raise InvalidInput("the last tier must be open-ended (no end date): every joining date needs a price")
        before = tiers[i - 1].until if i else None
        if tier.until is not None and before is not None and tier.until <= before:
            raise InvalidInput("tier %(n)s ends %(until)s, not after tier %(previous)s (%(before)s):"
                               " tiers must be in date order without overlap", n=i + 1, until=tier.until.isoformat(), previous=i,
                               before=before.isoformat())
    return tiers


def fee_tier(joined: dt.date, tiers: Iterable[tuple[dt.date | None, int]]) -> Tier:
    """The tier whose period contains ``joined``: the first that has not ended by then."""
    for tier in make_tiers(tiers):
        if tier.until is None or joined <= tier.until:
            return tier
    raise AssertionError("the last tier is open-ended")  # pragma: no cover


def joining_fee(population: int, joined: dt.date, tiers: Iterable[tuple[dt.date | None, int]]) -> int:
    """The fee in cents: residents × the price of the tier of the joining date (exact, no rounding)."""
    if isinstance(population, bool) or not isinstance(population, int) or population < 0:
        raise InvalidInput("the population must be a whole number not below zero (got %(population)s)", population=repr(population))
    return population * fee_tier(joined, tiers).cents_per_resident


def joining_charge(code: str, population: int, joined: dt.date, tiers: Iterable[tuple[dt.date | None, int]],
                   population_year: int | None = None) -> Charge:
    """The joining fee as a direct charge to the joiner, dated on its joining date."""
    tiers = make_tiers(tiers)
    tier = fee_tier(joined, tiers)
    fee = joining_fee(population, joined, tiers)
    year = f" ({population_year})" if population_year else ""
    until = f"until {tier.until.isoformat()}" if tier.until else "open-ended tier"
    text = f"joining fee: {population} residents{year} x {fmt(tier.cents_per_resident)} EUR ({until})"
    return Charge(code, joined, fee, text, "fee")

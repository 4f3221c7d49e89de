"""Cost-sharing rules: split an allocated total into integer-cent shares.

Every rule reduces to weights; :func:`largest_remainder` turns weights into cents so that the
shares sum exactly to the total and each is within one cent of its exact rational value.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Mapping, NamedTuple, Sequence

from ledger.errors import InvalidInput

RULES = ("equal", "population")


class Rule(NamedTuple):
    """A cost-sharing rule: ``equal`` per member, or ``population`` with a reference year."""

    kind: str
    population_year: int | None = None

    def describe(self) -> str:
        if self.kind == "population":
            return f"population ({self.population_year})"
        return self.kind


class Member(NamedTuple):
    code: str
    name: str
    population: int


class Allocation(NamedTuple):
    """The result of one allocation, with what is needed to explain it."""

    total: int                      # cents allocated
    rule: Rule
    shares: dict[str, int]          # code -> cents
    exact: dict[str, Fraction]      # code -> exact share in cents
    extra_cent: tuple[str, ...]     # codes that received one of the remaining cents, in order


def make_rule(kind: str, population_year: int | None = None) -> Rule:
    """Validate a rule's parameters; ``population`` needs the year whose figures it uses."""
    if kind not in RULES:
        raise InvalidInput(f"unknown allocation rule {kind!r}; choose one of: {', '.join(RULES)}")
    if kind == "population":
        if population_year is None:
            raise InvalidInput("the population rule needs a reference year (--population-year)")
        from ledger.municipalities import available_years

        if population_year not in available_years():
            years = ", ".join(map(str, available_years()))
            raise InvalidInput(f"no population figures for {population_year}; available: {years}")
        return Rule(kind, int(population_year))
    return Rule(kind, None)


def largest_remainder(total: int, weights: Mapping[str, int | Fraction]) -> tuple[dict[str, int], dict[str, Fraction], tuple[str, ...]]:
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
    weight_sum = sum(Fraction(w) for w in weights.values())
    if weight_sum == 0:
        raise InvalidInput("the weights sum to zero: nothing to allocate by")
    exact = {key: Fraction(total) * Fraction(w) / weight_sum for key, w in weights.items()}
    shares = {key: value.numerator // value.denominator for key, value in exact.items()}
    left = total - sum(shares.values())
    order = sorted(exact, key=lambda key: (-(exact[key] - shares[key]), key))
    extra = tuple(order[:left])
    for key in extra:
        shares[key] += 1
    return shares, exact, extra


def weights_for(rule: Rule, members: Sequence[Member]) -> dict[str, int]:
    if rule.kind == "equal":
        return {m.code: 1 for m in members}
    if rule.kind == "population":
        return {m.code: m.population for m in members}
    raise InvalidInput(f"unknown allocation rule {rule.kind!r}")


def allocate(total: int, rule: Rule, members: Sequence[Member]) -> Allocation:
    """Every member's share of ``total`` cents under ``rule``."""
    codes = [m.code for m in members]
    if len(set(codes)) != len(codes):
        raise InvalidInput("a member is listed twice")
    shares, exact, extra = largest_remainder(total, weights_for(rule, members))
    return Allocation(total, rule, shares, exact, extra)

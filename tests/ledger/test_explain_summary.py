"""The numbers of the explanation's short summary (``ledger.explain.summary``) per rule kind and
policy, and what funding took off each member's share (``ledger.explain.funding_relief``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from ledger.budget import Membership, Term, assess
from ledger.explain import funding_relief, summary
from ledger.funding import Grant
from ledger.params import freeze
from ledger.rules import make_version

D = dt.date
TERM = Term(D(2025, 1, 1), D(2026, 12, 31))
BUDGET = {2025: 20_000_000, 2026: 32_000_000}  # 520 000,00 € over the term
SEVENTEEN = [f"{n:03d}" for n in range(100, 117)]
GROWTH = ["609", "286", "167", "405", "109", "905", "743", "698", "491", "638", "734", "285", "272", "106", "205"]


def _assess(version, codes, policy="whole-term", joined=None, funding=()):
    members = [Membership(c, (joined or {}).get(c, D(2025, 1, 1))) for c in codes]
    return assess(TERM, BUDGET, policy, {2025: version, 2026: version}, members, funding=list(funding))


def test_equal_shares_divide_by_the_members_and_the_nine_cents_go_to_the_lowest_codes() -> None:
    a = _assess(make_version("equal", D(2025, 1, 1)), SEVENTEEN)
    first, last = summary(a, "100"), summary(a, "116")
    assert first is not None and last is not None
    assert (first.uniform, first.kind, first.shared, first.members) == (True, "equal", 52_000_000, 17)
    assert first.exact == Fraction(52_000_000, 17) and first.remaining == 9
    assert (first.received, first.why, first.share) == (True, "tie", 3_058_824)
    assert (last.received, last.why, last.share) == (False, "tie", 3_058_823)
    assert sum(summary(a, c).received for c in SEVENTEEN) == 9  # type: ignore[union-attr]


def test_population_shares_name_the_residents_and_the_largest_remainders() -> None:
    version = make_version("population", D(2025, 1, 1), population_year=2025, populations=freeze(GROWTH, 2025))
    a = _assess(version, GROWTH)
    s = summary(a, "638")
    assert s is not None and s.uniform and s.kind == "population" and s.population_year == 2025
    assert s.population == version.population_map["638"] and s.population_total == sum(version.population_map.values())
    assert s.exact == Fraction(52_000_000 * s.population, s.population_total)
    assert s.why in ("largest", "smaller") and s.share == s.exact.numerator // s.exact.denominator + s.received


def test_fixed_and_hybrid_give_their_percentages() -> None:
    fixed = make_version("fixed", D(2025, 1, 1), percentages={"100": Decimal("60"), "101": Decimal("40")})
    s = summary(_assess(fixed, ["100", "101"]), "101")
    assert s is not None and s.kind == "fixed" and s.percent == Decimal("40") and s.exact == Fraction(52_000_000 * 40, 100)
    assert s.why == "whole" and s.share == 20_800_000
    hybrid = make_version("hybrid", D(2025, 1, 1), population_year=2025, populations=freeze(GROWTH, 2025),
                          base_percent=Fraction(30))
    h = summary(_assess(hybrid, GROWTH), "638")
    assert h is not None and h.kind == "hybrid" and h.base_percent == 30 and h.population


def test_pro_rata_with_a_late_joiner_is_not_one_formula_but_gives_the_part() -> None:
    a = _assess(make_version("equal", D(2025, 1, 1)), ["100", "101", "102"], policy="pro-rata", joined={"102": D(2025, 7, 1)})
    s = summary(a, "100")
    assert s is not None and not s.uniform and s.policy == "pro-rata"
    assert s.part == s.exact / 52_000_000 and Fraction(1, 3) < s.part < Fraction(1, 2)


@pytest.mark.parametrize("target", [None, "638"])
def test_funding_relief_sums_to_the_funding(target) -> None:
    version = make_version("population", D(2025, 1, 1), population_year=2025, populations=freeze(GROWTH, 2025))
    a = _assess(version, GROWTH, funding=[Grant(2026, 1_000_001, "EU", target)])
    reliefs = {c: funding_relief(a, c) for c in GROWTH}
    assert sum(r.get(2026, 0) for r in reliefs.values()) == 1_000_001 and not any(2025 in r for r in reliefs.values())
    if target:
        assert reliefs["638"] == {2026: 1_000_001}
    s = summary(a, "638")
    assert s is not None and s.targeted == (1_000_001 if target else 0)

"""Rule versions: every rule's exact shares, caps and floors, rounding, order independence, refusals."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ledger.errors import InvalidInput
from ledger.params import freeze
from ledger.rules import (
    RuleVersion,
    allocate_version,
    exact_shares,
    make_version,
    rule_weights,
    solve,
    solve_version,
)

DAY = dt.date(2025, 1, 1)
GROWTH = ["609", "286", "167", "405", "109", "905", "743", "698", "491", "638", "734", "285", "272", "106", "205"]
codes = st.integers(min_value=1, max_value=999).map(lambda n: f"{n:03d}")
member_sets = st.lists(codes, min_size=1, max_size=25, unique=True)
totals = st.integers(min_value=0, max_value=10**11)


@st.composite
def versions(draw, members: list[str], bounds: bool = False) -> RuleVersion:
    """Any rule over ``members``; with ``bounds``, caps and floors too (not necessarily feasible)."""
    kind = draw(st.sampled_from(["equal", "population", "hybrid", "fixed"]))
    kw: dict = {}
    if kind in ("population", "hybrid"):
        kw["population_year"] = 2025
        kw["populations"] = {c: draw(st.integers(1, 700_000)) for c in members}
    if kind == "hybrid":
        kw["base_percent"] = Decimal(draw(st.integers(0, 1000))) / 10
    if kind == "fixed":
        cuts = sorted(draw(st.lists(st.integers(0, 10_000), min_size=len(members) - 1, max_size=len(members) - 1)))
        parts = [b - a for a, b in zip([0, *cuts], [*cuts, 10_000], strict=False)]
        kw["percentages"] = {c: Decimal(p) / 100 for c, p in zip(members, parts, strict=False)}
    if bounds:
        caps, floors = {}, {}
        for c in members:
            floor = draw(st.one_of(st.none(), st.integers(0, 10**9)))
            cap = draw(st.one_of(st.none(), st.integers(floor or 0, 10**10)))
            if floor is not None:
                floors[c] = floor
            if cap is not None:
                caps[c] = cap
        kw["caps"], kw["floors"] = caps, floors
    return make_version(kind, DAY, "test", **kw)


def expected_unbounded(total: int, version: RuleVersion, members: list[str]) -> dict[str, Fraction]:
    """Each rule's textbook formula, written independently of ledger.rules."""
    n = len(members)
    if version.kind == "equal":
        return {c: Fraction(total, n) for c in members}
    if version.kind == "fixed":
        return {c: total * Fraction(version.percentage_map[c]) / 100 for c in members}
    pops = version.population_map
    people = sum(pops[c] for c in members)
    if version.kind == "population":
        return {c: Fraction(total * pops[c], people) for c in members}
    base = Fraction(version.base_percent) / 100
    if people == 0:
        return {c: Fraction(total, n) for c in members}
    return {c: total * base / n + total * (1 - base) * Fraction(pops[c], people) for c in members}


def feasible(total: int, version: RuleVersion, members: list[str]) -> bool:
    weights = rule_weights(version, members)
    lo, hi = version.floor_map, version.cap_map
    if sum(lo.values()) > total:
        return False
    if any(weights[c] > 0 and c not in hi for c in members):
        return True
    return sum(hi[c] if weights[c] > 0 else lo.get(c, 0) for c in members) >= total


def iterative(total: int, weights: dict[str, Fraction], caps: dict[str, int]) -> dict[str, Fraction]:
    """The naive description: hold those above their cap at it, re-spread the excess, repeat."""
    fixed: dict[str, Fraction] = {}
    while True:
        free = {c: w for c, w in weights.items() if c not in fixed}
        rest = total - sum(fixed.values())
        wsum = sum(free.values())
        share = {c: rest * w / wsum for c, w in free.items()}
        over = {c for c, s in share.items() if c in caps and s > caps[c]}
        if not over:
            return {**fixed, **share}
        fixed.update({c: Fraction(caps[c]) for c in over})


@settings(max_examples=300)
@given(data=st.data(), members=member_sets, total=totals)
def test_unbounded_rules_match_their_formulas_and_round_within_a_cent(data, members: list[str], total: int) -> None:
    version = data.draw(versions(members))
    result = allocate_version(total, version, members)
    assert result.exact == expected_unbounded(total, version, members)
    assert sum(result.shares.values()) == total
    assert all(abs(result.shares[c] - result.exact[c]) < 1 and result.shares[c] >= 0 for c in members)


@settings(max_examples=400)
@given(data=st.data(), members=member_sets, total=totals)
def test_caps_and_floors_hold_exactly_and_after_rounding(data, members: list[str], total: int) -> None:
    version = data.draw(versions(members, bounds=True))
    if not feasible(total, version, members):
        with pytest.raises(InvalidInput):
            allocate_version(total, version, members)
        return
    solution = solve_version(total, version, members)
    result = allocate_version(total, version, members)
    caps, floors = version.cap_map, version.floor_map
    assert sum(solution.exact.values()) == total == sum(result.shares.values())
    for c in members:
        # The exact share is the common level times the weight, clamped to the member's bounds.
        free = solution.level * solution.weights[c]
        clamped = min(max(free, floors.get(c, 0)), caps.get(c, free + floors.get(c, 0) + 1))
        assert solution.exact[c] == clamped
        assert abs(result.shares[c] - solution.exact[c]) < 1
        assert floors.get(c, 0) <= result.shares[c] <= caps.get(c, total)
    for c in solution.capped:
        assert result.shares[c] == caps[c]
    for c in solution.floored:
        assert result.shares[c] == floors[c]


@settings(max_examples=200)
@given(members=st.lists(codes, min_size=2, max_size=15, unique=True), total=totals, data=st.data())
def test_caps_equal_the_iterative_re_spread(members: list[str], total: int, data) -> None:
    weights = {c: Fraction(data.draw(st.integers(1, 1000))) for c in members}
    capped = data.draw(st.lists(st.sampled_from(members), unique=True, max_size=len(members) - 1))
    caps = {c: data.draw(st.integers(0, max(total, 1))) for c in capped}
    assert solve(total, weights, caps).exact == iterative(total, weights, caps)


@settings(max_examples=200)
@given(data=st.data(), members=member_sets, total=totals, seed=st.integers())
def test_result_does_not_depend_on_input_order(data, members: list[str], total: int, seed: int) -> None:
    version = data.draw(versions(members, bounds=True))
    assume(feasible(total, version, members))
    rng = random.Random(seed)
    shuffled = rng.sample(members, len(members))

    def reordered(pairs: tuple) -> dict:
        return dict(rng.sample(list(pairs), len(pairs)))

    kw = {"caps": reordered(version.caps), "floors": reordered(version.floors)}
    if version.populations:
        kw |= {"population_year": 2025, "populations": reordered(version.populations)}
    if version.kind == "hybrid":
        kw["base_percent"] = version.base_percent
    if version.kind == "fixed":
        kw["percentages"] = reordered(version.percentages)
    again = make_version(version.kind, DAY, "test", **kw)
    assert again == version
    assert allocate_version(total, again, shuffled).shares == allocate_version(total, version, members).shares


def test_520000_among_17_equal_members() -> None:
    # 52,000,000 cents / 17 = 3,058,823 + 9/17: every member gets 30,588.23 and 17 x 3,058,823 =
    # 51,999,991 leaves 9 cents. All remainders tie at 9/17, so the 9 lowest codes get one each.
    members = [f"{n:03d}" for n in range(100, 117)]
    result = allocate_version(52_000_000, make_version("equal", DAY), members)
    assert result.shares == {c: 3_058_824 if c < "109" else 3_058_823 for c in members}
    assert result.extra_cent == tuple(members[:9])
    assert all(e == Fraction(52_000_000, 17) for e in result.exact.values())


def test_520000_by_2025_population_among_the_15_growth_cities() -> None:
    # The 15 cities had 921,807 residents in 2025. Pori: 52,000,000 x 83,010 / 921,807 =
    # 4,682,672.186... cents. Rounded down, the 15 shares leave 7 cents, which go to the 7 largest
    # fractional parts: Kotka .952, Kajaani .913, Lappeenranta .707, Vaasa .675, Porvoo .617,
    # Rovaniemi .575, Mikkeli .403 (the next, Hyvinkää, has .376).
    version = make_version("population", DAY, "board 1/2025", population_year=2025,
                           populations=freeze(GROWTH, 2025))
    assert sum(version.population_map.values()) == 921_807
    result = allocate_version(52_000_000, version, GROWTH)
    assert result.shares == {
        "106": 2652160, "109": 3870580, "167": 4463741, "205": 2051666, "272": 2726792,
        "285": 2822183, "286": 4378899, "405": 4131594, "491": 2908041, "609": 4682672,
        "638": 2925641, "698": 3733897, "734": 2839670, "743": 3795497, "905": 4016967,
    }
    assert result.extra_cent == ("285", "205", "405", "905", "638", "698", "491")
    assert result.exact["609"] == Fraction(52_000_000 * 83_010, 921_807)


def test_hybrid_40_60_and_fixed_75_25() -> None:
    # Porvoo 51,863 and Sipoo 23,006 residents (74,869): of 100,000.00, 40,000.00 is split equally
    # (20,000.00 each) and 60,000.00 by population: Sipoo 6,000,000 x 23,006 / 74,869 = 1,843,700.33
    # cents, Porvoo 4,156,299.67; rounded down they leave 1 cent, which goes to Porvoo (.67 > .33).
    hybrid = make_version("hybrid", DAY, population_year=2025, populations={"638": 51_863, "753": 23_006},
                          base_percent="40")
    exact = exact_shares(10_000_000, hybrid, ["638", "753"])
    assert exact["753"] == 2_000_000 + Fraction(6_000_000 * 23_006, 74_869)
    assert allocate_version(10_000_000, hybrid, ["638", "753"]).shares == {"638": 6_156_300, "753": 3_843_700}
    fixed = make_version("fixed", DAY, percentages={"638": Decimal("75"), "753": Decimal("25")})
    assert allocate_version(10_000_001, fixed, ["638", "753"]).shares == {"638": 7_500_001, "753": 2_500_000}


def test_a_cap_re_spreads_the_excess_by_the_rules_weights_and_a_floor_takes_from_the_others() -> None:
    # Population 1 : 2 : 7 of 1,000.00 gives 100 / 200 / 700; with a 500.00 cap on the third, its
    # excess 200.00 is spread 1 : 2 over the others: 166.66... and 333.33..., rounded 166.67 / 333.33.
    version = make_version("population", DAY, population_year=2025, populations={"001": 1, "002": 2, "003": 7},
                           caps={"003": 50_000})
    result = allocate_version(100_000, version, ["001", "002", "003"])
    assert result.shares == {"001": 16_667, "002": 33_333, "003": 50_000}
    # A floor of 300.00 for the first takes 200.00 from the others, 2 : 7.
    floored = make_version("population", DAY, population_year=2025, populations={"001": 1, "002": 2, "003": 7},
                           floors={"001": 30_000})
    assert exact_shares(100_000, floored, ["001", "002", "003"]) == {
        "001": 30_000, "002": Fraction(70_000 * 2, 9), "003": Fraction(70_000 * 7, 9)}


@pytest.mark.parametrize(
    "kwargs, members, total, message",
    [
        ({"kind": "fixed", "percentages": {"001": "75", "002": "24.9"}}, ["001", "002"], 100, "sum to 99.9 %, not exactly 100"),
        ({"kind": "fixed", "percentages": {"001": "75", "002": "25", "003": "0"}}, ["001", "002"], 100, "non-members: 003"),
        ({"kind": "fixed", "percentages": {"001": "100"}}, ["001", "002"], 100, "do not name 002"),
        ({"kind": "fixed", "percentages": {"001": "101", "002": "-1"}}, ["001", "002"], 100, "negative"),
        ({"kind": "fixed", "percentages": {"001": 75.0, "002": 25}}, ["001", "002"], 100, "not as a float"),
        ({"kind": "equal", "caps": {"001": 30, "002": 30}}, ["001", "002"], 100, "caps can hold at most 0.60 EUR"),
        ({"kind": "equal", "floors": {"001": 80, "002": 30}}, ["001", "002"], 100, "floors add up to 1.10 EUR"),
        ({"kind": "equal", "floors": {"001": 80}, "caps": {"001": 50}}, ["001"], 100, "above its cap"),
        ({"kind": "equal", "caps": {"009": 80}}, ["001"], 100, "caps name non-members: 009"),
        ({"kind": "hybrid", "population_year": 2025, "populations": {"001": 1}, "base_percent": "140"}, ["001"], 1, "between 0 and 100"),
        ({"kind": "population", "population_year": 2025, "populations": {"001": 1}}, ["001", "002"], 1, "no 2025 population for 002"),
        ({"kind": "population", "populations": {"001": 1}}, ["001"], 1, "reference year"),
        ({"kind": "hybrid", "population_year": 2025, "populations": {"001": 0}, "base_percent": "40"}, ["001"], 1, "sum to zero"),
        ({"kind": "fixed", "percentages": {"001": Fraction(1, 3) * 300}}, ["001"], 1, "as decimals"),
        ({"kind": "median"}, ["001"], 1, "unknown allocation rule"),
        ({"kind": "equal"}, ["001", "001"], 1, "listed twice"),
        ({"kind": "equal"}, ["001"], -1, "must not be negative"),
    ],
)
def test_bad_input_is_refused_clearly(kwargs: dict, members: list[str], total: int, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        allocate_version(total, make_version(effective=DAY, **kwargs), members)


def test_a_version_is_frozen_and_a_joiner_adds_but_never_changes_a_figure() -> None:
    version = make_version("population", DAY, "council 5.5.2025 §12", population_year=2025, populations={"001": 10})
    with pytest.raises(AttributeError):
        version.kind = "equal"  # type: ignore[misc]
    assert hash(version) == hash(make_version("population", DAY, "council 5.5.2025 §12", population_year=2025,
                                              populations={"001": 10}))
    assert version.with_populations({"002": 5}).population_map == {"001": 10, "002": 5}
    with pytest.raises(InvalidInput, match="set a new rule version"):
        version.with_populations({"001": 11})
    assert version.describe() == "population (2025)"

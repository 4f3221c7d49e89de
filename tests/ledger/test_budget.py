"""Budget years and policies: exact sums, within a cent, caps and floors, funding, charges, closed years."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ledger.budget import POLICIES, Charge, Membership, apply_closed, assess, days_in_year, term_members
from ledger.funding import Grant, HoursEntry, Subsidy, subsidy_amount
from ledger.errors import InvalidInput
from ledger.rules import make_version, round_solution, rule_weights, solve

D = dt.date
EQUAL = make_version("equal", D(2025, 1, 1), "board 12/2024 §4")
BUDGET = {2025: 8_000_000, 2026: 15_000_000}  # 80,000.00 and 150,000.00: 230,000.00 over the term

codes = st.integers(min_value=1, max_value=999).map(lambda n: f"{n:03d}")
dates = st.dates(min_value=D(2023, 6, 1), max_value=D(2029, 12, 31))


@st.composite
def projects(draw, bounds: bool = False):
    years = draw(st.lists(st.integers(2024, 2028), min_size=1, max_size=4, unique=True))
    budget = {y: draw(st.integers(0, 10**9)) for y in years}
    member_codes = draw(st.lists(codes, min_size=1, max_size=12, unique=True))
    memberships = []
    for i, code in enumerate(member_codes):
        if i == 0:  # someone is a member throughout, so every year has a payer
            memberships.append(Membership(code, D(2024, 1, 1)))
            continue
        joined = draw(dates)
        left = draw(st.one_of(st.none(), st.dates(min_value=joined, max_value=D(2030, 1, 1))))
        memberships.append(Membership(code, joined, left))
    kind = draw(st.sampled_from(["equal", "population", "hybrid", "fixed"]))
    kw: dict = {}
    if kind in ("population", "hybrid"):
        kw |= {"population_year": 2025, "populations": {c: draw(st.integers(1, 700_000)) for c in member_codes}}
    if kind == "hybrid":
        kw["base_percent"] = Decimal(draw(st.integers(0, 100)))
    if kind == "fixed":
        cuts = sorted(draw(st.lists(st.integers(1, 9_999), min_size=len(member_codes) - 1, max_size=len(member_codes) - 1)))
        parts = [b - a for a, b in zip([0, *cuts], [*cuts, 10_000])]
        assume(all(parts))
        kw["percentages"] = {c: Decimal(p) / 100 for c, p in zip(member_codes, parts)}
    if bounds:
        term = sum(budget.values())
        kw["caps"] = {c: draw(st.integers(0, term)) for c in member_codes[1:] if draw(st.booleans())}
        kw["floors"] = {c: draw(st.integers(0, min(kw["caps"].get(c, term), term // (4 * len(member_codes)))))
                        for c in member_codes if draw(st.booleans())}
    return budget, memberships, make_version(kind, D(2025, 1, 1), "test", **kw)


def check_common(a, budget) -> None:
    for year, line in a.years.items():
        assert sum(a.allocated[(year, c)] for c in a.totals()) == line.co_funded
        assert line.co_funded == budget[year] - line.general_funding
    for cell, cents in a.allocated.items():
        assert cents >= 0 and abs(cents - a.exact[cell]) < 1


@settings(max_examples=250)
@given(project=projects(), policy=st.sampled_from(POLICIES))
def test_every_year_sums_exactly_and_every_cell_is_within_a_cent(project, policy: str) -> None:
    budget, memberships, version = project
    a = assess(budget, policy, version, memberships)
    check_common(a, budget)
    assert sum(a.totals().values()) == sum(budget.values())
    if policy == "whole-term":  # the term is allocated once, regardless of dates, then spread by year
        sharing = term_members(memberships, budget)
        term = round_solution(solve(sum(budget.values()), rule_weights(version, sharing))) if sharing else None
        assume(term is not None)
        assert a.totals() == {c: term.shares.get(c, 0) for c in sorted(m.code for m in memberships)}
    else:  # pro rata: rule weight x days within the year, nothing for a year without membership
        for (year, code), exact in a.exact.items():
            m = next(m for m in memberships if m.code == code)
            present = [x for x in memberships if days_in_year(x, year)]
            w = rule_weights(version, [x.code for x in present])
            if days_in_year(m, year) == 0:
                assert a.allocated[(year, code)] == 0
            else:
                wd = {x.code: w[x.code] * days_in_year(x, year) for x in present}
                assert exact == budget[year] * wd[code] / sum(wd.values())


@settings(max_examples=250)
@given(project=projects(bounds=True), policy=st.sampled_from(POLICIES))
def test_caps_and_floors_hold_over_the_term_under_both_policies(project, policy: str) -> None:
    budget, memberships, version = project
    try:
        a = assess(budget, policy, version, memberships)
    except InvalidInput as error:  # only a genuinely unattainable bound may refuse
        assert any(word in str(error) for word in ("caps", "floors", "floor of"))
        assume(False)
    check_common(a, budget)
    totals = a.totals()
    for code, cap in version.cap_map.items():
        assert totals[code] <= cap
    bound = term_members(memberships, budget) if policy == "whole-term" else [m.code for m in memberships]
    for code, floor in version.floor_map.items():  # a member that left the term is no longer held to a floor
        assert code not in bound or totals[code] >= floor


@settings(max_examples=150)
@given(project=projects(bounds=True), policy=st.sampled_from(POLICIES), seed=st.integers(), data=st.data())
def test_result_does_not_depend_on_input_order(project, policy: str, seed: int, data) -> None:
    budget, memberships, version = project
    code = memberships[0].code
    funding = [Grant(min(budget), 1_000, "grant"), Grant(max(budget), 5_000, "targeted", code),
               Subsidy(4_500, (HoursEntry("a", D(min(budget), 3, 1), "dev", Decimal("1.5")),
                               HoursEntry("b", D(max(budget), 3, 1), "dev", Decimal("2.25"))), "subsidy")]
    charges = [Charge(code, D(min(budget), 5, 1), 700, "devices"), Charge(code, D(min(budget), 5, 2), 300, "travel")]
    rng = random.Random(seed)
    shuffle = lambda xs: rng.sample(list(xs), len(xs))  # noqa: E731
    try:
        a = assess(budget, policy, version, memberships, funding=funding, charges=charges)
    except InvalidInput:
        assume(False)
    b = assess(dict(shuffle(budget.items())), policy, version, shuffle(memberships), funding=shuffle(funding),
               charges=shuffle(charges))
    assert a == b


@given(m=st.builds(Membership, codes, dates, st.none() | st.dates(D(2029, 12, 31), D(2029, 12, 31))))
def test_days_of_membership_are_inclusive_and_leap_years_right(m: Membership) -> None:
    assert sum(days_in_year(m, y) for y in range(2023, 2030)) == (D(2029, 12, 31) - m.joined).days + 1
    assert days_in_year(Membership("001", D(2020, 1, 1)), 2028) == 366
    assert days_in_year(Membership("001", D(2020, 1, 1)), 2026) == 365
    assert days_in_year(Membership("001", D(2026, 7, 1)), 2026) == 184
    assert days_in_year(Membership("001", D(2026, 7, 1), D(2026, 7, 1)), 2026) == 1


def test_late_joiner_whole_term_pays_an_early_members_share_and_the_early_members_are_credited() -> None:
    # Before: 100 and 200 share 230,000.00: 115,000.00 each (40,000 + 75,000).
    # 300 joins 1.7.2026. Whole term: 23,000,000 / 3 = 7,666,666 + 2/3 cents each; the 2 cents left
    # go to the tied lowest codes: 76,666.67, 76,666.67, 76,666.66. Each early member is credited
    # 115,000.00 - 76,666.67 = 38,333.33. By year, 2025 takes 8/23 of each term share:
    # 8,000,000 x 7,666,667 / 23,000,000 = 2,666,666.78 (100, 200) and 2,666,666.43 (300): the 2
    # cents left go to .78, .78. 2026 takes the rest: 5,000,000 cents each.
    early = [Membership("100", D(2025, 1, 1)), Membership("200", D(2025, 1, 1))]
    before = assess(BUDGET, "whole-term", EQUAL, early)
    assert before.totals() == {"100": 11_500_000, "200": 11_500_000}
    after = assess(BUDGET, "whole-term", EQUAL, [*early, Membership("300", D(2026, 7, 1))])
    assert after.totals() == {"100": 7_666_667, "200": 7_666_667, "300": 7_666_666}
    assert after.cells == {(2025, "100"): 2_666_667, (2025, "200"): 2_666_667, (2025, "300"): 2_666_666,
                           (2026, "100"): 5_000_000, (2026, "200"): 5_000_000, (2026, "300"): 5_000_000}
    credit = {c: after.totals()[c] - before.totals()[c] for c in before.totals()}
    assert credit == {"100": -3_833_333, "200": -3_833_333}


def test_late_joiner_pro_rata_pays_its_days_of_2026() -> None:
    # 2025: 80,000.00 between 100 and 200 only: 40,000.00 each.
    # 2026: 365 + 365 + 184 = 914 member-days. 300: 15,000,000 x 184 / 914 = 3,019,693.65 cents;
    # 100 and 200: 15,000,000 x 365 / 914 = 5,990,153.17 each. Rounded down they leave 1 cent,
    # which goes to 300 (.65 > .17): 59,901.53, 59,901.53, 30,196.94.
    a = assess(BUDGET, "pro-rata", EQUAL, [Membership("100", D(2025, 1, 1)), Membership("200", D(2025, 1, 1)),
                                            Membership("300", D(2026, 7, 1))])
    assert a.exact[(2026, "300")] == Fraction(15_000_000 * 184, 914)
    assert a.cells == {(2025, "100"): 4_000_000, (2025, "200"): 4_000_000, (2025, "300"): 0,
                       (2026, "100"): 5_990_153, (2026, "200"): 5_990_153, (2026, "300"): 3_019_694}
    assert a.totals() == {"100": 9_990_153, "200": 9_990_153, "300": 3_019_694}


def test_a_closed_year_keeps_what_was_assessed_and_says_what_the_change_would_have_moved() -> None:
    early = [Membership("100", D(2025, 1, 1)), Membership("200", D(2025, 1, 1))]
    before = assess(BUDGET, "whole-term", EQUAL, early).cells
    after = assess(BUDGET, "whole-term", EQUAL, [*early, Membership("300", D(2026, 7, 1))]).cells
    result, blocked = apply_closed(before, after, [2025])
    assert {k: v for k, v in result.items() if k[0] == 2025} == {(2025, "100"): 4_000_000, (2025, "200"): 4_000_000}
    assert {k: v for k, v in result.items() if k[0] == 2026} == {(2026, c): 5_000_000 for c in ("100", "200", "300")}
    assert [(b.year, b.code, b.kept, b.would_be) for b in blocked] == [
        (2025, "100", 4_000_000, 2_666_667), (2025, "200", 4_000_000, 2_666_667), (2025, "300", 0, 2_666_666)]
    assert apply_closed(before, before, [2025]) == (before, [])


@settings(max_examples=100)
@given(project=projects(), closed=st.sets(st.integers(2024, 2028)))
def test_closed_years_never_change(project, closed: set[int]) -> None:
    budget, memberships, _ = project
    old = assess(budget, "pro-rata", EQUAL, memberships[:1]).cells
    new = assess(budget, "pro-rata", EQUAL, memberships).cells
    result, blocked = apply_closed(old, new, closed)
    for cell in set(old) | set(new):
        expected = old.get(cell, 0) if cell[0] in closed else new.get(cell, 0)
        assert result.get(cell, 0) == expected
    assert {(b.year, b.code) for b in blocked} == {
        c for c in set(old) | set(new) if c[0] in closed and old.get(c, 0) != new.get(c, 0)}


@pytest.mark.parametrize("policy", POLICIES)
def test_staff_costs_three_quarters_and_one_quarter_and_own_costs_charged_alone(policy: str) -> None:
    # Staff costs 100,000.01 split 75 % / 25 %: 7,500,000.75 and 2,500,000.25 cents; the 1 cent
    # left goes to Porvoo (.75 > .25). Sipoo's own devices (3,480.00) and travel (412.35) are
    # charged to Sipoo alone: 25,000.00 + 3,892.35 = 28,892.35.
    version = make_version("fixed", D(2025, 1, 1), "agreement 3.2.2025", percentages={"638": "75", "753": "25"})
    members = [Membership("638", D(2025, 1, 1)), Membership("753", D(2025, 1, 1))]
    charges = [Charge("753", D(2025, 4, 2), 348_000, "devices"), Charge("753", D(2025, 9, 15), 41_235, "travel")]
    a = assess({2025: 10_000_001}, policy, version, members, charges=charges)
    assert a.allocated == {(2025, "638"): 7_500_001, (2025, "753"): 2_500_000}
    assert a.cells == {(2025, "638"): 7_500_001, (2025, "753"): 2_889_235}


def test_general_and_targeted_funding_and_a_subsidy_on_logged_hours() -> None:
    # Subsidy: 7.5 h (2025) + 0.33 h (2026) at 45.00 EUR/h = 7.83 x 4,500 = 35,235 cents, rounded
    # once (already whole); split by hours: 2025 gets 35,235 x 7.5 / 7.83 = 33,750.00, 2026 1,485.
    # A 2026 grant of 100,000.00 targeted to 300 exceeds its share, and 2025's general grant of
    # 90,000.00 exceeds the year's budget: both remainders are reported, nothing goes below zero.
    hours = (HoursEntry("Aino", D(2025, 3, 1), "development", Decimal("7.5")),
             HoursEntry("Eero", D(2026, 3, 1), "testing", Decimal("0.33")))
    subsidy = Subsidy(4_500, hours, "state subsidy")
    assert subsidy_amount(subsidy).by_year == {2025: 33_750, 2026: 1_485}
    members = [Membership("100", D(2025, 1, 1)), Membership("200", D(2025, 1, 1)), Membership("300", D(2026, 7, 1))]
    a = assess(BUDGET, "pro-rata", EQUAL, members,
               funding=[subsidy, Grant(2026, 10_000_000, "EU", "300"), Grant(2025, 9_000_000, "region")])
    assert a.years[2025].co_funded == 0 and a.years[2025].unused == 9_000_000 + 33_750 - 8_000_000
    assert a.years[2026].co_funded == 15_000_000 - 1_485
    assert a.cells[(2026, "300")] == 0 and a.targeted[(2026, "300")] == a.allocated[(2026, "300")]
    assert (2026, "300", 10_000_000 - a.allocated[(2026, "300")]) in a.unused


def test_subsidy_rounds_once_half_up_on_the_total() -> None:
    # 3 x 0.01 h at 0.50 EUR: 0.5 cent each would round to 1 cent three times; once, 1.5 rounds to 2.
    hours = tuple(HoursEntry(p, D(2025, 1, 2), "t", Decimal("0.01")) for p in "abc")
    assert subsidy_amount(Subsidy(50, hours, "s")).cents == 2


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"budget": {2025: -1}}, "budget of 2025 is negative"),
        ({"budget": {}}, "no years"),
        ({"policy": "monthly"}, "unknown policy"),
        ({"memberships": [Membership("100", D(2025, 5, 1), D(2025, 4, 1))]}, "leaves"),
        ({"memberships": [Membership("100", D(2025, 1, 1))] * 2}, "listed twice"),
        ({"charges": [Charge("999", D(2025, 1, 1), 1, "x")]}, "not a member"),
        ({"funding": [Grant(2025, 1, "x", "999")]}, "not a member"),
        ({"memberships": [Membership("100", D(2027, 1, 1))], "policy": "pro-rata"}, "no member in 2025"),
        ({"version": make_version("fixed", D(2025, 1, 1), percentages={"100": 50, "999": 50})}, "non-members: 999"),
        ({"version": make_version("equal", D(2025, 1, 1), caps={"100": 1})}, "caps can hold at most"),
    ],
)
def test_bad_input_is_refused(kwargs: dict, message: str) -> None:
    args = {"budget": {2025: 100}, "policy": "whole-term", "version": EQUAL,
            "memberships": [Membership("100", D(2025, 1, 1))]} | kwargs
    with pytest.raises(InvalidInput, match=message):
        assess(args["budget"], args["policy"], args["version"], args["memberships"],
               funding=args.get("funding", ()), charges=args.get("charges", ()))


def test_a_joiners_population_is_added_to_the_frozen_figures_but_cannot_change_them() -> None:
    version = make_version("population", D(2025, 1, 1), population_year=2025, populations={"638": 51_863})
    members = [Membership("638", D(2025, 1, 1)), Membership("753", D(2025, 7, 1))]
    a = assess({2025: 100_000}, "whole-term", version, members, {"753": 23_006})
    assert a.version.population_map == {"638": 51_863, "753": 23_006}
    with pytest.raises(InvalidInput, match="no 2025 population for 753"):
        assess({2025: 100_000}, "whole-term", version, members)
    with pytest.raises(InvalidInput, match="new rule version"):
        assess({2025: 100_000}, "whole-term", version, members, {"638": 1, "753": 23_006})


def test_a_fixed_version_of_earlier_years_does_not_block_a_later_joiner_under_pro_rata() -> None:
    fixed = make_version("fixed", D(2025, 1, 1), percentages={"638": "75", "753": "25"})
    equal = make_version("equal", D(2026, 1, 1))
    members = [Membership("638", D(2025, 1, 1)), Membership("753", D(2025, 1, 1)), Membership("091", D(2026, 6, 1))]
    a = assess({2025: 10_000, 2026: 10_000}, "pro-rata", {2025: fixed, 2026: equal}, members)
    assert a.cells[(2025, "638")] == 7_500 and a.cells[(2025, "091")] == 0 and a.cells[(2026, "091")] > 0
    with pytest.raises(InvalidInput, match="do not name 091"):
        assess({2025: 10_000, 2026: 10_000}, "whole-term", {2025: fixed, 2026: equal}, members)


@pytest.mark.parametrize("policy", POLICIES)
def test_a_cap_below_what_the_earlier_years_paid_is_refused(policy: str) -> None:
    capped = make_version("equal", D(2026, 1, 1), caps={"100": 100})
    members = [Membership("100", D(2025, 1, 1)), Membership("200", D(2025, 1, 1))]
    with pytest.raises(InvalidInput, match=r"cap of 100 \(1.00\) is below what it pays in the years before \(40000.00\)"):
        assess(BUDGET, policy, {2025: EQUAL, 2026: capped}, members)

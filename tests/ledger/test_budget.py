"""Budget years and policies (ledger.budget.assess): exact sums, within a cent, bounds, funding, charges, closed years."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ledger.budget import POLICIES, Charge, Membership, Term, assess
from ledger.errors import InvalidInput
from ledger.funding import Grant, HoursEntry, Subsidy, subsidy_amount
from ledger.rules import make_version
from ledger.sharing import days_in_year

D = dt.date
EQUAL = make_version("equal", D(2025, 1, 1), "board 12/2024 §4")
BUDGET = {2025: 8_000_000, 2026: 15_000_000}  # 80,000.00 and 150,000.00: 230,000.00 over the term
codes = st.integers(min_value=1, max_value=999).map(lambda n: f"{n:03d}")


def run(budget, policy, version, members, **kw):
    """``assess`` over the budget's years, one version for every year."""
    term = Term(D(min(budget), 1, 1), D(max(budget), 12, 31))
    versions = version if isinstance(version, dict) else dict.fromkeys(budget, version)
    return assess(term, budget, policy, versions, members, **kw)


@st.composite
def projects(draw, bounds: bool = False):
    first = draw(st.integers(2024, 2027))
    years = list(range(first, draw(st.integers(first, 2028)) + 1))
    budget = {y: draw(st.integers(0, 10**9)) for y in years}
    member_codes = draw(st.lists(codes, min_size=1, max_size=12, unique=True))
    start, end = D(first, 1, 1), D(years[-1], 12, 31)
    memberships = []
    for i, code in enumerate(member_codes):
        if i == 0:  # someone is a member throughout, so every year has a payer
            memberships.append(Membership(code, start))
            continue
        joined = draw(st.dates(start, end))
        left = draw(st.one_of(st.none(), st.dates(min_value=joined, max_value=end)))
        memberships.append(Membership(code, joined, left))
    kind = draw(st.sampled_from(["equal", "population", "hybrid", "fixed"]))
    kw: dict = {}
    if kind in ("population", "hybrid"):
        kw |= {"population_year": 2025, "populations": {c: draw(st.integers(1, 700_000)) for c in member_codes}}
    if kind == "hybrid":
        kw["base_percent"] = Decimal(draw(st.integers(0, 100)))
    if kind == "fixed":
        cuts = sorted(draw(st.lists(st.integers(1, 9_999), min_size=len(member_codes) - 1, max_size=len(member_codes) - 1)))
        parts = [b - a for a, b in zip([0, *cuts], [*cuts, 10_000], strict=True)]
        assume(all(parts))
        kw["percentages"] = {c: Decimal(p) / 100 for c, p in zip(member_codes, parts, strict=True)}
    if bounds:
        term = sum(budget.values())
        kw["caps"] = {c: draw(st.integers(0, term)) for c in member_codes[1:] if draw(st.booleans())}
        kw["floors"] = {c: draw(st.integers(0, min(kw["caps"].get(c, term), term // (4 * len(member_codes)))))
                        for c in member_codes if draw(st.booleans())}
    return budget, memberships, make_version(kind, start, "test", **kw)


def exact_totals(a) -> dict[str, Fraction]:
    out: dict[str, Fraction] = {}
    for y in a.years.values():
        for c, e in y.exact.items():
            out[c] = out.get(c, Fraction(0)) + e
    return out


@settings(max_examples=250)
@given(project=projects(), policy=st.sampled_from(POLICIES))
def test_every_year_sums_exactly_each_term_within_a_cent_each_year_within_two(project, policy: str) -> None:
    budget, memberships, version = project
    a = run(budget, policy, version, memberships)
    for year, y in a.years.items():
        assert sum(y.allocated.values()) == y.line.co_funded == budget[year]
        for code, cents in y.allocated.items():
            # A cent may come back (cost-sharing.md, section 8: zero "wherever the cents allow"): a member that
            # held a cent more than exact, when the year's leftover cents are too few to keep everyone whole.
            assert cents >= 0 or (cents == -1 and y.exact.get(code, 0) < 1)
            assert abs(cents - y.exact.get(code, 0)) < 2
    exact = exact_totals(a)
    totals = {c: sum(y.allocated.get(c, 0) for y in a.years.values()) for c in exact}
    assert all(abs(totals[c] - exact[c]) < 1 for c in exact)


@settings(max_examples=250)
@given(project=projects(bounds=True), policy=st.sampled_from(POLICIES))
def test_caps_and_floors_hold_over_the_term_under_both_policies(project, policy: str) -> None:
    budget, memberships, version = project
    try:
        a = run(budget, policy, version, memberships)
    except InvalidInput as error:  # only a genuinely unattainable bound may refuse
        assert any(word in str(error) for word in ("caps", "floors", "floor of", "cap of"))
        assume(False)
    totals = a.totals()
    for code, cap in version.cap_map.items():
        assert totals.get(code, 0) <= cap
    for code, floor in version.floor_map.items():
        if exact_totals(a).get(code):
            assert totals.get(code, 0) >= floor


@settings(max_examples=150)
@given(project=projects(bounds=True), policy=st.sampled_from(POLICIES), seed=st.integers())
def test_result_does_not_depend_on_input_order(project, policy: str, seed: int) -> None:
    budget, memberships, version = project
    code = memberships[0].code
    funding = [Grant(min(budget), 1_000, "grant"), Grant(max(budget), 5_000, "targeted", code),
               Subsidy(4_500, (HoursEntry("a", D(min(budget), 3, 1), "dev", Decimal("1.5")),
                               HoursEntry("b", D(max(budget), 3, 1), "dev", Decimal("2.25"))), "subsidy")]
    charges = [Charge(code, D(min(budget), 5, 1), 700, "devices"), Charge(code, D(min(budget), 5, 2), 300, "travel")]
    rng = random.Random(seed)

    def shuffle(items):
        items = list(items)
        rng.shuffle(items)
        return items

    try:
        a = run(budget, policy, version, memberships, funding=funding, charges=charges)
    except InvalidInput:
        assume(False)
    b = run(dict(shuffle(budget.items())), policy, version, shuffle(memberships), funding=shuffle(funding), charges=shuffle(charges))
    assert a.assessed == b.assessed and a.charged() == b.charged() and a.targeted == b.targeted


def test_days_of_membership_are_inclusive_leap_years_right_and_clipped_to_the_term() -> None:
    term = Term(D(2020, 1, 1), D(2029, 12, 31))
    assert days_in_year([Membership("001", D(2020, 1, 1))], 2028, term) == 366
    assert days_in_year([Membership("001", D(2020, 1, 1))], 2026, term) == 365
    assert days_in_year([Membership("001", D(2026, 7, 1))], 2026, term) == 184
    assert days_in_year([Membership("001", D(2026, 7, 1), D(2026, 7, 1))], 2026, term) == 1
    assert days_in_year([Membership("001", D(2020, 1, 1))], 2027, Term(D(2025, 3, 1), D(2027, 10, 31))) == 304
    two = [Membership("001", D(2025, 1, 1), D(2025, 3, 31)), Membership("001", D(2025, 10, 1))]
    assert days_in_year(two, 2025, term) == 90 + 92


def test_late_joiner_whole_term_pays_an_early_members_share_and_the_early_members_are_credited() -> None:
    # 300 joins 1.7.2026 under whole-term: it shares 2025 too. 2025: 8,000,000 / 3 = 2,666,666.67
    # each: 2 cents left, to the two lowest codes. 2026: 5,000,000 each. Each early member is
    # credited 11,500,000 − 7,666,667 = 3,833,333.
    early = [Membership("100", D(2025, 1, 1)), Membership("200", D(2025, 1, 1))]
    before = run(BUDGET, "whole-term", EQUAL, early)
    assert before.totals() == {"100": 11_500_000, "200": 11_500_000}
    after = run(BUDGET, "whole-term", EQUAL, [*early, Membership("300", D(2026, 7, 1))])
    assert after.assessed == {(2025, "100"): 2_666_667, (2025, "200"): 2_666_667, (2025, "300"): 2_666_666,
                              (2026, "100"): 5_000_000, (2026, "200"): 5_000_000, (2026, "300"): 5_000_000}
    assert {c: after.totals()[c] - before.totals()[c] for c in before.totals()} == {"100": -3_833_333, "200": -3_833_333}


def test_late_joiner_pro_rata_pays_its_days_of_2026() -> None:
    # 2026: 365 + 365 + 184 = 914 member-days. 300: 15,000,000 × 184 / 914 = 3,019,693.65; 100 and
    # 200: 5,990,153.17 each. Their running totals after 2025 are whole (4,000,000), so the 1 cent
    # left goes to the largest running remainder, 300's .65.
    a = run(BUDGET, "pro-rata", EQUAL, [Membership("100", D(2025, 1, 1)), Membership("200", D(2025, 1, 1)),
                                         Membership("300", D(2026, 7, 1))])
    assert a.years[2026].exact["300"] == Fraction(15_000_000 * 184, 914)
    assert a.assessed == {(2025, "100"): 4_000_000, (2025, "200"): 4_000_000,
                          (2026, "100"): 5_990_153, (2026, "200"): 5_990_153, (2026, "300"): 3_019_694}


def test_a_closed_year_keeps_what_it_holds_and_says_what_the_rules_would_now_give() -> None:
    early = [Membership("100", D(2025, 1, 1)), Membership("200", D(2025, 1, 1))]
    kept = {2025: {"100": 4_000_000, "200": 4_000_000}}
    a = run(BUDGET, "whole-term", EQUAL, [*early, Membership("300", D(2026, 7, 1))], closed=kept)
    assert {k: v for k, v in a.assessed.items() if k[0] == 2025} == {(2025, "100"): 4_000_000, (2025, "200"): 4_000_000}
    assert {k: v for k, v in a.assessed.items() if k[0] == 2026} == {(2026, c): 5_000_000 for c in ("100", "200", "300")}
    assert [(b.year, b.code, b.kept, b.would_be) for b in a.blocked] == [
        (2025, "100", 4_000_000, 2_666_667), (2025, "200", 4_000_000, 2_666_667), (2025, "300", 0, 2_666_666)]


@pytest.mark.parametrize("policy", POLICIES)
def test_staff_costs_three_quarters_and_one_quarter_and_own_costs_charged_alone(policy: str) -> None:
    # Staff costs 100,000.01 split 75 % / 25 %: 7,500,000.75 and 2,500,000.25 cents; the 1 cent
    # left goes to Porvoo (.75 > .25). Sipoo's own devices (3,480.00) and travel (412.35) are
    # charged to Sipoo alone.
    version = make_version("fixed", D(2025, 1, 1), "agreement 3.2.2025", percentages={"638": "75", "753": "25"})
    members = [Membership("638", D(2025, 1, 1)), Membership("753", D(2025, 1, 1))]
    charges = [Charge("753", D(2025, 4, 2), 348_000, "devices"), Charge("753", D(2025, 9, 15), 41_235, "travel")]
    a = run({2025: 10_000_001}, policy, version, members, charges=charges)
    assert a.assessed == {(2025, "638"): 7_500_001, (2025, "753"): 2_500_000}
    assert a.charged() == {(2025, "753"): 389_235}
    assert a.totals() == {"638": 7_500_001, "753": 2_889_235}


def test_general_and_targeted_funding_and_a_subsidy_on_logged_hours() -> None:
    # Subsidy: 7.5 h (2025) + 0.33 h (2026) at 45.00 EUR/h = 35,235 cents, rounded once; split by
    # hours: 2025 gets 33,750, 2026 1,485. A 2026 grant of 100,000.00 targeted to 300 exceeds its
    # share, and 2025's general grant of 90,000.00 exceeds the year's budget: both remainders are
    # reported, nothing goes below zero.
    hours = (HoursEntry("Aino", D(2025, 3, 1), "development", Decimal("7.5")),
             HoursEntry("Eero", D(2026, 3, 1), "testing", Decimal("0.33")))
    subsidy = Subsidy(4_500, hours, "state subsidy")
    assert subsidy_amount(subsidy).by_year == {2025: 33_750, 2026: 1_485}
    members = [Membership("100", D(2025, 1, 1)), Membership("200", D(2025, 1, 1)), Membership("300", D(2026, 7, 1))]
    a = run(BUDGET, "pro-rata", EQUAL, members, funding=[subsidy, Grant(2026, 10_000_000, "EU", "300"), Grant(2025, 9_000_000, "region")])
    assert a.years[2025].line.co_funded == 0 and a.years[2025].line.unused == 9_000_000 + 33_750 - 8_000_000
    assert a.years[2026].line.co_funded == 15_000_000 - 1_485
    share = a.years[2026].allocated["300"]
    assert (2026, "300") not in a.assessed and a.targeted[(2026, "300")] == share
    assert (2026, "300", 10_000_000 - share) in a.unused


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
        ({"charges": [Charge("999", D(2025, 1, 1), 1, "x")]}, "not a member"),
        ({"funding": [Grant(2025, 1, "x", "999")]}, "not a member"),
        ({"memberships": [Membership("100", D(2027, 1, 1))], "policy": "pro-rata"}, "no member in 2025"),
        ({"version": make_version("fixed", D(2025, 1, 1), percentages={"999": 100})}, "do not name 100"),
        ({"version": make_version("equal", D(2025, 1, 1), caps={"100": 1})}, "caps can hold at most"),
    ],
)
def test_bad_input_is_refused(kwargs: dict, message: str) -> None:
    args = {"budget": {2025: 100}, "policy": "whole-term", "version": EQUAL,
            "memberships": [Membership("100", D(2025, 1, 1))]} | kwargs
    budget = args["budget"]
    with pytest.raises(InvalidInput, match=message):
        assess(Term(D(2025, 1, 1), D(2025, 12, 31)), budget, args["policy"], dict.fromkeys(budget or [2025], args["version"]),
               args["memberships"], funding=args.get("funding", ()), charges=args.get("charges", ()))


def test_a_population_rule_needs_every_members_figure() -> None:
    version = make_version("population", D(2025, 1, 1), population_year=2025, populations={"638": 51_863})
    members = [Membership("638", D(2025, 1, 1)), Membership("753", D(2025, 7, 1))]
    with pytest.raises(InvalidInput, match="no 2025 population for 753"):
        run({2025: 100_000}, "whole-term", version, members)
    assert run({2025: 100_000}, "whole-term", version.with_populations({"753": 23_006}), members).totals() == \
        {"638": 69_272, "753": 30_728}


def test_a_fixed_version_of_earlier_years_does_not_block_a_later_joiner_under_pro_rata() -> None:
    fixed = make_version("fixed", D(2025, 1, 1), percentages={"638": "75", "753": "25"})
    equal = make_version("equal", D(2026, 1, 1))
    members = [Membership("638", D(2025, 1, 1)), Membership("753", D(2025, 1, 1)), Membership("091", D(2026, 6, 1))]
    a = run({2025: 10_000, 2026: 10_000}, "pro-rata", {2025: fixed, 2026: equal}, members)
    assert a.assessed[(2025, "638")] == 7_500 and (2025, "091") not in a.assessed and a.assessed[(2026, "091")] > 0
    with pytest.raises(InvalidInput, match="do not name 091"):
        run({2025: 10_000, 2026: 10_000}, "whole-term", {2025: fixed, 2026: equal}, members)


@pytest.mark.parametrize("policy", POLICIES)
def test_a_cap_below_what_closed_years_hold_is_refused(policy: str) -> None:
    capped = make_version("equal", D(2026, 1, 1), caps={"100": 100})
    members = [Membership("100", D(2025, 1, 1)), Membership("200", D(2025, 1, 1))]
    with pytest.raises(InvalidInput, match=r"cap of 100 \(1.00\) is below what closed years already hold for it \(40000.00\)"):
        run(BUDGET, policy, {2025: EQUAL, 2026: capped}, members, closed={2025: {"100": 4_000_000, "200": 4_000_000}})

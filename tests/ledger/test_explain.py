"""Explanations show every input, each step and who received the remaining cents, and why."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.budget import Charge, Membership, Term, assess
from ledger.explain import eur, explain, explain_allocation, render_text, rounding_reasons
from ledger.funding import Grant, HoursEntry, Subsidy
from ledger.params import freeze
from ledger.rules import allocate_version, make_version

D = dt.date
GROWTH = ["609", "286", "167", "405", "109", "905", "743", "698", "491", "638", "734", "285", "272", "106", "205"]


def of(steps, kind):
    return [s for s in steps if s.kind == kind]


def test_seventeen_equal_members_explain_the_nine_cents() -> None:
    members = [f"{n:03d}" for n in range(100, 117)]
    steps = explain_allocation(52_000_000, make_version("equal", D(2025, 1, 1), "board 12/2024 §4"), members)
    assert "decision: board 12/2024 §4" in steps[0].text
    (rounding,) = of(steps, "rounding")
    assert rounding.data["remaining"] == 9
    assert rounding.data["extra_cent"] == members[:9]
    assert "tie at 0.529412 of a cent (Fraction 9/17), broken by code, lower first" in rounding.text
    assert "100, 101, 102, 103, 104, 105, 106, 107, 108 got one, 109, 110, 111, 112, 113, 114, 115, 116 did not" in rounding.text
    (exact,) = of(steps, "exact")
    assert exact.data["exact"]["100"] == Fraction(52_000_000, 17)
    assert "100 30588.235294..." in exact.text


def test_population_split_names_the_year_the_figures_and_the_largest_remainders() -> None:
    version = make_version("population", D(2025, 1, 1), population_year=2025, populations=freeze(GROWTH, 2025))
    steps = explain_allocation(52_000_000, version, GROWTH)
    text = render_text(steps)
    assert "Populations of 2025, frozen in the version: 106 47015," in text
    (rounding,) = of(steps, "rounding")
    assert rounding.data["extra_cent"] == ["285", "205", "405", "905", "638", "698", "491"]
    assert rounding.text.endswith(": 285 (0.951529), 205 (0.912713), 405 (0.706709), 905 (0.675237), "
                                  "638 (0.616745), 698 (0.57488), 491 (0.403251)")
    assert "tie" not in rounding.text


def test_an_assessment_explains_policy_budget_funding_caps_targeted_funding_and_charges() -> None:
    version = make_version("equal", D(2025, 1, 1), "board 12/2024 §4", caps={"300": 3_000_000})
    members = [Membership("100", D(2025, 1, 1)), Membership("200", D(2025, 1, 1)), Membership("300", D(2026, 7, 1))]
    subsidy = Subsidy(4_500, (HoursEntry("Aino", D(2025, 3, 1), "dev", Decimal("7.5")),), "state subsidy")
    a = assess(Term(D(2025, 1, 1), D(2026, 12, 31)), {2025: 8_000_000, 2026: 15_000_000}, "pro-rata",
               {2025: version, 2026: version}, members, funding=[subsidy, Grant(2026, 100_000, "EU", "300")],
               charges=[Charge("200", D(2026, 5, 1), 240_000, "devices")])
    steps = explain(a)
    text = render_text(steps)
    assert text.startswith("  1. [inputs] 2025–2026: Rule version from 2025-01-01: equal, 1 cap(s), 0 floor(s)")
    for needle in [
        "Caps (most a member pays over the term): 300 30000.00",
        "300 from 2026-07-01",
        "Policy: per year, pro rata temporis",
        "Budget 2025: 80000.00 EUR, less funding 337.50 EUR: members co-fund 79662.50 EUR",
        "Subsidy: 7.5 h x 45.00 EUR = 337.5 EUR, rounded half up once on the total to 337.50 EUR",
        "300 0.201313 (184 days)",
        "300 at its cap 30000.00 EUR over the term (30000.00 EUR in the open years)",
        "2026: targeted funding reduces 300's share by 1000.00 EUR",
        "devices, 2400.00 EUR charged to 200 alone",
        # 2025: (80,000 - 337.50) / 2 = 39,831.25 each. 2026: 300's 184/914 of 150,000 (30,196.94)
        # is capped at 30,000.00, the other 120,000.00 split 365 : 365; less 1,000.00 EU for 300,
        # plus 2,400.00 devices for 200.
        "Assessed over the term: 100 99831.25, 200 102231.25, 300 29000.00",
    ]:
        assert needle in text, needle
    assert of(steps, "result")[0].data["totals"] == a.totals()


def test_the_cumulative_rounding_says_who_received_the_remaining_cents() -> None:
    members = [Membership(f"{n:03d}", D(2025, 1, 1)) for n in range(100, 117)]
    version = make_version("equal", D(2025, 1, 1))
    a = assess(Term(D(2025, 1, 1), D(2026, 12, 31)), {2025: 8_000_000, 2026: 15_000_000}, "whole-term",
               {2025: version, 2026: version}, members)
    rounding = of(explain(a), "rounding")
    assert [s.data["year"] for s in rounding] == [2025, 2026]
    assert rounding[0].data["extra_cent"] == ["100", "101", "102", "103"]      # 8,000,000 / 17 leaves 4 cents
    assert "running remainder 0.235294 of a cent" in rounding[0].text
    # 2026: the running totals (23,000,000 / 17 = 1,352,941.18 each) leave 3 cents, for 100–102's totals:
    # their share of 2026 is then no more than the others', and 103 pays a cent less this year.
    shares = rounding[1].data["shares"]
    assert shares["100"] == shares["116"] == 882_353 and shares["103"] == 882_352


@settings(max_examples=200)
@given(total=st.integers(0, 10**10), members=st.lists(st.integers(1, 999).map(lambda n: f"{n:03d}"), min_size=1,
                                                      max_size=20, unique=True), data=st.data())
def test_the_rounding_step_matches_the_allocation(total: int, members: list[str], data) -> None:
    pops = {c: data.draw(st.integers(1, 10_000)) for c in members}
    version = make_version("population", D(2025, 1, 1), population_year=2025, populations=pops)
    allocation = allocate_version(total, version, members)
    (rounding,) = of(explain_allocation(total, version, members), "rounding")
    assert rounding.data["shares"] == allocation.shares
    assert rounding.data["extra_cent"] == list(allocation.extra_cent)
    assert rounding.data["remaining"] == len(allocation.extra_cent)
    assert set(rounding_reasons(allocation)) == set(allocation.extra_cent)


def test_amounts_are_shown_exactly_or_marked_as_cut() -> None:
    assert eur(3_058_823) == "30588.23"
    assert eur(Fraction(67, 2)) == "0.335"
    assert eur(Fraction(52_000_000, 17)) == "30588.235294..."

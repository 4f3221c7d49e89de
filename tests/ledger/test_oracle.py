"""The oracle itself, checked against worked examples computed by hand from docs/cost-sharing.md.

Each expected figure is written out (cents); the comments show the arithmetic. The last test drives
random small histories through the oracle and checks the invariants the specification promises.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.common.oracle import Oracle, Refused, Rule

A, B, C = "005", "009", "010"  # lowest code first
EQUAL_2025 = Rule("equal", date(2025, 1, 1))


def flat(populations: dict[str, int]):
    return lambda code, year: populations[code]


def project(start: date, end: date, budget: dict[int, int], policy: str = "whole-term", rule: Rule = EQUAL_2025,
            populations=None, **settings_) -> Oracle:
    return Oracle(start=start, end=end, budget=budget, policy=policy, rule=rule,
                  populations=populations or (lambda code, year: 1000), **settings_)


def of(cells: dict, year: int) -> dict:
    return {code: cents for (y, code), cents in cells.items() if y == year}


# -- section 8: the equal split of 520,000.00 EUR among 17 members -------------------------------

SEVENTEEN = ["005", "009", "010", "016", "018", "019", "020", "035", "043",
             "046", "047", "049", "050", "051", "052", "060", "061"]


def test_equal_split_of_520000_eur_among_17_members_rounds_cumulatively() -> None:
    budget = {2025: 8_000_000, 2026: 15_000_000, 2027: 11_000_000, 2028: 10_000_000, 2029: 8_000_000}
    oracle = project(date(2025, 1, 1), date(2029, 12, 31), budget)
    oracle.join(SEVENTEEN, date(2025, 1, 1))
    assessed = oracle.assessed()
    for year, cents in budget.items():
        assert sum(of(assessed, year).values()) == cents
    # 2025: 8,000,000 / 17 = 470,588 + 4/17, so the four lowest codes take the 4 cents left.
    assert of(assessed, 2025) == {c: 470_589 if i < 4 else 470_588 for i, c in enumerate(SEVENTEEN)}
    # 2026: X = 23,000,000 / 17 = 1,352,941 + 3/17: R = 1,352,942 for the three lowest codes, else
    # 1,352,941. The year's share is R less 2025's: 882,353 each, but 882,352 for "016" (held 470,589).
    assert of(assessed, 2026) == {c: 882_352 if c == "016" else 882_353 for c in SEVENTEEN}
    # 2027: X = 34,000,000 / 17 = 2,000,000 exactly: the three that held a cent more pay it back.
    assert of(assessed, 2027) == {c: 647_058 if i < 3 else 647_059 for i, c in enumerate(SEVENTEEN)}
    term = {c: sum(assessed[y, c] for y in budget) for c in SEVENTEEN}
    # 52,000,000 / 17 = 3,058,823 + 9/17: 30,588.24 EUR for the nine lowest codes, 30,588.23 for the rest.
    assert term == {c: 3_058_824 if i < 9 else 3_058_823 for i, c in enumerate(SEVENTEEN)}
    assert oracle.exact()[2025, "005"] == Fraction(8_000_000, 17)
    assert oracle.charged() == {}


# -- section 5: population and fixed weights ------------------------------------------------------

def test_population_split_uses_the_reference_year_and_rounds_cumulatively() -> None:
    populations = {(A, 2024): 250_000, (B, 2024): 150_000, (C, 2024): 50_000, (A, 2025): 1, (B, 2025): 1, (C, 2025): 1}
    rule = Rule("population", date(2025, 1, 1), population_year=2024)
    oracle = project(date(2025, 1, 1), date(2026, 12, 31), {2025: 1_000_000, 2026: 1_000_000},
                     rule=rule, populations=lambda code, year: populations[code, year])
    oracle.join([A, B, C], date(2025, 1, 1))
    # 5 : 3 : 1. 2025: 555,555.56 / 333,333.33 / 111,111.11; one cent left goes to the largest fraction (A).
    # 2026: X = 1,111,111.11 / 666,666.67 / 222,222.22: the cent goes to B; A pays 555,555 this year.
    assert oracle.assessed() == {
        (2025, A): 555_556, (2025, B): 333_333, (2025, C): 111_111,
        (2026, A): 555_555, (2026, B): 333_334, (2026, C): 111_111,
    }


def test_fixed_75_25_split_set_after_the_members_join() -> None:
    oracle = project(date(2025, 1, 1), date(2025, 12, 31), {2025: 1_000_001})
    oracle.join([A, B], date(2025, 1, 1))
    oracle.set_rule(Rule("fixed", date(2025, 1, 1), percentages={A: Fraction(75), B: Fraction(25)}))
    # 750,000.75 and 250,000.25: the one cent left goes to the larger fraction.
    assert oracle.assessed() == {(2025, A): 750_001, (2025, B): 250_000}
    with pytest.raises(Refused):  # a fixed version must name every sharer: C has no percentage
        oracle.join([C], date(2025, 6, 1))


def test_the_version_a_project_is_created_with_names_its_founders_but_a_later_one_names_members_only() -> None:
    # Section 3: the version a project is created with names the cities that will found it.
    oracle = project(date(2025, 1, 1), date(2025, 12, 31), {2025: 100},
                     rule=Rule("fixed", date(2025, 1, 1), percentages={A: Fraction(75), B: Fraction(25)}))
    oracle.join([A, B], date(2025, 1, 1))
    assert oracle.assessed() == {(2025, A): 75, (2025, B): 25}
    with pytest.raises(Refused):  # set on a project with members, it may name members only
        oracle.set_rule(Rule("fixed", date(2025, 1, 1), percentages={A: Fraction(50), C: Fraction(50)}))


# -- pro-rata, days counted inclusive, hybrid ----------------------------------------------------

def test_hybrid_40_percent_equal_under_pro_rata_with_a_late_joiner_and_a_leap_year() -> None:
    rule = Rule("hybrid", date(2026, 1, 1), population_year=2025, base_percent=Fraction(40))
    oracle = project(date(2026, 1, 1), date(2028, 12, 31), {2026: 1_000_000, 2027: 1_000_000, 2028: 1_000_000},
                     policy="pro-rata", rule=rule, populations=flat({A: 30_000, B: 10_000, C: 20_000}))
    oracle.join([A, B], date(2026, 1, 1))
    oracle.join([C], date(2026, 7, 1))
    oracle.leave(B, date(2028, 2, 29))
    # 2026: days 365 / 365 / 184 (Jul 1 - Dec 31), Σ 914; p·d 10,950,000 / 3,650,000 / 3,680,000.
    #   A = 400,000·365/914 + 600,000·10,950/18,280 = 159,737.42 + 359,409.19 = 519,146.61
    #   B = 159,737.42 + 119,803.06 = 279,540.48;  C = 80,525.16 + 120,787.75 = 201,312.91
    #   floors leave 2 cents: C (.91) and A (.61).
    # 2027: full years: 133,333.33 each + 300,000 / 100,000 / 200,000; X = 952,479.94 / 512,873.81 /
    #   534,646.24, 2 cents to A and B: R = 952,480 / 512,874 / 534,646.
    # 2028 (366 days): B has 60 (Jan 31 + Feb 29), Σd 792; p·d 10,980,000 / 600,000 / 7,320,000.
    #   A = 184,848.48 + 348,571.43 = 533,419.91; B = 30,303.03 + 19,047.62 = 49,350.65;
    #   C = 184,848.48 + 232,380.95 = 417,229.44; X = 1,485,899.86 / 562,224.46 / 951,875.68: to A and C.
    assert oracle.assessed() == {
        (2026, A): 519_147, (2026, B): 279_540, (2026, C): 201_313,
        (2027, A): 433_333, (2027, B): 233_334, (2027, C): 333_333,
        (2028, A): 533_420, (2028, B): 49_350, (2028, C): 417_230,
    }
    assert oracle.exact()[2026, C] == Fraction(400_000 * 184, 914) + Fraction(600_000 * 3_680_000, 18_280_000)


def test_a_term_that_starts_and_ends_mid_year_clips_the_days() -> None:
    oracle = project(date(2025, 3, 1), date(2027, 10, 31), {2025: 490_000, 2026: 1_000_000, 2027: 669_000},
                     policy="pro-rata", rule=Rule("equal", date(2025, 3, 1)))
    with pytest.raises(Refused):
        oracle.join([A], date(2025, 2, 28))  # before the term
    oracle.join([A], date(2025, 3, 1))
    oracle.join([B], date(2025, 7, 1))
    oracle.join([C], date(2027, 9, 1))
    # 2025: A 306 days (Mar 1 - Dec 31), B 184; 2026: 365 each; 2027: A, B 304 (Jan 1 - Oct 31), C 61.
    assert oracle.assessed() == {
        (2025, A): 306_000, (2025, B): 184_000,
        (2026, A): 500_000, (2026, B): 500_000,
        (2027, A): 304_000, (2027, B): 304_000, (2027, C): 61_000,
    }
    with pytest.raises(Refused):
        oracle.leave(C, date(2027, 11, 1))  # after the term


# -- withdrawals and rejoins ---------------------------------------------------------------------

TERM = (date(2025, 1, 1), date(2028, 12, 31))
BUDGET = dict.fromkeys(range(2025, 2029), 1_200_000)
THREE = {2025: 400_000, 2026: 400_000}


def three_members(policy: str, leaver: str = "keeps-years") -> Oracle:
    oracle = project(*TERM, BUDGET, policy=policy, leaver=leaver)
    oracle.join([A, B, C], date(2025, 1, 1))
    return oracle


@pytest.mark.parametrize(("policy", "leaver"), [("pro-rata", "keeps-years"), ("pro-rata", "stops"), ("whole-term", "keeps-years")])
def test_a_withdrawal_on_the_last_day_of_2026_keeps_2025_and_2026(policy: str, leaver: str) -> None:
    oracle = three_members(policy, leaver)
    oracle.leave(C, date(2026, 12, 31))
    assessed = oracle.assessed()
    assert of(assessed, 2025) == of(assessed, 2026) == {A: 400_000, B: 400_000, C: 400_000}
    assert of(assessed, 2027) == of(assessed, 2028) == {A: 600_000, B: 600_000}


def test_a_withdrawal_under_whole_term_and_leaver_stops_shares_no_year_but_closed_years_stay() -> None:
    oracle = three_members("whole-term", "stops")
    oracle.close(2025)
    oracle.leave(C, date(2026, 12, 31))
    assessed = oracle.assessed()
    assert of(assessed, 2025) == {A: 400_000, B: 400_000, C: 400_000}
    for year in (2026, 2027, 2028):
        assert of(assessed, year) == {A: 600_000, B: 600_000}


def test_a_withdrawal_mid_year_is_counted_in_days_under_pro_rata_but_not_under_whole_term() -> None:
    pro_rata, whole_term = three_members("pro-rata"), three_members("whole-term")
    for oracle in (pro_rata, whole_term):
        oracle.leave(C, date(2026, 3, 31))
    # Pro-rata 2026: 365 / 365 / 90 days: 1,200,000·365/820 = 534,146.34 (twice), C 131,707.32;
    # the one cent left goes to the larger fraction, then the lower code: A.
    assert of(pro_rata.assessed(), 2026) == {A: 534_147, B: 534_146, C: 131_707}
    assert of(whole_term.assessed(), 2026) == {A: 400_000, B: 400_000, C: 400_000}


def test_a_leaver_who_rejoins_shares_again_from_the_year_it_rejoins() -> None:
    keeps, stops, pro_rata = three_members("whole-term"), three_members("whole-term", "stops"), three_members("pro-rata")
    for oracle in (keeps, stops, pro_rata):
        oracle.leave(C, date(2026, 12, 31))
        with pytest.raises(Refused):
            oracle.join([C], date(2026, 12, 31))  # on its last leave date
        oracle.join([C], date(2028, 3, 1))
    assert keeps.assessed() == {
        **{(y, c): 400_000 for y in (2025, 2026, 2028) for c in (A, B, C)}, (2027, A): 600_000, (2027, B): 600_000}
    # Only the open period counts; it is not the first one, so C shares from 2028 only.
    assert stops.assessed() == {
        **{(y, c): 600_000 for y in (2025, 2026, 2027) for c in (A, B)}, **{(2028, c): 400_000 for c in (A, B, C)}}
    # Pro-rata 2028 (leap year): 366 / 366 / 306 days (Mar 1 - Dec 31): 423,121.39 twice and 353,757.23.
    assert of(pro_rata.assessed(), 2028) == {A: 423_122, B: 423_121, C: 353_757}


# -- section 6: caps and floors --------------------------------------------------------------------

def capped_project(**caps_and_floors) -> Oracle:
    oracle = project(date(2025, 1, 1), date(2027, 12, 31), dict.fromkeys((2025, 2026, 2027), 900_000))
    oracle.join([A, B, C], date(2025, 1, 1))
    oracle.set_rule(Rule("equal", date(2025, 1, 1), **caps_and_floors))
    return oracle


def test_a_cap_with_a_closed_year_and_a_budget_increase() -> None:
    oracle = capped_project(caps={A: 800_000})
    # Unbounded 900,000 each. Σ T = 2,700,000 = 800,000 + 2·λ·900,000: λ = 19/18, A held at 800,000.
    # E[y][A] = 300,000·8/9 = 266,666.67; the rest of each year, 633,333.33, to B and C: 316,666.67.
    # 2025: two cents left, all fractions 2/3: A and B take them.
    assert of(oracle.assessed(), 2025) == {A: 266_667, B: 316_667, C: 316_666}
    assert sum(cents for (y, c), cents in oracle.assessed().items() if c == A) == 800_000
    oracle.close(2025)
    oracle.set_budget({2026: 1_200_000})
    # K = 266,667 / 316,667 / 316,666. Open years: U = 700,000 each, CF 2,100,000; A's bound
    # 800,000 − 266,667 = 533,333. E[2026][A] = 400,000·533,333/700,000 = 304,761.71,
    # E[2027][A] = 228,571.29; B and C take the rest of each year: 447,619.14 and 335,714.36.
    # 2026: X = 571,428.71 / 764,286.14 / 764,285.14, one cent to A. 2027: X = 800,000 /
    # 1,100,000.5 / 1,099,999.5: one cent, a tie of fractions: the lower code, B.
    assert oracle.assessed() == {
        (2025, A): 266_667, (2025, B): 316_667, (2025, C): 316_666,
        (2026, A): 304_762, (2026, B): 447_619, (2026, C): 447_619,
        (2027, A): 228_571, (2027, B): 335_715, (2027, C): 335_714,
    }
    assert sum(cents for (y, c), cents in oracle.assessed().items() if c == A) == 800_000
    with pytest.raises(Refused):  # a cap below what the closed year holds
        oracle.set_rule(Rule("equal", date(2026, 1, 1), caps={A: 266_666}))


def test_a_floor_takes_its_excess_from_every_year() -> None:
    oracle = project(date(2025, 1, 1), date(2027, 12, 31), dict.fromkeys((2025, 2026, 2027), 300_000))
    oracle.join([A, B, C], date(2025, 1, 1))
    oracle.set_rule(Rule("equal", date(2025, 1, 1), floors={C: 400_000}))
    # λ = 5/6 (400,000 + 2·λ·300,000 = 900,000); C held at its floor: E[y][C] = 100,000·4/3 =
    # 133,333.33 in every year, A and B 83,333.33 in every year (not only the last).
    # X: 2025 83,333.33 / 83,333.33 / 133,333.33: one cent to A (fractions tie, lowest code);
    # 2026 166,666.67 / 166,666.67 / 266,666.67: two cents, fractions tie, to A and B (R = 166,667 /
    # 166,667 / 266,666); 2027 exact: 250,000 / 250,000 / 400,000.
    assert oracle.assessed() == {
        (2025, A): 83_334, (2025, B): 83_333, (2025, C): 133_333,
        (2026, A): 83_333, (2026, B): 83_334, (2026, C): 133_333,
        (2027, A): 83_333, (2027, B): 83_333, (2027, C): 133_334,
    }


def test_a_floor_of_a_leaver_is_taken_from_the_years_it_shares() -> None:
    oracle = project(date(2025, 1, 1), date(2027, 12, 31), dict.fromkeys((2025, 2026, 2027), 300_000))
    oracle.join([A, B, C], date(2025, 1, 1))
    oracle.leave(A, date(2026, 12, 31))
    oracle.set_rule(Rule("equal", date(2025, 1, 1), floors={A: 300_000}))
    # U = 200,000 / 350,000 / 350,000; λ = 6/7, A held at 300,000: 150,000 in 2025 and in 2026.
    assert oracle.assessed() == {
        (2025, A): 150_000, (2025, B): 75_000, (2025, C): 75_000,
        (2026, A): 150_000, (2026, B): 75_000, (2026, C): 75_000,
        (2027, B): 150_000, (2027, C): 150_000,
    }
    with pytest.raises(Refused):  # the floors add up to more than the open years
        oracle.set_rule(Rule("equal", date(2025, 1, 1), floors={A: 300_000, B: 300_000, C: 300_001}))


def test_the_rest_of_a_year_beside_a_capped_member_is_split_by_the_others_unbounded_shares() -> None:
    rule = Rule("hybrid", date(2025, 1, 1), population_year=2024, base_percent=Fraction(50))
    oracle = project(date(2025, 1, 1), date(2025, 12, 31), {2025: 1_200_000}, rule=rule,
                     populations=flat({A: 1, B: 1, C: 2}))
    oracle.join([A, B, C], date(2025, 1, 1))
    assert oracle.assessed() == {(2025, A): 350_000, (2025, B): 350_000, (2025, C): 500_000}
    oracle.set_rule(Rule("hybrid", date(2025, 1, 1), population_year=2024, base_percent=Fraction(50), caps={A: 200_000}))
    # Section 6.3: the 1,000,000 left beside A is split among B and C in proportion to their
    # unbounded shares, 350,000 : 500,000 (as one allocation spreads an excess by combined weights):
    # 411,764.71 and 588,235.29. (Splitting it by the hybrid rule again would give 416,667 / 583,333.)
    assert oracle.assessed() == {(2025, A): 200_000, (2025, B): 411_765, (2025, C): 588_235}


def test_a_closed_year_keeps_its_assessed_cents_and_the_cap_counts_them() -> None:
    oracle = two_years()
    oracle.grant(2025, 10_000, target=A)
    oracle.close(2025)
    assert of(oracle.assessed(), 2025) == {A: 40_000, B: 50_000}
    oracle.set_rule(Rule("equal", date(2026, 1, 1), caps={A: 85_000}))
    # Reading: K[A] is what 2025 holds, 40,000 (after its targeted grant), so A may pay 45,000 in 2026.
    # (Were K the share before targeted funding, 50,000, A would pay 35,000 and B 65,000.)
    assert of(oracle.assessed(), 2026) == {A: 45_000, B: 55_000}


# -- section 4 and 8: funding ----------------------------------------------------------------------

def two_years(**kwargs) -> Oracle:
    oracle = project(date(2025, 1, 1), date(2026, 12, 31), {2025: 100_000, 2026: 100_000}, **kwargs)
    oracle.join([A, B], date(2025, 1, 1))
    return oracle


def test_a_general_subsidy_is_rounded_once_and_split_by_hours() -> None:
    oracle = two_years()
    oracle.subsidy("eu", 3_333)
    oracle.hours("eu", [(date(2025, 3, 1), Decimal("10.5")), (date(2026, 2, 1), Decimal("7.25")), (date(2026, 5, 1), Decimal("2.25"))])
    # 20 h × 33.33 = 66,660; by hours 10.5 : 9.5 = 34,996.5 / 31,663.5: the tie goes to 2025.
    # CF 65,003 and 68,337; 2025: 32,501.5 each, the cent to A; 2026: X = 66,670 each exactly.
    assert oracle.co_funded() == {2025: 65_003, 2026: 68_337}
    assert oracle.assessed() == {(2025, A): 32_502, (2025, B): 32_501, (2026, A): 34_168, (2026, B): 34_169}
    oracle.hours("eu", [(date(2026, 6, 1), Decimal("0.15"))])  # 20.15 h × 33.33 = 671.5995 → 67,160 (once)
    assert sum(oracle.co_funded().values()) == 200_000 - 67_160


def test_targeted_funding_larger_than_the_share_is_reported_unused() -> None:
    oracle = two_years()
    oracle.grant(2026, 70_000, target=A)
    # Shares 50,000 each; A's is taken down to zero, 20,000 unused; B unchanged.
    assert oracle.assessed() == {(2025, A): 50_000, (2025, B): 50_000, (2026, B): 50_000}
    assert oracle.unused() == [(2026, A, 20_000)]
    oracle.grant(2025, 120_000)  # general funding beyond the budget: CF 0, 20,000 unused
    assert oracle.assessed() == {(2026, B): 50_000}
    assert oracle.unused() == [(2025, None, 20_000), (2026, A, 20_000)]
    with pytest.raises(Refused):
        oracle.grant(2025, 1, target="999")  # never a member


# -- section 9: charges, joining fees, catch-up ---------------------------------------------------

TIERS = [(date(2025, 6, 30), 100), (date(2026, 6, 30), 150), (None, 200)]
FEE_POPULATIONS = {A: 1_000, B: 2_000, C: 500}


def fee_project() -> Oracle:
    return project(date(2025, 1, 1), date(2027, 12, 31), dict.fromkeys((2025, 2026, 2027), 0),
                   populations=lambda code, year: FEE_POPULATIONS[code] if year == 2024 else 0)


def test_the_joining_fee_is_charged_by_each_join_date_whatever_the_order() -> None:
    fee_first, fee_later = fee_project(), fee_project()
    fee_first.joining_fee(TIERS, 2024)
    for oracle in (fee_first, fee_later):
        oracle.join([A], date(2025, 1, 1))
        oracle.join([B], date(2026, 3, 1))
        oracle.join([C], date(2027, 1, 1))
    fee_later.joining_fee(TIERS, 2024)
    # A 1,000 residents × 1.00; B 2,000 × 1.50 (by 2026-06-30); C 500 × 2.00 (open-ended tier).
    assert fee_first.charged() == fee_later.charged() == {(2025, A): 100_000, (2026, B): 300_000, (2027, C): 100_000}
    fee_later.joining_fee([(date(2025, 6, 30), 110), (None, 210)], 2024)  # recalculated for everyone
    assert fee_later.charged() == {(2025, A): 110_000, (2026, B): 420_000, (2027, C): 105_000}
    fee_first.leave(C, date(2027, 3, 1))
    fee_first.join([C], date(2027, 5, 1))  # a rejoin: a fee for each period
    assert fee_first.charged()[2027, C] == 200_000


def test_direct_charges_are_numbered_and_cancelled_by_a_reversal() -> None:
    oracle = fee_project()
    oracle.join([A, B], date(2025, 1, 1))
    oracle.charge(A, date(2025, 5, 1), 12_345)
    oracle.charge(B, date(2026, 5, 1), 500)
    oracle.charge(A, date(2025, 6, 1), 55)
    oracle.cancel_charge(1)
    assert oracle.charged() == {(2025, A): 55, (2026, B): 500}
    with pytest.raises(Refused):
        oracle.cancel_charge(1)  # already cancelled
    oracle.close(2025)
    with pytest.raises(Refused):
        oracle.cancel_charge(3)  # dated in a closed year
    with pytest.raises(Refused):
        oracle.charge(A, date(2025, 12, 31), 1)


def test_catch_up_after_closing_2025() -> None:
    budget = {2025: 1_000_001, 2026: 900_000, 2027: 900_000}
    catch_up = project(date(2025, 1, 1), date(2027, 12, 31), budget, joiner="catch-up")
    open_years = project(date(2025, 1, 1), date(2027, 12, 31), budget)
    for oracle in (catch_up, open_years):
        oracle.join([A, B], date(2025, 1, 1))
        oracle.close(2025)  # A 500,001, B 500,000
        oracle.join([C], date(2026, 4, 1))
        assert oracle.assessed() == {
            (2025, A): 500_001, (2025, B): 500_000,
            **{(y, c): 300_000 for y in (2026, 2027) for c in (A, B, C)},
        }
    # 1,000,001 / 3 = 333,333.67 → 333,334 (half up), charged on its join date, in 2026.
    assert catch_up.charged() == {(2026, C): 333_334}
    assert open_years.charged() == {}
    catch_up.set_settings(joiner="open-years")  # the amount was fixed when it joined
    assert catch_up.charged() == {(2026, C): 333_334}


# -- section 10: refusals leave the oracle as it was -----------------------------------------------

def snapshot(oracle: Oracle) -> tuple:
    return oracle.assessed(), oracle.charged(), oracle.exact(), oracle.members(), oracle.closed_years(), oracle.unused()


def test_refusals_leave_the_state_unchanged() -> None:
    oracle = project(*TERM, BUDGET, policy="whole-term", leaver="stops", populations=lambda code, year: 0 if year == 2000 else 1)
    oracle.join([A, B], date(2025, 1, 1))
    oracle.close(2025)
    oracle.charge(A, date(2026, 1, 5), 10)
    refusals = [
        lambda: oracle.join([C], date(2029, 1, 1)),  # outside the term
        lambda: oracle.join([C], date(2025, 6, 1)),  # in a closed year
        lambda: oracle.join([A], date(2026, 1, 1)),  # already a member
        lambda: oracle.join([C, C], date(2026, 1, 1)),
        lambda: oracle.leave(C, date(2026, 1, 1)),  # not a member
        lambda: oracle.leave(A, date(2024, 12, 31)),
        lambda: oracle.set_budget({2025: 5}),  # closed
        lambda: oracle.set_budget({2026: -1}),
        lambda: oracle.set_rule(Rule("equal", date(2025, 6, 1))),  # takes effect in a closed year
        lambda: oracle.set_rule(Rule("fixed", date(2026, 1, 1), percentages={A: Fraction(50), C: Fraction(50)})),
        lambda: oracle.set_rule(Rule("fixed", date(2026, 1, 1), percentages={A: Fraction(100)})),  # B has none
        lambda: oracle.set_rule(Rule("equal", date(2026, 1, 1), caps={"999": 1})),
        lambda: oracle.set_rule(Rule("equal", date(2026, 1, 1), caps={A: 1})),  # below the closed year
        lambda: oracle.set_rule(Rule("equal", date(2026, 1, 1), caps={A: 1_000_000, B: 1_000_000})),  # hold less
        lambda: oracle.set_rule(Rule("population", date(2026, 1, 1), population_year=2000)),  # weights zero
        lambda: oracle.set_policy("whole-term"),
        lambda: oracle.close(2025),
        lambda: oracle.close(2030),
        lambda: oracle.grant(2026, 5, target="999"),
        lambda: oracle.subsidy("s", 100, target="999"),
        lambda: oracle.hours("nope", [(date(2026, 1, 1), Decimal(1))]),
        lambda: oracle.charge(A, date(2025, 3, 1), 10),
        lambda: oracle.cancel_charge(2),
        lambda: oracle.leave(A, date(2026, 6, 1)) or oracle.leave(B, date(2026, 6, 1)),  # nobody left to share
    ]
    before = snapshot(oracle)
    for index, refusal in enumerate(refusals):
        try:
            refusal()
        except Refused:
            pass
        else:
            pytest.fail(f"refusal {index} was accepted")
        if index < len(refusals) - 1:
            assert snapshot(oracle) == before, index
    oracle.join([A], date(2026, 7, 1))  # the last one: A left, then B's leave was refused
    assert oracle.members()[A] == [(date(2025, 1, 1), date(2026, 6, 1)), (date(2026, 7, 1), None)]


def test_a_version_that_would_govern_no_year_is_refused() -> None:
    oracle = project(*TERM, BUDGET)
    oracle.join([A, B], date(2025, 1, 1))
    oracle.set_rule(Rule("equal", date(2026, 9, 1)))
    with pytest.raises(Refused):
        oracle.set_rule(Rule("population", date(2026, 3, 1), population_year=2025))
    oracle.set_rule(Rule("population", date(2026, 9, 1), population_year=2025))  # same date, set later: governs


def test_creation_can_be_refused() -> None:
    with pytest.raises(Refused):
        project(date(2026, 1, 1), date(2025, 12, 31), {})
    with pytest.raises(Refused):
        project(*TERM, {2030: 5})
    with pytest.raises(Refused):
        project(*TERM, BUDGET, rule=Rule("equal", date(2024, 1, 1)))


# -- invariants over random small histories --------------------------------------------------------

CODES = [A, B, C, "016"]
DAYS = st.dates(date(2025, 1, 1), date(2027, 12, 31))
STEPS = st.one_of(
    st.tuples(st.just("join"), st.lists(st.sampled_from(CODES), min_size=1, max_size=2, unique=True), DAYS),
    st.tuples(st.just("leave"), st.integers(0, 3), DAYS),
    st.tuples(st.just("budget"), st.sampled_from([2025, 2026, 2027]), st.integers(0, 10_000)),
    st.tuples(st.just("grant"), st.sampled_from([2025, 2026, 2027]), st.integers(0, 3_000), st.sampled_from([None, *CODES])),
    st.tuples(st.just("close"), st.sampled_from([2025, 2026, 2027])),
    st.tuples(st.just("rule"), st.sampled_from(["equal", "population", "hybrid"]), DAYS,
              st.dictionaries(st.sampled_from(CODES), st.integers(0, 12_000), max_size=2),
              st.dictionaries(st.sampled_from(CODES), st.integers(0, 6_000), max_size=2)),
    st.tuples(st.just("policy")),
    st.tuples(st.just("leaver"), st.sampled_from(["keeps-years", "stops"])),
)
POPULATIONS = {A: 1_000, B: 2_500, C: 700, "016": 4_321}


def apply(oracle: Oracle, step: tuple) -> None:
    """One step; leaves, caps and floors name members, so that most steps are accepted."""
    kind, *args = step
    members = sorted(oracle.members())
    if kind == "join":
        oracle.join(args[0], args[1])
    elif kind == "leave":
        oracle.leave(members[args[0] % len(members)] if members else A, args[1])
    elif kind == "budget":
        oracle.set_budget({args[0]: args[1]})
    elif kind == "grant":
        oracle.grant(args[0], args[1], target=args[2])
    elif kind == "close":
        oracle.close(args[0])
    elif kind == "rule":
        rule_kind, on, caps, floors = args
        caps, floors = ({c: v for c, v in bounds.items() if c in members} for bounds in (caps, floors))
        oracle.set_rule(Rule(rule_kind, on, population_year=2024, base_percent=Fraction(40), caps=caps, floors=floors))
    elif kind == "policy":
        oracle.set_policy("pro-rata" if oracle.policy == "whole-term" else "whole-term")
    else:
        oracle.set_settings(leaver=args[0])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STEPS, max_size=14), st.dictionaries(st.sampled_from([2025, 2026, 2027]), st.integers(0, 10_000)))
def test_invariants_of_random_histories(steps: list, budget: dict) -> None:
    oracle = project(date(2025, 1, 1), date(2027, 12, 31), budget, populations=lambda code, year: POPULATIONS[code])
    for step in steps:
        before = snapshot(oracle)
        try:
            apply(oracle, step)
        except Refused:
            assert snapshot(oracle) == before
            continue
        check_invariants(oracle)


def check_invariants(oracle: Oracle) -> None:
    shares, exact, assessed = oracle.shares(), oracle.exact(), oracle.assessed()
    unused = {(y, c): cents for y, c, cents in oracle.unused() if c is not None}
    members = oracle.members()
    if not members:
        return
    for year, cf in oracle.co_funded().items():
        assert sum(of(shares, year).values()) == cf
        assert sum(exact.get((year, c), 0) for c in members) == cf
        for code in members:
            share, e = shares.get((year, code), 0), exact.get((year, code), Fraction(0))
            assert abs(share - e) < 2
            assert share >= 0  # shares of the year are never negative in these histories
            assert assessed.get((year, code), 0) <= share
    open_years = oracle.co_funded()
    for code in members:
        term_share = sum(shares.get((y, code), 0) for y in open_years)
        term_exact = sum((exact.get((y, code), Fraction(0)) for y in open_years), Fraction(0))
        assert abs(term_share - term_exact) < 1
    for (year, code), cents in unused.items():
        assert assessed.get((year, code), 0) == 0 and cents > 0

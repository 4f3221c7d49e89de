"""The money defects an audit found, each with the smallest case that shows it, and the worked examples.

Every figure here is worked out by hand from docs/cost-sharing.md (and the oracle gives the same).
"""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.errors import Conflict, InvalidInput, LedgerError
from ledger.params import fee_params
from tests.common.core import new_project, version

D = dt.date
A, B, C = "020", "091", "106"
YEAR = 1_200_000  # 12,000.00 EUR a year: 400,000 each among three


START, END = D(2025, 1, 1), D(2027, 12, 31)


def three(start: dt.date = START, end: dt.date = END, **kw: str):
    p = new_project(start, end, dict.fromkeys(range(start.year, end.year + 1), YEAR), **kw)
    p.join([A, B, C], start)
    return p


# -- 2. rounding: within a cent of exact over the term, each year exact, no code favoured every year --------
def test_the_remaining_cents_move_round_instead_of_going_to_the_lowest_codes_every_year() -> None:
    codes = [f"{n:03d}" for n in (5, 9, 10, 16, 18, 19, 20, 46, 47, 49, 50, 51, 52, 61, 69, 71, 72)]
    budget = {2025: 8_000_000, 2026: 15_000_000, 2027: 11_000_000, 2028: 10_000_000, 2029: 8_000_000}
    p = new_project(D(2025, 1, 1), D(2029, 12, 31), budget)
    p.join(codes, D(2025, 1, 1))
    cells = p.assessed()
    for year, total in budget.items():
        assert sum(v for (y, _), v in cells.items() if y == year) == total
    extra = {y: {c for c in codes if cells[(y, c)] > total // 17} for y, total in budget.items()}
    assert extra[2025] == set(codes[:4])          # 8,000,000 / 17 leaves 4 cents: the four lowest codes
    assert not extra[2026] & extra[2025] - {codes[0]} or extra[2026] != extra[2025]
    assert len({frozenset(e) for e in extra.values()}) > 1  # not the same codes every year
    terms = {c: sum(cells[(y, c)] for y in budget) for c in codes}
    assert sorted(set(terms.values())) == [3_058_823, 3_058_824]  # 52,000,000 / 17 = 3,058,823.53: within a cent
    assert [c for c in codes if terms[c] == 3_058_824] == codes[:9]


# -- 3. dates: clipped to the term, refused outside it ---------------------------------------------------
def test_days_are_clipped_to_a_term_that_starts_and_ends_mid_year() -> None:
    p = new_project(D(2025, 3, 1), D(2027, 10, 31), {2025: 490_000, 2026: 1_000_000, 2027: 669_000}, policy="pro-rata")
    p.join([A], D(2025, 3, 1))
    p.join([B], D(2025, 8, 1))
    p.join([C], D(2027, 9, 1))
    # 2025: A 306 days (1.3.–31.12.), B 153 of 459; 2026: 365 each; 2027: A, B 304 days (to 31.10.), C 61 of 669.
    assert p.of(A) == {2025: 326_667, 2026: 500_000, 2027: 304_000}
    assert p.of(B) == {2025: 163_333, 2026: 500_000, 2027: 304_000}
    assert p.of(C) == {2027: 61_000}


@pytest.mark.parametrize("change", ["join before the start", "join after the end", "leave after the end", "budget effective after"])
def test_dates_outside_the_term_are_refused(change: str) -> None:
    p = three(D(2025, 3, 1), D(2027, 10, 31))
    before = (p.state, p.journal.seq)
    with pytest.raises(InvalidInput, match="outside the project"):
        if change == "join before the start":
            p.join(["286"], D(2025, 2, 28))
        elif change == "join after the end":
            p.join(["286"], D(2027, 11, 1))
        elif change == "leave after the end":
            p.leave(A, D(2027, 12, 31))
        else:
            p.run("budget-set", D(2027, 11, 1), years={"2026": 5})
    assert (p.state, p.journal.seq) == before


# -- 4. caps hold after every change, not only when a rule is set ---------------------------------------
def test_a_cap_holds_with_a_closed_year_and_a_budget_increase() -> None:
    p = three()
    p.run("rule-set", D(2025, 1, 1), version=version("equal", D(2025, 1, 1), [A, B, C], caps={A: 1_000_000})[0])
    assert p.of(A) == {2025: 333_334, 2026: 333_333, 2027: 333_333}  # the cap spread over the term, not eaten early
    p.run("year-closed", D(2026, 1, 1), year=2025)
    p.run("budget-set", D(2026, 1, 1), years={"2027": 3_000_000})
    assert p.of(A)[2025] == 333_334                     # kept as closed
    assert sum(p.of(A).values()) == 1_000_000           # and the cap still holds over the term
    assert sum(p.assessed().values()) == 2 * YEAR + 3_000_000


def test_a_change_that_would_break_a_cap_is_refused_saying_which() -> None:
    p = three()
    p.run("rule-set", D(2025, 1, 1), version=version("equal", D(2025, 1, 1), [A, B, C], caps={A: 1, B: 1})[0])
    before = (p.state, p.journal.seq)
    with pytest.raises(LedgerError, match="cap"):
        p.leave(C, D(2025, 12, 31))   # the caps would then have to hold 2026 and 2027 alone
    assert (p.state, p.journal.seq) == before


# -- 5. under pro-rata, caps and floors bind the term, and every year gives way -------------------------
def test_a_floor_is_made_up_over_every_year_not_only_the_last() -> None:
    p = three(policy="pro-rata")
    p.run("rule-set", D(2025, 1, 1), version=version("equal", D(2025, 1, 1), [A, B, C], floors={C: 1_500_000})[0])
    c = p.of(C)
    assert sum(c.values()) == 1_500_000 and all(v == 500_000 for v in c.values())
    assert p.of(A) == p.of(B) == {2025: 350_000, 2026: 350_000, 2027: 350_000}


# -- 6. a fixed version can be set for years a leaver took part in ---------------------------------------
def test_a_fixed_version_names_a_member_that_left_in_the_years_it_shares() -> None:
    p = three(policy="pro-rata")
    p.leave(C, D(2025, 12, 31))
    pct = {A: 50, B: 30, C: 20}
    p.run("rule-set", D(2025, 1, 1), version=version("fixed", D(2025, 1, 1), [A, B, C], pct=pct)[0])
    assert p.of(C) == {2025: 240_000}
    assert p.of(A)[2026] == 750_000  # 50 / 80 of 2026: C no longer shares it
    with pytest.raises(InvalidInput, match="do not name 106"):
        p.run("rule-set", D(2025, 1, 1), version=version("fixed", D(2025, 1, 1), [A, B, C], pct={A: 60, B: 40})[0])


# -- 7. the joining fee is charged to every member by its own join date, whatever the order -------------
def test_the_joining_fee_does_not_depend_on_the_order_of_the_changes() -> None:
    tiers = [["2025-06-30", 100], [None, 300]]

    def fee(p) -> None:
        p.run("joining-fee-set", D(2025, 1, 1), tiers=tiers, population_year=2025, populations=fee_params(p.state, 2025))

    first, later = three(), three()
    fee(first)
    first.join(["286"], D(2025, 9, 1))
    later.join(["286"], D(2025, 9, 1))
    fee(later)
    assert first.charged() == later.charged()
    from ledger import municipalities as M
    assert first.charged()[(2025, A)] == M.lookup(A, 2025).population * 100
    assert first.charged()[(2025, "286")] == M.lookup("286", 2025).population * 300


# -- 8. a version that would govern no year is refused --------------------------------------------------
def test_a_version_with_an_earlier_date_in_the_year_of_a_later_one_is_refused() -> None:
    p = three()
    p.run("rule-set", D(2026, 6, 1), version=version("population", D(2026, 6, 1), [A, B, C])[0])
    with pytest.raises(InvalidInput, match="would govern no year"):
        p.run("rule-set", D(2026, 2, 1), version=version("equal", D(2026, 2, 1), [A, B, C])[0])


# -- the choices the agreements leave open ---------------------------------------------------------------
@pytest.mark.parametrize("policy, leaver, after", [
    ("pro-rata", "keeps-years", {2025: 400_000, 2026: 400_000}),
    ("whole-term", "keeps-years", {2025: 400_000, 2026: 400_000}),
    ("whole-term", "stops", {}),
])
def test_a_withdrawal_on_31_december_2026_under_each_policy(policy: str, leaver: str, after: dict[int, int]) -> None:
    p = three(policy=policy, leaver=leaver)
    p.leave(C, D(2026, 12, 31))
    assert p.of(C) == after
    assert p.of(A)[2027] == p.of(B)[2027] == 600_000


def test_under_stops_a_leaver_keeps_only_what_closed_years_hold() -> None:
    p = three(leaver="stops")
    p.run("year-closed", D(2026, 1, 1), year=2025)
    p.leave(C, D(2026, 12, 31))
    assert p.of(C) == {2025: 400_000}
    assert p.of(A)[2026] == 600_000


@pytest.mark.parametrize("leaver, years", [("keeps-years", {2025, 2026, 2028}), ("stops", {2028})])
def test_a_leaver_that_rejoins_shares_again_from_the_year_it_rejoins(leaver: str, years: set[int]) -> None:
    p = new_project(D(2025, 1, 1), D(2028, 12, 31), dict.fromkeys(range(2025, 2029), YEAR), leaver=leaver)
    p.join([A, B, C], D(2025, 1, 1))
    p.leave(C, D(2026, 12, 31))
    with pytest.raises(Conflict, match="after its last leave date"):
        p.join([C], D(2026, 12, 31))
    p.join([C], D(2028, 3, 1))
    assert set(p.of(C)) == years and all(v == 400_000 for v in p.of(C).values())
    assert p.of(A)[2027] == 600_000


def test_hybrid_under_pro_rata_splits_each_part_by_its_own_weights_with_a_late_joiner() -> None:
    rule = version("hybrid", D(2026, 1, 1), [A, B], base=40)[0]
    p = new_project(D(2026, 1, 1), D(2026, 12, 31), {2026: 1_000_000}, policy="pro-rata", rule=rule)
    p.join([A, B], D(2026, 1, 1))
    p.join([C], D(2026, 7, 1))
    # 400,000 by days (365 : 365 : 184) and 600,000 by population × days, each part on its own.
    from ledger import municipalities as M
    pop = {c: M.lookup(c, 2025).population for c in (A, B, C)}
    days = {A: 365, B: 365, C: 184}
    exact = {c: 400_000 * days[c] / sum(days.values()) + 600_000 * pop[c] * days[c] / sum(pop[x] * days[x] for x in days)
             for c in days}
    assert all(abs(p.of(c)[2026] - exact[c]) < 1 for c in days)
    assert sum(p.of(c)[2026] for c in days) == 1_000_000


def test_a_joiner_after_a_closed_year_catches_up_when_the_setting_says_so() -> None:
    p = three(joiner="catch-up")
    p.run("year-closed", D(2026, 1, 1), year=2025)
    result = p.join(["286"], D(2026, 3, 1))
    assert p.charged() == {(2026, "286"): 300_000}   # its quarter of 2025's 1,200,000, as the rules give it
    assert [c.kind for c in result.charges] == ["catch-up"]
    assert p.of("286") == {2026: 300_000, 2027: 300_000}

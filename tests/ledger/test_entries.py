"""The ledger's entries: account names, assessments balanced per year, charges, text round trips, balance checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from beancount import loader
from beancount.core import data
from beancount.core.amount import Amount
from hypothesis import given
from hypothesis import strategies as st

from ledger import entries as E
from ledger import municipalities as M
from ledger.errors import InvalidInput

D = dt.date
NAMES = {"638": "Porvoo", "753": "Sipoo", "020": "Akaa"}
META = {"filename": "iam", "lineno": 1, "change": "members-added"}


def amounts(entry: data.Transaction) -> list[tuple[str, str, int | None]]:
    """(account, amount, year) of each posting, in order."""
    return [(p.account, str(p.units.number), E.posting_year(p)) for p in entry.postings]


# -- accounts ------------------------------------------------------------------------------------
@pytest.mark.parametrize("code, name, account", [
    ("638", "Porvoo", "Assets:Receivable:Members:Porvoo-638"),
    ("109", "Hämeenlinna", "Assets:Receivable:Members:Hämeenlinna-109"),
    ("284", "Koski Tl", "Assets:Receivable:Members:Koski-Tl-284"),
    ("478", "Maarianhamina - Mariehamn", "Assets:Receivable:Members:Maarianhamina-Mariehamn-478"),
    ("599", "pedersören kunta", "Assets:Receivable:Members:Pedersören-kunta-599"),
    ("000", "  (Test)  ", "Assets:Receivable:Members:Test-000"),
])
def test_member_account_is_readable_and_keyed_on_the_code(code: str, name: str, account: str) -> None:
    assert E.member_account(code, name) == account
    assert E.code_of_account(account) == code


def test_every_municipality_has_a_valid_beancount_account() -> None:
    cities = M.municipalities(2025)
    accounts = {code: E.member_account(code, city.name) for code, city in cities.items()}
    text = "\n".join(E.format_entry(E.open_entry(D(2025, 1, 1), a, {})) for a in accounts.values())
    entries, errors, _ = loader.load_string(text)
    assert errors == [] and len(entries) == 308
    assert {E.code_of_account(a): code for code, a in accounts.items()} == {code: code for code in cities}


@pytest.mark.parametrize("account", [
    E.CONTRIBUTIONS, E.DIRECT_CHARGES, "Assets:Bank", "Assets:Bank-638", "Assets:Receivable:Members:Porvoo-6380",
    "Assets:Receivable:Members:Porvoo-63", "Assets:Receivable:Members:Porvoo-638:Sub", "Assets:Receivable:Porvoo-638",
])
def test_other_accounts_have_no_code(account: str) -> None:
    assert E.code_of_account(account) is None


# -- assessments ---------------------------------------------------------------------------------
def test_an_assessment_balances_its_own_year_against_contributions_and_others_against_deferred() -> None:
    moves = {(2026, "638"): -5_000, (2025, "753"): 20_000, (2025, "638"): 10_000, (2026, "753"): 2_000}
    entry = E.assessment(D(2026, 6, 1), moves, NAMES, "Sipoo joins", META)
    assert entry.tags == {E.ASSESSMENT_TAG} and entry.narration == "Sipoo joins" and entry.meta == META
    assert amounts(entry) == [
        ("Assets:Receivable:Members:Porvoo-638", "100.00", 2025),
        ("Assets:Receivable:Members:Porvoo-638", "-50.00", 2026),
        ("Assets:Receivable:Members:Sipoo-753", "200.00", 2025),
        ("Assets:Receivable:Members:Sipoo-753", "20.00", 2026),
        ("Liabilities:Deferred:Contributions", "-300.00", 2025),
        (E.CONTRIBUTIONS, "30.00", 2026),
    ]
    assert E.check_balanced([entry]) == []
    for year in (2025, 2026):  # and each year on its own
        assert sum(p.units.number for p in entry.postings if E.posting_year(p) == year) == 0


def test_what_is_deferred_is_recognised_within_its_own_year() -> None:
    moves = {(2025, "638"): 10_000, (2027, "638"): 4_000, (2027, "753"): 1_000, (2028, "753"): 7, (2026, "753"): 3}
    entry = E.assessment(D(2026, 6, 1), moves, NAMES, "x", META)
    recognised = E.recognitions(entry, E.CONTRIBUTIONS)
    assert [(r.date, r.tags, amounts(r)) for r in recognised] == [
        (D(2025, 12, 31), {E.RECOGNITION_TAG}, [(E.DEFERRED + ":Contributions", "100.00", 2025), (E.CONTRIBUTIONS, "-100.00", 2025)]),
        (D(2027, 1, 1), {E.RECOGNITION_TAG}, [(E.DEFERRED + ":Contributions", "50.00", 2027), (E.CONTRIBUTIONS, "-50.00", 2027)]),
        (D(2028, 1, 1), {E.RECOGNITION_TAG}, [(E.DEFERRED + ":Contributions", "0.07", 2028), (E.CONTRIBUTIONS, "-0.07", 2028)]),
    ]
    assert E.check_balanced(recognised) == [] and E.recognitions(None, E.CONTRIBUTIONS) == []
    # after the recognitions, nothing stays deferred and each year's income is dated in that year
    everything = [entry, *recognised]
    deferred = sum(p.units.number for e in everything for p in e.postings if p.account.startswith(E.DEFERRED))
    assert deferred == 0
    assert all(e.date.year == E.posting_year(p) for e in everything for p in e.postings if p.account == E.CONTRIBUTIONS)


def test_moves_between_members_of_a_year_need_no_contribution_posting() -> None:
    entry = E.assessment(D(2026, 1, 1), {(2026, "638"): -1_000, (2026, "753"): 1_000, (2027, "638"): 0}, NAMES, "x", {})
    assert [a for a, _, _ in amounts(entry)] == ["Assets:Receivable:Members:Porvoo-638", "Assets:Receivable:Members:Sipoo-753"]
    assert E.check_balanced([entry]) == []


def test_nothing_moved_is_nothing_to_post() -> None:
    assert E.assessment(D(2026, 1, 1), {}, NAMES, "x", {}) is None
    assert E.assessment(D(2026, 1, 1), {(2026, "638"): 0, (None, "753"): 0}, NAMES, "x", {}) is None


def test_cells_before_budget_years_carry_no_year() -> None:
    entry = E.assessment(D(2025, 1, 1), {(None, "638"): 500_000, (None, "753"): 500_000}, NAMES, "x", {})
    assert amounts(entry)[-1] == (E.CONTRIBUTIONS, "-10000.00", None)
    assert all(p.meta is None for p in entry.postings)


@given(st.dictionaries(st.tuples(st.sampled_from([None, 2025, 2026, 2027]), st.sampled_from(sorted(NAMES))),
                       st.integers(-10**9, 10**9)))
def test_any_assessment_balances_and_adds_up_to_its_cells(moves: dict) -> None:
    entry = E.assessment(D(2026, 1, 1), moves, NAMES, "x", {})
    if entry is None:
        assert not any(moves.values())
        return
    assert E.check_balanced([entry]) == []
    cells: dict = {}
    E.add_cells(cells, entry)
    assert cells == {cell: cents for cell, cents in moves.items() if cents}


# -- charges ---------------------------------------------------------------------------------------
def test_a_charge_is_one_members_against_direct_charges() -> None:
    entry = E.charge(D(2026, 4, 2), "753", "Sipoo", 348_000, "devices", META)
    assert entry.tags == {E.CHARGE_TAG}
    assert amounts(entry) == [("Assets:Receivable:Members:Sipoo-753", "3480.00", 2026), (E.DIRECT_CHARGES, "-3480.00", 2026)]
    assert E.check_balanced([entry]) == []
    reversal = E.charge(D(2027, 1, 5), "753", "Sipoo", -348_000, "cancelled: devices", META, year=2026)
    assert amounts(reversal) == [("Assets:Receivable:Members:Sipoo-753", "-3480.00", 2026), (E.DIRECT_CHARGES, "3480.00", 2026)]


def test_cells_fold_only_the_entries_of_their_tag() -> None:
    assessment = E.assessment(D(2026, 1, 1), {(2026, "638"): 700, (2026, "753"): 300}, NAMES, "x", {})
    charge = E.charge(D(2026, 2, 1), "638", "Porvoo", 50, "travel", {})
    assessed: dict = {}
    charged: dict = {}
    for entry in (assessment, charge, E.open_entry(D(2026, 1, 1), E.member_account("638", "Porvoo"), {})):
        E.add_cells(assessed, entry)
        E.add_cells(charged, entry, E.CHARGE_TAG)
    assert assessed == {(2026, "638"): 700, (2026, "753"): 300}
    assert charged == {(2026, "638"): 50}
    E.add_cells(assessed, assessment)
    assert assessed == {(2026, "638"): 1_400, (2026, "753"): 600}


def test_a_posting_without_an_amount_has_no_cents() -> None:
    posting = data.Posting("Assets:Bank", None, None, None, None, None)
    with pytest.raises(InvalidInput, match="a posting to Assets:Bank has no amount"):
        E.posting_cents(posting)
    assert E.posting_cents(data.Posting("Assets:Bank", Amount(Decimal("-12.34"), "EUR"), None, None, None, None)) == -1_234


# -- text ------------------------------------------------------------------------------------------
def test_format_and_parse_round_trip() -> None:
    entries = [
        E.open_entry(D(2025, 1, 1), E.CONTRIBUTIONS, {}),
        E.assessment(D(2025, 1, 1), {(2025, "638"): 3_058_824, (2025, "753"): 3_058_823}, NAMES,
                     'Porvoo "and" Sipoo \\ join', {"change": "members-added", "decision": "KV 5/2026 § 12"}),
        E.charge(D(2025, 4, 2), "753", "Sipoo", 41_235, "travel", {"change": "charge-added"}),
    ]
    text = "\n".join(E.format_entry(e) for e in entries)
    parsed = E.parse_entries(text, "iam", 7)
    assert "\n".join(E.format_entry(e) for e in parsed) == text
    assert [(e.meta["filename"], e.meta["lineno"]) for e in parsed] == [("iam", 7)] * 3
    assert parsed[1].narration == 'Porvoo "and" Sipoo \\ join' and parsed[1].meta["decision"] == "KV 5/2026 § 12"
    assert [E.posting_year(p) for p in parsed[1].postings] == [2025, 2025, 2025]
    assert E.check_balanced(parsed) == []


def test_text_that_does_not_parse_is_refused_with_its_errors() -> None:
    with pytest.raises(InvalidInput, match="stored ledger text does not parse") as raised:
        E.parse_entries('2025-01-01 * "x"\n  Assets:Bank 1.00 EUR EUR EUR\n', "iam")
    assert raised.value.details


def test_escape_makes_a_string_literal() -> None:
    title = 'Mid-sized cities\' "IAM" \\ 2025–2029'
    _, errors, options = loader.load_string(f'option "title" "{E.escape(title)}"\n')
    assert errors == [] and options["title"] == title


# -- balance checks --------------------------------------------------------------------------------
def test_check_balanced_names_what_does_not_balance() -> None:
    good = E.charge(D(2026, 4, 2), "753", "Sipoo", 100, "ok", {})
    bad = good._replace(narration="off by a cent", postings=[
        good.postings[0], good.postings[1]._replace(units=Amount(Decimal("-0.99"), "EUR"))])
    empty = good._replace(narration="no amount", postings=[good.postings[0]._replace(units=None), good.postings[1]])
    problems = E.check_balanced([good, bad, empty, E.open_entry(D(2026, 1, 1), "Assets:Bank", {})])
    assert len(problems) == 2
    assert problems[0].startswith("2026-04-02 'off by a cent' does not balance") and "0.01" in problems[0]
    assert problems[1] == "2026-04-02 'no amount': a posting has no amount"

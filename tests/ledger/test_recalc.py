"""Recalculation posts one balanced entry per change, per budget year, and never edits what was posted."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ledger import entries as E
from ledger import export
from ledger.errors import Conflict, InvalidInput, LedgerError
from ledger.journal import Journal
from ledger.project import Op, assess_state
from ledger.recalc import replay, step
from ledger.rules import allocate_version, make_version
from tests.common.ledger import START, apply, created, joined, member, op, run, version_params

GROWTH = ["609", "286", "167", "405", "109", "905", "743", "698", "491", "638", "734", "285", "272", "106", "205"]
D = dt.date


def test_join_moves_every_share_in_one_balanced_entry_with_a_posting_per_year() -> None:
    journal = Journal("iam")
    apply(journal, 52_000_000, "equal", GROWTH[:3], D(2025, 1, 1))
    before = journal.entries
    result = apply(journal, 52_000_000, "equal", GROWTH[:4], D(2025, 6, 1), "Rovaniemi joins")
    txn = result.transaction
    assert txn is not None and E.check_balanced([txn]) == []
    # four members x five years; no income change: the budget did not move
    assert len(txn.postings) == 20 and all(p.account != E.CONTRIBUTIONS for p in txn.postings)
    assert {int(p.meta["year"]) for p in txn.postings} == {2025, 2026, 2027, 2028, 2029}
    expected = allocate_version(52_000_000, make_version("equal", START), GROWTH[:4]).shares
    assert journal.assessed() == expected
    assert all(entry in journal.entries for entry in before)  # what was posted stays as it was
    assert txn.meta["members"] == 4 and txn.meta["rule"] == "equal" and txn.meta["actor"] == "test"
    assert txn.meta["policy"] == "whole-term" and "Rovaniemi joins" in txn.narration


def test_nothing_is_posted_when_no_share_changes() -> None:
    journal = Journal("iam")
    result = apply(journal, 1000, "equal", ["638"], D(2025, 1, 1))
    seq = journal.seq
    again = run(journal, result.state, op("budget-set", D(2025, 2, 1), years={"2025": result.state.budget_map[2025]}))
    assert again.transaction is None and again.entries() == [] and journal.seq == seq


def test_a_closed_year_keeps_its_shares_and_reports_what_was_blocked() -> None:
    journal = Journal("iam")
    budget = {2025: 8_000_000, 2026: 15_000_000, 2027: 0, 2028: 0, 2029: 0}
    state = run(journal, None, created(0, budget=budget)).state
    state = run(journal, state, joined(state, ["020", "638"], D(2025, 1, 1))).state
    state = run(journal, state, op("year-closed", D(2026, 1, 5), year=2025)).state
    cells = journal.assessed_cells()
    result = run(journal, state, joined(state, ["753"], D(2026, 7, 1)))
    after = journal.assessed_cells()
    assert {k: v for k, v in after.items() if k[0] == 2025} == {k: v for k, v in cells.items() if k[0] == 2025}
    assert [(b.year, b.code, b.kept, b.would_be) for b in result.blocked] == [
        (2025, "020", 4_000_000, 2_666_667), (2025, "638", 4_000_000, 2_666_667), (2025, "753", 0, 2_666_666)]
    assert after[(2026, "753")] == 5_000_000 and "closed 2025 kept" in result.transaction.narration
    with pytest.raises(Conflict, match="2025 is closed"):
        step(result.state, op("charge-added", D(2025, 5, 1), city="020", cents=100, text="x"),
             assessed=after, open_accounts=journal.accounts())


def test_a_direct_charge_is_its_own_entry_outside_the_allocation() -> None:
    journal = Journal("iam")
    result = apply(journal, 10_000_00, "equal", ["638", "753"], D(2025, 1, 1))
    shares = journal.assessed()
    charged = run(journal, result.state, op("charge-added", D(2025, 9, 1), "tablets", city="753", cents=1_200_000, text="20 tablets"))
    assert charged.transaction is None and len(charged.charges) == 1
    txn = next(e for e in charged.entries() if not hasattr(e, "account"))
    assert E.CHARGE_TAG in txn.tags and [p.account for p in txn.postings] == [E.member_account("753", "Sipoo"), E.DIRECT_CHARGES]
    assert journal.assessed() == shares and journal.charged() == {"753": 1_200_000}


def test_legacy_whole_term_entries_without_a_year_move_into_years() -> None:
    """Entries posted before budget years existed have no year: the next change moves them into years."""
    journal = Journal("iam")
    state = run(journal, None, created(1000, budget={2025: 1000})).state
    legacy = E.assessment(D(2025, 1, 1), {(None, "638"): 1000}, {"638": "Porvoo"}, "legacy", {})
    journal.add(journal.seq + 1, [E.open_entry(START, E.member_account("638", "Porvoo"), {}), legacy])
    state = state._replace(members=())
    result = run(journal, state, joined(state, ["638"], D(2025, 1, 1)))
    assert journal.assessed_cells() == {(None, "638"): 0, (2025, "638"): 1000}
    assert E.check_balanced([result.transaction]) == []


# -- any history --------------------------------------------------------------------------------
POOL = GROWTH[:8]


@st.composite
def histories(draw):
    """A random but valid-looking sequence of ops; invalid ones are refused and left out."""
    policy = draw(st.sampled_from(["whole-term", "pro-rata"]))
    budget = {y: draw(st.integers(0, 10**8)) for y in range(2025, 2030)}
    first = draw(st.sampled_from(["equal", "population", "hybrid"]))
    ops = [created(0, first, policy, codes=POOL, budget=budget, **({"base_percent": "40"} if first == "hybrid" else {}))]
    for _i in range(draw(st.integers(1, 8))):
        when = draw(st.dates(D(2025, 1, 1), D(2029, 12, 31)))
        kind = draw(st.sampled_from(["join", "join", "leave", "budget", "rule", "close", "charge", "grant", "policy"]))
        if kind == "join":
            ops.append(("join", sorted(draw(st.sets(st.sampled_from(POOL), min_size=1, max_size=3))), when))
        elif kind == "leave":
            ops.append(op("member-withdrawn", when, city=draw(st.sampled_from(POOL))))
        elif kind == "budget":
            ops.append(op("budget-set", when, years={str(when.year): draw(st.integers(0, 10**8))}))
        elif kind == "rule":
            rule = draw(st.sampled_from(["equal", "population", "hybrid"]))
            extra = {"base_percent": str(draw(st.integers(0, 100)))} if rule == "hybrid" else {}
            ops.append(op("rule-set", when, version=version_params(rule, POOL, when, **extra)))
        elif kind == "close":
            ops.append(op("year-closed", when, year=draw(st.integers(2025, 2029))))
        elif kind == "charge":
            ops.append(op("charge-added", when, city=draw(st.sampled_from(POOL)), cents=draw(st.integers(1, 10**6)), text="own costs"))
        elif kind == "grant":
            ops.append(op("grant-added", when, year=when.year, cents=draw(st.integers(1, 10**7)), text="grant",
                          target=draw(st.none() | st.sampled_from(POOL))))
        else:
            ops.append(op("policy-set", when, policy=draw(st.sampled_from(["whole-term", "pro-rata"]))))
    return ops


@settings(max_examples=80, deadline=None)
@given(history=histories())
def test_any_history_balances_and_replaying_it_reproduces_exactly_the_posted_entries(history) -> None:
    journal = Journal("p")
    state, accepted, closed_cells = None, [], {}
    for item in history:
        change = item if isinstance(item, Op) else joined(state, item[1], item[2])
        try:
            result = run(journal, state, change)
        except LedgerError:
            continue  # refused: nothing posted
        state = result.state
        accepted.append(change)
        assessment = assess_state(state)
        cells = journal.assessed_cells()
        for cell, cents in (assessment.shares() if assessment else {}).items():
            if cell[0] in state.closed:
                closed_cells.setdefault(cell, cells.get(cell, 0))
            else:
                assert cells.get(cell, 0) == cents  # open years hold exactly the new assessment
        for cell, cents in closed_cells.items():
            assert cells.get(cell, 0) == cents  # closed years never move
    assume(len(accepted) > 1)
    assert E.check_balanced(journal.entries) == []
    replayed = replay([Op.from_json(o.to_json()) for o in accepted])
    posted = [E.format_entry(e) for e in journal.entries]
    again = Journal("p")
    for i, entries in enumerate(p for p in replayed.postings if p):
        again.add(i + 1, entries)
    assert [E.format_entry(e) for e in again.entries] == posted
    assert replayed.state == state


def test_replaying_the_stored_text_reproduces_the_same_ledger() -> None:
    """Another worker reads postings as text: it must end with what the posting worker has."""
    journal = Journal("iam")
    texts = []
    original_add = journal.add

    def recording_add(seq, entries):
        texts.append((seq, "\n".join(E.format_entry(e) for e in entries)))
        original_add(seq, entries)

    journal.add = recording_add  # type: ignore[method-assign]
    apply(journal, 52_000_000, "population", GROWTH, D(2025, 1, 1))
    apply(journal, 52_000_000, "population", [*GROWTH, "444"], D(2025, 9, 1))
    other = Journal("iam")
    assert other.add_text(texts) == len(texts)
    assert other.assessed_cells() == journal.assessed_cells()
    assert [E.format_entry(e) for e in other.entries] == [E.format_entry(e) for e in journal.entries]


def test_export_passes_bean_check_and_bean_query_agrees(tmp_path: Path) -> None:
    journal = Journal("iam")
    state = apply(journal, 52_000_000, "equal", GROWTH, D(2025, 1, 1)).state
    state = apply(journal, 52_000_000, "equal", [*GROWTH, "444", "740"], D(2026, 1, 1)).state
    run(journal, state, op("charge-added", D(2025, 9, 1), city="444", cents=1_200_000, text="20 tablets"))
    path = tmp_path / "iam.beancount"
    path.write_text(export.render(journal.entries, title="IAM 2025–2029"), encoding="utf-8")
    bindir = Path(sys.executable).parent
    check = subprocess.run([bindir / "bean-check", path], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    out = subprocess.run(
        [bindir / "bean-query", "-f", "csv", path,
         "SELECT account, sum(number) AS total WHERE account ~ 'Receivable' AND 'assessment' IN tags GROUP BY account"],
        capture_output=True, text=True, check=True,
    ).stdout
    rows = dict(line.rsplit(",", 1) for line in out.strip().splitlines()[1:])
    from ledger.money import fmt

    assert {E.code_of_account(a): t for a, t in rows.items()} == {c: fmt(v) for c, v in journal.assessed().items()}
    by_year = subprocess.run(
        [bindir / "bean-query", "-f", "csv", path,
         "SELECT meta('year') AS year, sum(number) AS total WHERE account ~ 'Receivable' AND 'assessment' IN tags GROUP BY year ORDER BY year"],
        capture_output=True, text=True, check=True,
    ).stdout
    assert [line.split(",")[0] for line in by_year.strip().splitlines()[1:]] == ["2025", "2026", "2027", "2028", "2029"]


def test_fava_shows_the_same_balances(tmp_path: Path) -> None:
    from fava.core import FavaLedger

    journal = Journal("iam")
    apply(journal, 52_000_000, "population", GROWTH, D(2025, 1, 1))
    apply(journal, 60_000_000, "population", [*GROWTH, "444"], D(2026, 3, 1))
    path = tmp_path / "iam.beancount"
    path.write_text(export.render(journal.entries, title="IAM"), encoding="utf-8")
    fava = FavaLedger(str(path))
    assert list(fava.errors) == []
    tree = fava.get_filtered().root_tree
    for code, cents in journal.assessed().items():
        account = E.member_account(code, member(code).name)
        assert tree[account].balance == {("EUR", None): Decimal(cents) / 100}
    assert tree[E.CONTRIBUTIONS].balance == {("EUR", None): Decimal(-60_000_000) / 100}


@pytest.mark.parametrize("change, message", [
    (op("budget-set", D(2026, 1, 1), years={"2031": 5}), "not one of the project's years"),
    (op("member-withdrawn", D(2026, 1, 1), city="020"), "not a current member"),
    (op("rule-set", D(2026, 1, 1), version={"kind": "fixed", "effective": "2026-01-01", "percentages": {"638": "60", "753": "30"}}), "not exactly 100"),
    (op("charge-added", D(2026, 1, 1), city="638", cents=0, text="x"), "above zero"),
    (op("hours-logged", D(2026, 1, 1), key="state", entries=[]), "no subsidy"),
])
def test_bad_changes_are_refused_and_post_nothing(change, message) -> None:
    journal = Journal("iam")
    state = apply(journal, 1000, "equal", ["638", "753"], D(2025, 1, 1)).state
    entries = journal.entries
    with pytest.raises((InvalidInput, Conflict), match=message):
        run(journal, state, change)
    assert journal.entries == entries

"""Recalculation posts one balanced entry per change and never edits what was posted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import entries as E
from ledger import export
from ledger.allocation import Rule, allocate
from ledger.journal import Journal
from tests.ledger.helpers import apply, member

GROWTH = ["609", "286", "167", "405", "109", "905", "743", "698", "491", "638", "734", "285", "272", "106", "205"]


def test_join_moves_every_share_in_one_balanced_entry() -> None:
    journal = Journal("iam")
    apply(journal, 52_000_000, Rule("equal"), GROWTH[:3], dt.date(2025, 1, 1))
    before = journal.entries
    result = apply(journal, 52_000_000, Rule("equal"), GROWTH[:4], dt.date(2025, 6, 1), "Rovaniemi joins")
    txn = result.transaction
    assert txn is not None and E.check_balanced([txn]) == []
    assert len(txn.postings) == 4  # three credits, one debit, no income change: the budget did not move
    assert journal.assessed() == allocate(52_000_000, Rule("equal"), [member(c) for c in GROWTH[:4]]).shares
    after = journal.entries
    assert all(entry in after for entry in before)  # what was posted stays as it was
    assert txn.meta["members"] == 4 and txn.meta["rule"] == "equal" and txn.meta["actor"] == "test"
    assert "Rovaniemi joins" in txn.narration


def test_nothing_is_posted_when_no_share_changes() -> None:
    journal = Journal("iam")
    apply(journal, 1000, Rule("equal"), ["638"], dt.date(2025, 1, 1))
    seq = journal.seq
    result = apply(journal, 1000, Rule("equal"), ["638"], dt.date(2025, 2, 1))
    assert result.transaction is None and journal.seq == seq


@settings(max_examples=40, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.integers(0, 10**9), st.sampled_from([Rule("equal"), Rule("population", 2025)]), st.sets(st.sampled_from(GROWTH), min_size=1)),
        min_size=1, max_size=6,
    )
)
def test_after_any_history_the_ledger_holds_exactly_the_latest_allocation(steps) -> None:
    journal = Journal("p")
    for i, (total, rule, codes) in enumerate(steps):
        apply(journal, total, rule, sorted(codes), dt.date(2025, 1, 1) + dt.timedelta(days=i))
        expected = allocate(total, rule, [member(c) for c in sorted(codes)]).shares
        assessed = {c: v for c, v in journal.assessed().items() if v}
        assert assessed == {c: v for c, v in expected.items() if v}
    assert E.check_balanced(journal.entries) == []


def test_replaying_the_stored_text_reproduces_the_same_ledger() -> None:
    """Another worker reads postings as text: it must end with what the posting worker has."""
    journal = Journal("iam")
    texts = []
    original_add = journal.add

    def recording_add(seq, entries):
        texts.append((seq, "\n".join(E.format_entry(e) for e in entries)))
        original_add(seq, entries)

    journal.add = recording_add  # type: ignore[method-assign]
    apply(journal, 52_000_000, Rule("population", 2025), GROWTH, dt.date(2025, 1, 1))
    apply(journal, 52_000_000, Rule("population", 2025), GROWTH + ["444"], dt.date(2025, 9, 1))
    other = Journal("iam")
    assert other.add_text(texts) == len(texts)
    assert other.assessed() == journal.assessed()
    assert [E.format_entry(e) for e in other.entries] == [E.format_entry(e) for e in journal.entries]


def test_export_passes_bean_check_and_bean_query_agrees(tmp_path: Path) -> None:
    journal = Journal("iam")
    apply(journal, 52_000_000, Rule("equal"), GROWTH, dt.date(2025, 1, 1))
    apply(journal, 52_000_000, Rule("equal"), GROWTH + ["444", "740"], dt.date(2026, 1, 1))
    path = tmp_path / "iam.beancount"
    path.write_text(export.render(journal.entries, title="IAM 2025–2029"), encoding="utf-8")
    bindir = Path(sys.executable).parent
    check = subprocess.run([bindir / "bean-check", path], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    out = subprocess.run(
        [bindir / "bean-query", "-f", "csv", path, "SELECT account, sum(number) AS total WHERE account ~ 'Receivable' GROUP BY account"],
        capture_output=True, text=True, check=True,
    ).stdout
    rows = dict(line.rsplit(",", 1) for line in out.strip().splitlines()[1:])
    from ledger.money import fmt

    assert {E.code_of_account(a): t for a, t in rows.items()} == {c: fmt(v) for c, v in journal.assessed().items()}


def test_fava_shows_the_same_balances(tmp_path: Path) -> None:
    from fava.core import FavaLedger

    journal = Journal("iam")
    apply(journal, 52_000_000, Rule("population", 2025), GROWTH, dt.date(2025, 1, 1))
    apply(journal, 60_000_000, Rule("population", 2025), GROWTH + ["444"], dt.date(2026, 3, 1))
    path = tmp_path / "iam.beancount"
    path.write_text(export.render(journal.entries, title="IAM"), encoding="utf-8")
    fava = FavaLedger(str(path))
    assert list(fava.errors) == []
    tree = fava.get_filtered().root_tree
    for code, cents in journal.assessed().items():
        account = E.member_account(code, member(code).name)
        assert tree[account].balance == {("EUR", None): Decimal(cents) / 100}
    assert tree[E.CONTRIBUTIONS].balance == {("EUR", None): Decimal(-60_000_000) / 100}

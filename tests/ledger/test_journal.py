"""The in-memory journal: postings taken in one at a time and in order, cells kept current, histories oldest first."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger import entries as E
from ledger.errors import InvalidInput
from ledger.journal import Journal, default_options
from tests.common.ledger import apply

D = dt.date
NAMES = {"638": "Porvoo", "753": "Sipoo"}
PORVOO, SIPOO = E.member_account("638", "Porvoo"), E.member_account("753", "Sipoo")


def opens() -> list:
    return [E.open_entry(D(2025, 1, 1), a, {}) for a in (E.CONTRIBUTIONS, E.DIRECT_CHARGES, PORVOO, SIPOO)]


def assessment(when: dt.date, moves: dict, narration: str = "x", **meta) -> object:
    return E.assessment(when, moves, NAMES, narration, meta)


@pytest.fixture
def journal() -> Journal:
    j = Journal("iam", title="IAM")
    j.add(1, opens())
    j.add(2, [assessment(D(2025, 1, 1), {(2025, "638"): 60_000, (2026, "638"): 40_000, (2025, "753"): 100_000},
                         "founders", decision="KV 1")])
    return j


def test_an_empty_journal() -> None:
    j = Journal("iam")
    assert (j.seq, len(j), j.entries, j.assessed(), j.charged(), j.accounts(), j.history("638")) == (0, 0, [], {}, {}, set(), [])
    assert j.options["operating_currency"] == ["EUR"]


def test_postings_come_in_one_at_a_time_and_keep_the_cells(journal: Journal) -> None:
    assert journal.seq == 2 and len(journal) == 5
    assert journal.assessed() == {"638": 100_000, "753": 100_000}
    assert journal.assessed_cells() == {(2025, "638"): 60_000, (2026, "638"): 40_000, (2025, "753"): 100_000}
    assert journal.accounts() == {E.CONTRIBUTIONS, E.DIRECT_CHARGES, PORVOO, SIPOO}
    journal.add(3, [assessment(D(2026, 1, 1), {(2026, "638"): -40_000, (2026, "753"): 40_000})])
    journal.add(4, [E.charge(D(2026, 4, 2), "753", "Sipoo", 3_480, "devices", {})])
    assert journal.seq == 4
    assert journal.assessed() == {"638": 60_000, "753": 140_000}
    assert journal.assessed_cells()[(2026, "638")] == 0
    assert journal.charged() == {"753": 3_480} and journal.charged_cells() == {(2026, "753"): 3_480}
    journal.add(5, [])  # a change that posts nothing still takes its number
    assert journal.seq == 5 and len(journal) == 7


@pytest.mark.parametrize("seq", [1, 2, 4, 0, -1])
def test_a_posting_out_of_order_is_refused_and_changes_nothing(journal: Journal, seq: int) -> None:
    before = (journal.seq, journal.entries, journal.assessed_cells())
    with pytest.raises(InvalidInput, match=f"posting {seq} is out of order: the journal is at 2"):
        journal.add(seq, [assessment(D(2026, 1, 1), {(2026, "753"): 1})])
    assert (journal.seq, journal.entries, journal.assessed_cells()) == before


def test_entries_are_kept_in_date_order_and_numbered_by_posting(journal: Journal) -> None:
    journal.add(3, [assessment(D(2024, 12, 31), {(2025, "753"): 5})])  # posted later, dated earlier
    dates = [e.date for e in journal.entries]
    assert dates == sorted(dates)
    early = next(e for e in journal.entries if e.date == D(2024, 12, 31))
    assert (early.meta["filename"], early.meta["lineno"]) == ("iam", 3)
    snapshot = journal.entries
    snapshot.clear()  # a copy: the journal keeps its own list
    assert len(journal) == 6


def test_history_is_oldest_first_with_the_running_total(journal: Journal) -> None:
    journal.add(3, [E.charge(D(2025, 3, 1), "638", "Porvoo", 2_500, "travel", {"change": "charge-added"})])
    journal.add(4, [assessment(D(2026, 7, 1), {(2026, "638"): -10_000, (2026, "753"): 10_000}, "Sipoo pays more",
                               change="rule-set")])
    history = journal.history("638")
    assert [(h.date, h.seq, h.change, h.share, h.charged, h.kind) for h in history] == [
        (D(2025, 1, 1), 2, 100_000, 100_000, 0, E.ASSESSMENT_TAG),
        (D(2025, 3, 1), 3, 2_500, 100_000, 2_500, E.CHARGE_TAG),  # a charge runs apart from the share
        (D(2026, 7, 1), 4, -10_000, 90_000, 2_500, E.ASSESSMENT_TAG),
    ]
    assert [h.is_share for h in history] == [True, False, True]
    assert history[0].years == {2025: 60_000, 2026: 40_000} and history[0].meta == {"decision": "KV 1"}
    assert history[2].narration == "Sipoo pays more" and history[2].meta == {"change": "rule-set"}
    assert [h.share for h in journal.history("753")] == [100_000, 110_000]
    assert journal.history("020") == []


def test_history_follows_the_order_of_postings_not_of_dates(journal: Journal) -> None:
    """A change posted later but dated earlier (a backdated join) moved the share from what it was
    when it was posted: each row's running total is the share after that posting."""
    journal.add(3, [assessment(D(2026, 1, 1), {(2026, "638"): -20_000, (2026, "753"): 20_000}, "Sipoo more")])
    journal.add(4, [assessment(D(2025, 6, 1), {(2025, "638"): -5_000, (2025, "753"): 5_000}, "backdated")])
    history = journal.history("638")
    assert [(h.seq, h.date, h.share) for h in history] == [
        (2, D(2025, 1, 1), 100_000), (3, D(2026, 1, 1), 80_000), (4, D(2025, 6, 1), 75_000)]
    assert history[-1].share == journal.assessed()["638"]


def test_a_second_journal_reads_the_stored_text_and_agrees() -> None:
    first = Journal("iam")
    apply(first, 1_000_000, "equal", ["638", "286"], D(2025, 1, 1))
    apply(first, 1_000_000, "population", ["638", "286", "753"], D(2026, 3, 1))
    texts = []
    for seq in range(1, first.seq + 1):
        posted = [e for e in first.entries if e.meta["lineno"] == seq]
        texts.append((seq, "\n".join(E.format_entry(e) for e in posted)))
    second = Journal("iam")
    assert second.add_text(texts[:2]) == 2 and second.seq == 2
    assert second.add_text(texts[2:]) == len(texts) - 2
    assert second.seq == first.seq
    assert second.assessed_cells() == first.assessed_cells() and second.charged() == first.charged()
    assert [E.format_entry(e) for e in second.entries] == [E.format_entry(e) for e in first.entries]
    with pytest.raises(InvalidInput, match="out of order"):
        second.add_text(texts[:1])


def test_the_title_is_an_option_whatever_it_holds() -> None:
    title = 'The "IAM" project \\ 2025–2029'
    assert default_options(title)["title"] == title
    assert Journal("iam", title=title).options["title"] == title

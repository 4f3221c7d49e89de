"""The exported ``.beancount`` file: clean for bean-check, the same balances as the journal, the title kept."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from beancount import loader
from beancount.core import data

from ledger import entries as E
from ledger import export
from ledger.journal import Journal
from tests.common.ledger import apply, op, run

D = dt.date
GENERATED = dt.datetime(2026, 11, 23, 12, 30, 15, 123456, tzinfo=dt.UTC)


@pytest.fixture
def journal() -> Journal:
    j = Journal("iam")
    apply(j, 52_000_000, "equal", ["638", "286", "109"], D(2025, 1, 1))
    apply(j, 52_000_000, "equal", ["638", "286", "109", "753"], D(2026, 6, 1))
    apply(j, 60_000_000, "population", ["638", "286", "753"], D(2027, 1, 1))
    run(j, j.test_state, op("charge-added", D(2026, 4, 2), "devices", city="753", cents=348_000, text="devices"))
    return j


def balances(entries) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                totals[posting.account] += posting.units.number
    return {account: total for account, total in totals.items() if total}


def test_the_export_loads_without_errors_and_gives_the_same_balances(journal: Journal) -> None:
    text = export.render(journal.entries, title="IAM 2025–2029", generated=GENERATED)
    entries, errors, options = loader.load_string(text)  # what bean-check runs: parse, book, validate
    assert errors == []
    assert options["title"] == "IAM 2025–2029" and options["operating_currency"] == ["EUR"]
    assert balances(entries) == balances(journal.entries)
    receivable = {E.code_of_account(a): int(b * 100) for a, b in balances(entries).items() if E.code_of_account(a)}
    charged = journal.charged()
    assert receivable == {c: cents + charged.get(c, 0) for c, cents in journal.assessed().items() if cents + charged.get(c, 0)}
    assert balances(entries)[E.CONTRIBUTIONS] == Decimal("-600000.00")
    assert balances(entries)[E.DIRECT_CHARGES] == Decimal("-3480.00")


def test_every_entry_is_exported_with_its_metadata_in_date_order(journal: Journal) -> None:
    text = export.render(journal.entries, title="IAM", generated=GENERATED)
    entries, _, _ = loader.load_string(text)
    assert len(entries) == len(journal)
    assert [e.date for e in entries] == sorted(e.date for e in journal.entries)
    loaded = [e for e in entries if isinstance(e, data.Transaction)]
    assert all(e.tags & {E.ASSESSMENT_TAG, E.CHARGE_TAG, E.RECOGNITION_TAG} for e in loaded)
    assert {e.meta["change"] for e in loaded} >= {"members-added", "budget-set", "rule-set", "charge-added"}
    years = {E.posting_year(p) for e in loaded for p in e.postings}
    assert years == {2025, 2026, 2027, 2028, 2029}


def test_the_header_names_the_time_and_the_note() -> None:
    text = export.render([], title='The "IAM" \\ project', generated=GENERATED, note="first line\nsecond line")
    lines = text.splitlines()
    assert lines[0] == ';; The "IAM" \\ project: contribution ledger exported by the consortium portal at 2026-11-23T12:30:15+00:00.'
    assert lines[1].startswith(";; Open it with: bean-check FILE")
    assert lines[2:4] == [";; first line", ";; second line"]
    entries, errors, options = loader.load_string(text)
    assert entries == [] and errors == [] and options["title"] == 'The "IAM" \\ project'


def test_without_a_time_the_export_says_now() -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    first = export.render([], title="IAM").splitlines()[0]
    stamp = dt.datetime.fromisoformat(first.rsplit(" at ", 1)[1].rstrip("."))
    assert before <= stamp <= dt.datetime.now(dt.UTC)

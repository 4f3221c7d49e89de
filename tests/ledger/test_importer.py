"""Imports are validated by beancount first and are all or nothing, with errors by line."""

from __future__ import annotations

import datetime as dt

import pytest
from beancount.core import data

from ledger import importer
from ledger.errors import ImportRejected
from ledger.journal import Journal
from tests.common.ledger import apply

PAYMENTS = """\
2025-01-01 open Assets:Bank EUR

2025-03-01 * "Porvoo" "Payment of the 2025 share"
  Assets:Bank                              100.00 EUR
  Assets:Receivable:Members:Porvoo-638    -100.00 EUR
"""


@pytest.fixture
def journal() -> Journal:
    j = Journal("iam")
    apply(j, 1_000_000, "equal", ["638", "286"], dt.date(2025, 1, 1))
    return j


def opens(journal: Journal) -> list[data.Open]:
    return [e for e in journal.entries if isinstance(e, data.Open)]


def test_balanced_payments_are_accepted(journal: Journal) -> None:
    entries = importer.validate(PAYMENTS, opens(journal))
    assert [type(e).__name__ for e in entries] == ["Open", "Transaction"]
    stamped = importer.stamp(entries, {"imported-by": "test"})
    journal.add(journal.seq + 1, stamped)
    assert journal.assessed()["638"] == 500_000  # a payment is not an assessment


def test_unbalanced_is_refused_with_its_line(journal: Journal) -> None:
    bad = PAYMENTS.replace("-100.00 EUR", "-90.00 EUR")
    with pytest.raises(ImportRejected) as info:
        importer.validate(bad, opens(journal))
    assert any(d.startswith("line 3:") and "balance" in d for d in info.value.details)


def test_exact_balance_not_just_within_tolerance(journal: Journal) -> None:
    bad = PAYMENTS.replace("-100.00 EUR", "-100.004 EUR")
    with pytest.raises(ImportRejected):
        importer.validate(bad, opens(journal))


@pytest.mark.parametrize(
    "text, message",
    [
        ('plugin "beancount.plugins.auto"\n' + PAYMENTS, "plugin"),
        ('include "/etc/passwd"\n' + PAYMENTS, "include"),
        ('option "documents" "/etc"\n' + PAYMENTS, "documents"),
        (PAYMENTS + '2025-04-01 balance Assets:Bank 100.00 EUR\n', "balance directives cannot be imported"),
        (PAYMENTS.replace('"Payment of the 2025 share"', '"x" #assessment'), "#assessment"),
        (PAYMENTS.replace("Assets:Bank   ", "Assets:Unknown"), "line 3"),
        ("2025-01-01 open Assets:Bank EUR\n", "no transactions"),
        ("this is not beancount\n", "line 1"),
        (PAYMENTS.replace("2025-03-01", "2024-12-01"), "open in the ledger from 2025-01-01"),
    ],
)
def test_refusals(journal: Journal, text: str, message: str) -> None:
    with pytest.raises(ImportRejected) as info:
        importer.validate(text, opens(journal))
    assert message in str(info.value)

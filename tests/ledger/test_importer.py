"""An import carries payments and bank-side entries only: every refusal by its line, all at once."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from beancount.core import data

from ledger import entries as E
from ledger import importer
from ledger.errors import Conflict, ImportRejected
from ledger.journal import Journal
from tests.common.imports import BAD, EXPECTED
from tests.common.ledger import END, START, apply

TERM = importer.Term(START, END)
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


def refusal(text: str, journal: Journal, term: importer.Term = TERM, **kw) -> list[str]:
    with pytest.raises(ImportRejected) as info:
        importer.validate(text, opens(journal), term, **kw)
    return info.value.details


def test_balanced_payments_are_accepted(journal: Journal) -> None:
    checked = importer.validate(PAYMENTS, opens(journal), TERM)
    assert [type(e).__name__ for e in checked.entries] == ["Open", "Transaction"]
    assert [line for line, _ in checked.identities] == [3]
    stamped = importer.stamp(checked.entries, {"imported-by": "test"})
    assert stamped[1].meta == {"imported-by": "test", "import-line": 3}
    journal.add(journal.seq + 1, stamped)
    assert journal.assessed()["638"] == 500_000  # a payment is not an assessment
    assert journal.charged() == {}


def test_every_reason_is_named_by_its_line_at_once(journal: Journal) -> None:
    details = refusal(BAD, journal)
    lines = {int(m.group(1)) for d in details if (m := re.match(r"line (\d+): ", d))}
    for line, message in EXPECTED.items():
        assert any(d.startswith(f"line {line}: ") and message in d for d in details), (line, message, details)
    assert lines == set(EXPECTED) | {21, 25, 31, 51}  # and beancount's own messages for the same transactions
    assert details == sorted(details, key=lambda d: int(re.match(r"line (\d+)", d).group(1)))


def test_a_clean_transaction_among_bad_ones_is_not_blamed(journal: Journal) -> None:
    details = refusal(PAYMENTS + "\n2025-03-02 * \"x\"\n  Assets:Bank  1.00 EUR\n  Income:JoiningFees  -1.00 EUR\n", journal)
    assert details == ["line 7: Invalid reference to unknown account 'Income:JoiningFees'",
                       "line 9: Income:JoiningFees is kept by the portal itself; an import cannot post to it"]


@pytest.mark.parametrize("closed", [frozenset({2025}), frozenset({2025, 2026})])
def test_a_date_in_a_closed_year_is_refused(journal: Journal, closed) -> None:
    details = refusal(PAYMENTS, journal, importer.Term(START, END, closed))
    assert details == ["line 3: dated 2025-03-01, in 2025, which is closed"]


def test_reserved_keys_on_postings_and_filename(journal: Journal) -> None:
    text = PAYMENTS.replace('share"\n', 'share"\n  filename: "/etc/x"\n').replace("100.00 EUR\n", "100.00 EUR\n    year: 2025\n", 1)
    details = refusal(text, journal)
    assert "line 4: the metadata key 'filename' is the portal's own; remove it" in details
    assert "line 6: the metadata key 'year' is the portal's own; remove it" in details


@pytest.mark.parametrize("text, message", [
    ('plugin "beancount.plugins.auto"\n' + PAYMENTS, "plugin directives are not allowed"),
    ('include "/etc/passwd"\n' + PAYMENTS, "include directives are not allowed"),
    ('option "documents" "/etc"\n' + PAYMENTS, 'option "documents" is not allowed'),
    (PAYMENTS + '2025-04-01 balance Assets:Bank 100.00 EUR\n', "line 6: balance directives cannot be imported"),
    (PAYMENTS.replace("Assets:Bank   ", "Assets:Unknown"), "line 3: Invalid reference to unknown account 'Assets:Unknown'"),
    ("this is not beancount\n", "line 1"),
    (PAYMENTS.replace("2025-03-01", "2024-12-01"), "line 3: dated 2024-12-01, outside the project's term"),
    (PAYMENTS.replace("-100.00 EUR", "-90.00 EUR"), "line 3: 2025-03-01 'Payment of the 2025 share' does not balance"),
    (PAYMENTS.replace("-100.00 EUR", "-100.004 EUR"), "line 5: -100.004 EUR is not a whole number of cents"),
    (PAYMENTS.replace("100.00 EUR\n", "10000000000000.00 EUR\n", 1), "beyond any amount"),
    (PAYMENTS.replace("  Assets:Bank   ", "  ! Assets:Bank   "), "line 4: a flagged posting (!) cannot be imported"),
    (PAYMENTS.replace('share"', 'share" #fee'), "line 3: #fee entries are made by the portal"),
    (PAYMENTS.replace("100.00 EUR\n", "100.00 EUR @@ 110.00 USD\n", 1), "line 4: price annotations (@, @@) cannot be imported"),
])
def test_refusals(journal: Journal, text: str, message: str) -> None:
    details = refusal(text, journal)
    assert any(message in d for d in details), details


def test_a_file_of_opens_only_holds_nothing_to_import(journal: Journal) -> None:
    with pytest.raises(ImportRejected, match="no transactions"):
        importer.validate("2025-01-01 open Assets:Bank EUR\n", opens(journal), TERM)


def test_the_ledgers_opening_date_applies(journal: Journal) -> None:
    late = importer.Term(dt.date(2024, 1, 1), END)
    details = refusal(PAYMENTS.replace("2025-03-01", "2024-12-01"), journal, late)
    assert any("open in the ledger from 2025-01-01" in d for d in details)


# -- identities ----------------------------------------------------------------------------------
def test_identity_is_the_bank_reference_or_the_normalised_content() -> None:
    def txn(text: str) -> data.Transaction:
        return importer.validate(PAYMENTS.split("\n\n")[0] + "\n\n" + text, [], TERM).entries[-1]

    plain = txn('2025-03-01 * "Porvoo" "Pay"\n  Assets:Bank  100 EUR\n  Expenses:X  -100.00 EUR\n'.replace("Expenses:X", "Assets:Bank"))
    spaced = txn('2025-03-01 * "Porvoo"   "Pay "\n  Assets:Bank  -100.00 EUR\n  Assets:Bank  100.00 EUR\n')
    assert importer.identity(plain) == importer.identity(spaced)
    with_ref = txn('2025-03-01 * "Porvoo" "Pay"\n  bank-ref: "A1"\n  Assets:Bank  100 EUR\n  Assets:Bank  -100 EUR\n')
    other_text = txn('2025-03-02 * "x"\n  bank-ref: "A1"\n  Assets:Bank  1 EUR\n  Assets:Bank  -1 EUR\n')
    assert importer.identity(with_ref) == importer.identity(other_text) != importer.identity(plain)


def test_the_same_transaction_twice_in_a_file_is_refused(journal: Journal) -> None:
    second = PAYMENTS.split("\n\n")[1]
    details = refusal(PAYMENTS + "\n" + second.replace("    -100.00", "   -100"), journal)
    assert details == ["line 7: the same transaction as line 3 (the same date, payee, narration and postings);"
                       " give each its own bank-ref to import both"]
    text = PAYMENTS + "\n" + second
    both = text.replace('share"\n', 'share"\n  bank-ref: "A"\n', 1).replace('share"\n  Assets', 'share"\n  bank-ref: "B"\n  Assets')
    assert importer.validate(both, opens(journal), TERM).transactions == 2


def test_seen_identities_are_refused_with_where_they_are(journal: Journal) -> None:
    key = importer.validate(PAYMENTS, opens(journal), TERM).identities[0][1]
    asked = []

    def seen(keys):
        asked.append(list(keys))
        return {key: "import 3 (payments-2026-03.beancount)"}

    details = refusal(PAYMENTS, journal, seen=seen)
    assert asked == [[key]]
    assert details == ["line 3: this transaction was imported already in import 3 (payments-2026-03.beancount)"]


def test_progress_is_reported_by_stage(journal: Journal) -> None:
    stages = []
    importer.validate(PAYMENTS, opens(journal), TERM, progress=lambda stage, done, total: stages.append(stage))
    assert stages == ["checking", "booking", "identities"]


def test_problems_are_capped_with_a_count(journal: Journal) -> None:
    text = PAYMENTS.split("\n\n")[0] + "\n" + "".join(
        f'\n2025-03-01 ! "n{i}"\n  Assets:Bank  1.00 EUR\n  Assets:Bank  -1.00 EUR\n' for i in range(importer.MAX_PROBLEMS + 20))
    details = refusal(text, journal)
    assert len(details) == importer.MAX_PROBLEMS + 1 and details[-1] == "… and 20 more problems"


# -- managed accounts ----------------------------------------------------------------------------
@pytest.mark.parametrize("account, managed", [
    ("Income:Contributions", True), ("Income:DirectCharges", True), ("Income:JoiningFees", True), ("Income", True),
    ("Income:Interest", True), ("Assets:Receivable:Members:Porvoo-638", True), ("Assets:Receivable", True),
    ("Assets:Bank", False), ("Expenses:BankFees", False), ("Assets:ReceivableX", False),
    ("Assets:Receivable:Invoiced:Porvoo-638", True), ("Liabilities:VAT:Output", True), ("Liabilities:Unallocated", True),
    ("Liabilities:Credit:Members:Porvoo-638", True), ("Liabilities:Deferred:Contributions", True), ("Liabilities:Loans", False),
])
def test_managed_accounts(account: str, managed: bool) -> None:
    assert E.is_managed(account) is managed
    assert E.is_payable(account) is account.startswith("Assets:Receivable:Members:")


# -- undoing -------------------------------------------------------------------------------------
@pytest.mark.parametrize("today, original, closed, expected", [
    (dt.date(2026, 5, 4), dt.date(2025, 3, 1), (), dt.date(2026, 5, 4)),        # today
    (dt.date(2026, 5, 4), dt.date(2027, 3, 1), (), dt.date(2027, 3, 1)),        # never before what it reverses
    (dt.date(2024, 5, 4), dt.date(2025, 3, 1), (), dt.date(2025, 3, 1)),        # within the term
    (dt.date(2031, 5, 4), dt.date(2025, 3, 1), (), dt.date(2029, 12, 31)),
    (dt.date(2026, 5, 4), dt.date(2025, 3, 1), (2026,), dt.date(2027, 1, 1)),   # the next open year
    (dt.date(2031, 5, 4), dt.date(2025, 3, 1), (2028, 2029), dt.date(2027, 12, 31)),  # else the last one before
])
def test_reversal_date(today, original, closed, expected) -> None:
    assert importer.reversal_date(today, original, importer.Term(START, END, frozenset(closed))) == expected


def test_reversal_with_every_year_closed_is_refused() -> None:
    with pytest.raises(Conflict, match="every year"):
        importer.reversal_date(dt.date(2026, 1, 1), dt.date(2026, 1, 1), importer.Term(START, END, frozenset(range(2025, 2030))))


def test_reverse_negates_every_posting_and_keeps_the_opens(journal: Journal) -> None:
    entries = importer.validate(PAYMENTS, opens(journal), TERM).entries
    [reversal] = importer.reverse(entries, today=dt.date(2026, 5, 4), term=TERM, label="Reversal of import 1", meta={"reverts": "import 1"})
    assert reversal.date == dt.date(2026, 5, 4) and reversal.meta == {"reverts": "import 1"} and reversal.flag == "*"
    assert reversal.narration == "Reversal of import 1: Payment of the 2025 share" and reversal.payee == "Porvoo"
    assert [(p.account, str(p.units)) for p in reversal.postings] == [
        ("Assets:Bank", "-100.00 EUR"), ("Assets:Receivable:Members:Porvoo-638", "100.00 EUR")]
    assert E.check_balanced([reversal]) == []


def test_each_problem_is_a_phrase_the_pages_can_word(journal: Journal) -> None:
    """A detail line keeps its template and values (``ledger.errors.Phrase``): the line's, with the problem as a
    phrase of its own, or beancount's own text as a plain value; the English is the same."""
    from ledger.errors import Phrase, Word
    text = PAYMENTS + "\n" + PAYMENTS.split("\n", 2)[2].replace("Assets:Bank   ", "Assets:Unknown")
    details = refusal(text.replace("2025-03-01", "2024-12-01", 1), journal)
    assert all(isinstance(d, Phrase) and d.template == "line %(line)s: %(problem)s" for d in details), details
    ours = next(d for d in details if "outside the project's term" in d)
    assert isinstance(ours.params["problem"], Phrase) and ours.params["problem"].template.startswith("dated %(day)s")
    theirs = next(d for d in details if "unknown account" in d)
    assert not isinstance(theirs.params["problem"], Phrase)  # beancount's own words, as it gives them
    twice = refusal(PAYMENTS + "\n" + PAYMENTS.split("\n", 2)[2], journal)
    assert isinstance(twice[0].params["problem"].params["why"], Word)

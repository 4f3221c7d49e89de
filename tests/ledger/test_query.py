"""BQL over the in-memory ledger: reading statements only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ledger.errors import QueryError
from ledger.journal import Journal
from tests.common.ledger import apply


@pytest.fixture
def journal() -> Journal:
    j = Journal("iam")
    apply(j, 52_000_000, "equal", ["638", "286", "109"], dt.date(2025, 1, 1))
    return j


def test_group_by_over_receivables(journal: Journal) -> None:
    result = journal.query("SELECT account, sum(number) AS total WHERE account ~ 'Receivable' GROUP BY account ORDER BY account")
    assert result.names == ["account", "total"]
    assert [row[1] for row in result.cells()] == ["173333.34", "173333.33", "173333.33"]
    assert result.to_csv().splitlines()[0] == "account,total"


@pytest.mark.parametrize("statement", ["BALANCES", "JOURNAL 'Assets:Receivable'", "PRINT", "SELECT date, narration FROM #entries"])
def test_reading_statements_run(journal: Journal, statement: str) -> None:
    assert journal.query(statement).rows is not None


@pytest.mark.parametrize(
    "statement, message",
    [
        ("CREATE TABLE t (x int) USING 'csv:/tmp/evil.csv'", "not allowed"),
        ("INSERT INTO postings (account) VALUES ('x')", "not allowed"),
        (".output /tmp/x", "shell commands"),
        (".run /etc/passwd", "shell commands"),
        ("SELEC account", "syntax error"),
        ("", "empty"),
        ("SELECT nosuchcolumn", "cannot run"),
        ("SELECT x" + " " * 20_000, "longer than"),
    ],
)
def test_forbidden_or_malformed_queries_are_refused(journal: Journal, statement: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(QueryError, match=message):
        journal.query(statement)


def test_create_table_leaves_no_file(journal: Journal, tmp_path: Path) -> None:
    target = tmp_path / "evil.csv"
    with pytest.raises(QueryError):
        journal.query(f"CREATE TABLE t AS SELECT account USING 'csv:{target}'")
    assert not target.exists()


def test_new_entries_are_seen_without_rebuilding(journal: Journal) -> None:
    journal.query("SELECT count(*)")  # builds the connection once
    apply(journal, 52_000_000, "equal", ["638", "286", "109", "905"], dt.date(2025, 5, 1))
    rows = journal.query("SELECT account WHERE account ~ 'Vaasa' GROUP BY account").rows
    assert rows == [("Assets:Receivable:Members:Vaasa-905",)]
    assert ("Assets:Receivable:Members:Vaasa-905",) in [(r[0],) for r in journal.query("SELECT account FROM #accounts").rows]

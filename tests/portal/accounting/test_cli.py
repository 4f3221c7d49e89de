"""``portal ledger``: export, import payments (all or nothing, refused by line), list and revert imports, query."""

from __future__ import annotations

from pathlib import Path

import pytest
from beancount import loader

PAYMENTS = '2025-01-01 open Assets:Bank EUR\n\n2025-03-01 * "Porvoo pays"\n  Assets:Bank  100.00 EUR\n  Assets:Receivable:Members:Porvoo-638  -100.00 EUR\n'


def bank(runner) -> list[str]:
    result = runner.invoke(args=["ledger", "query", "iam", "SELECT account, sum(number) AS n WHERE account ~ 'Bank' GROUP BY account", "--format", "csv"])
    return result.output.splitlines()


def test_export_import_query(created, tmp_path: Path) -> None:
    out = tmp_path / "iam.beancount"
    assert created.invoke(args=["ledger", "export", "iam", "-o", str(out)]).exit_code == 0
    _, errors, _ = loader.load_file(str(out))
    assert errors == []
    payments = tmp_path / "payments.beancount"
    payments.write_text(PAYMENTS)
    result = created.invoke(args=["ledger", "import", "iam", str(payments)])
    assert result.exit_code == 0 and result.output == "Imported 1 transactions from payments.beancount as import 1 (posting 3)\n"
    assert bank(created) == ["account,n", "Assets:Bank,100.00"]
    table = created.invoke(args=["ledger", "query", "iam", "BALANCES"]).output
    assert "Assets:Receivable:Members:Porvoo-638" in table


def test_unbalanced_import_is_refused_by_line(created, tmp_path: Path) -> None:
    bad = tmp_path / "bad.beancount"
    bad.write_text('2025-03-01 * "x"\n  Assets:Receivable:Members:Porvoo-638  -100.00 EUR\n  Income:Contributions  90.00 EUR\n')
    result = created.invoke(args=["ledger", "import", "iam", str(bad)])
    assert result.exit_code == 2 and "line 1" in result.output and "nothing was added" in result.output
    assert "line 3: Income:Contributions is kept by the portal itself" in result.output


def test_imports_listed_reverted_once_and_imported_again(created, tmp_path: Path) -> None:
    payments = tmp_path / "payments.beancount"
    payments.write_text(PAYMENTS)
    assert created.invoke(args=["ledger", "imports", "iam"]).output == "no imports\n"
    assert created.invoke(args=["ledger", "import", "iam", str(payments)]).exit_code == 0
    again = created.invoke(args=["ledger", "import", "iam", str(payments)])
    assert again.exit_code == 2 and "this file was imported already as import 1 (payments.beancount" in again.output

    result = created.invoke(args=["ledger", "import", "iam", "--revert", "1", "--reason", "wrong file"])
    assert result.exit_code == 0, result.output
    assert result.output == "Reverted import 1 (payments.beancount): 1 transactions reversed in posting 4\n"
    assert bank(created) == ["account,n", "Assets:Bank,0.00"]
    twice = created.invoke(args=["ledger", "import", "iam", "--revert", "1", "--reason", "again"])
    assert twice.exit_code == 2 and "import 1 (payments.beancount) was reverted already" in twice.output

    assert created.invoke(args=["ledger", "import", "iam", str(payments)]).exit_code == 0
    rows = [line.split("\t") for line in created.invoke(args=["ledger", "imports", "iam"]).output.splitlines()]
    assert [(r[0], r[1], r[4]) for r in rows] == [("2", "payments.beancount", "1"), ("1", "payments.beancount", "1")]
    assert all(r[3].startswith("cli:") for r in rows)
    assert rows[0][5] == "" and rows[1][5].startswith("reverted ") and "(posting 4)" in rows[1][5]


def test_import_arguments(created, tmp_path: Path) -> None:
    payments = tmp_path / "payments.beancount"
    payments.write_text(PAYMENTS)
    for args, message in ([["iam"], "give either a FILE to import or --revert N"],
                          [["iam", str(payments), "--revert", "1"], "give either a FILE to import or --revert N"],
                          [["iam", "--revert", "1"], "say why with --reason"],
                          [["iam", "--revert", "7", "--reason", "x"], "iam has no import 7"],
                          [["iam", "--revert", str(10**30), "--reason", "x"], "the number must be from 1"],
                          [["nope", str(payments)], "no project 'nope'"]):
        result = created.invoke(args=["ledger", "import", *args])
        assert result.exit_code == 2 and message in result.output, (args, result.output)
    latin = tmp_path / "latin.beancount"
    latin.write_bytes(b"2025-03-01 * \"Pyh\xe4j\xe4rvi\"\n")
    result = created.invoke(args=["ledger", "import", "iam", str(latin)])
    assert result.exit_code == 2 and "latin.beancount is not UTF-8 text" in result.output


BACKTRACKING = "SELECT account WHERE account ~ '^([A-Za-z:]+)*$!'"


def test_a_backtracking_regex_is_ended_with_exit_2(created) -> None:
    created.app.config["PORTAL_QUERY_SECONDS"] = 0.5
    result = created.invoke(args=["ledger", "query", "iam", BACKTRACKING])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.startswith("Error: the query ran longer than 0.5 s and was stopped; narrow it")
    assert created.invoke(args=["ledger", "query", "iam", "SELECT count(*)"]).exit_code == 0


@pytest.mark.parametrize("text, message", [
    ("SELECT account WHERE account ~ '[z-a]'", "invalid regular expression"),
    ("SELECT decimal('NaN') > 1", "invalid decimal operation"),
    ("SELECT round(number, 1000000000)", "invalid decimal operation"),
    ("SELECT 1; SELECT 2", "several statements"),
    ("SELECT 1" + "0" * 5000, "could not be read"),
])
def test_every_query_error_is_one_line_and_exit_2(created, text: str, message: str) -> None:
    result = created.invoke(args=["ledger", "query", "iam", text])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    assert len(result.output.splitlines()) == 1


def test_print_gives_beancount_that_loads_back(created) -> None:
    result = created.invoke(args=["ledger", "query", "iam", "PRINT"])
    entries, errors, _ = loader.load_string(result.output)
    assert result.exit_code == 0 and errors == [] and any("assessment" in getattr(e, "tags", ()) for e in entries)

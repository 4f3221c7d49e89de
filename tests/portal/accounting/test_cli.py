"""``portal ledger``: export a project's ledger, import payments (all or nothing, refused by line), query it."""

from __future__ import annotations

from pathlib import Path

from beancount import loader


def test_export_import_query(created, tmp_path: Path) -> None:
    out = tmp_path / "iam.beancount"
    assert created.invoke(args=["ledger", "export", "iam", "-o", str(out)]).exit_code == 0
    _, errors, _ = loader.load_file(str(out))
    assert errors == []
    payments = tmp_path / "payments.beancount"
    payments.write_text('2025-01-01 open Assets:Bank EUR\n\n2025-03-01 * "Porvoo pays"\n  Assets:Bank  100.00 EUR\n  Assets:Receivable:Members:Porvoo-638  -100.00 EUR\n')
    result = created.invoke(args=["ledger", "import", "iam", str(payments)])
    assert result.exit_code == 0 and "Imported 1 transactions" in result.output
    result = created.invoke(args=["ledger", "query", "iam", "SELECT account, sum(number) AS n WHERE account ~ 'Bank' GROUP BY account", "--format", "csv"])
    assert result.output.splitlines() == ["account,n", "Assets:Bank,100.00"]
    table = created.invoke(args=["ledger", "query", "iam", "BALANCES"]).output
    assert "Assets:Receivable:Members:Porvoo-638" in table


def test_unbalanced_import_is_refused_by_line(created, tmp_path: Path) -> None:
    bad = tmp_path / "bad.beancount"
    bad.write_text('2025-03-01 * "x"\n  Assets:Receivable:Members:Porvoo-638  -100.00 EUR\n  Income:Contributions  90.00 EUR\n')
    result = created.invoke(args=["ledger", "import", "iam", str(bad)])
    assert result.exit_code == 2 and "line 1" in result.output and "nothing was added" in result.output

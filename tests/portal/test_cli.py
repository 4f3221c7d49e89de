"""The ``portal`` command line, its output formats and its refusals (exit status 2, no traceback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from beancount import loader

from portal.projects import services as changes

CREATE = ["project", "create", "iam", "--name", "IAM 2025–2029", "--budget", "520000.00", "--start", "2025-01-01", "--end", "2029-12-31", "--rule", "equal"]


@pytest.fixture
def created(runner):
    result = runner.invoke(args=CREATE)
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["member", "add", "iam", "--city", "638", "--city", "286", "--city", "109", "--joined", "2025-01-01", "--decision", "agreement"])
    assert result.exit_code == 0, result.output
    return runner


def test_shares_in_every_format(created) -> None:
    table = created.invoke(args=["shares", "iam"])
    assert "Porvoo" in table.output and "520000.00" in table.output
    data = json.loads(created.invoke(args=["shares", "iam", "--format", "json"]).output)
    assert data[0].keys() == {"city", "name", "share", "charged", "total"}
    assert {d["city"]: d["share"] for d in data} == {"109": "173333.34", "286": "173333.33", "638": "173333.33"}
    assert {d["charged"] for d in data} == {"0.00"} and {d["city"]: d["total"] for d in data}["109"] == "173333.34"
    csv = created.invoke(args=["shares", "iam", "--format", "csv"]).output.splitlines()
    assert csv[0] == "city,name,share,charged,total" and len(csv) == 4
    assert csv[1] == "109,Hämeenlinna,173333.34,0.00,173333.34"


def test_several_cities_make_one_change(created, app) -> None:
    result = created.invoke(args=["member", "add", "iam", "--city", "905", "--city", "743", "--joined", "2025-06-01"])
    assert result.exit_code == 0 and "5 shares changed (posting 3)" in result.output
    with app.app_context():
        assert changes.get_project("iam").ledger_seq == 3


def test_withdraw_budget_rule(created) -> None:
    assert created.invoke(args=["member", "withdraw", "iam", "--city", "638", "--left", "2026-12-31"]).exit_code == 0
    assert created.invoke(args=["budget", "set", "iam", "--amount", "600000.00"]).exit_code == 0
    result = created.invoke(args=["rule", "set", "iam", "--kind", "population", "--population-year", "2025"])
    assert result.exit_code == 0, result.output
    data = json.loads(created.invoke(args=["shares", "iam", "--format", "json"]).output)
    assert sum(int(d["share"].replace(".", "")) for d in data) == 60_000_000


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


@pytest.mark.parametrize(
    "args, message",
    [
        (["member", "add", "iam", "--city", "999", "--joined", "2025-06-01"], "unknown municipality code 999"),
        (["member", "add", "iam", "--city", "638", "--joined", "2025-06-01"], "already a member"),
        (["member", "add", "iam", "--city", "905", "--joined", "June"], "Invalid value for '--joined'"),
        (["member", "withdraw", "iam", "--city", "638", "--left", "2024-01-01"], "before Porvoo joined"),
        (["budget", "set", "iam", "--amount", "-1"], "must not be negative"),
        (["budget", "set", "iam", "--amount", "lots"], "not a number"),
        (["ledger", "query", "iam", "CREATE TABLE x (a int) USING 'csv:/tmp/x.csv'"], "not allowed"),
        (["ledger", "query", "iam", ".output /tmp/x"], "shell commands"),
        (["ledger", "query", "iam", "SELEC"], "syntax error"),
        (["shares", "nope"], "no project 'nope'"),
        (CREATE, "exists already"),
        (["project", "create", "x y", "--name", "n", "--budget", "1", "--start", "2025-01-01", "--end", "2026-01-01", "--rule", "equal"], "project id"),
        (["project", "create", "p2", "--name", "n", "--budget", "1", "--start", "2025-01-01", "--end", "2024-01-01", "--rule", "equal"], "must come after"),
        (["project", "create", "p2", "--name", "n", "--budget", "1", "--start", "2025-01-01", "--end", "2026-01-01", "--rule", "population"], "reference year"),
        (["users", "grant", "--issuer", "https://idp", "--sub", "s", "--role", "contact"], "needs a city"),
        (["users", "grant", "--issuer", "https://idp", "--sub", "s", "--role", "king"], "Invalid value for '--role'"),
    ],
)
def test_bad_input_exits_2_with_a_message(created, app, args, message) -> None:
    with app.app_context():
        seq = changes.get_project("iam").ledger_seq
    result = created.invoke(args=args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert changes.get_project("iam").ledger_seq == seq


def test_unbalanced_import_is_refused_by_line(created, tmp_path: Path) -> None:
    bad = tmp_path / "bad.beancount"
    bad.write_text('2025-03-01 * "x"\n  Assets:Receivable:Members:Porvoo-638  -100.00 EUR\n  Income:Contributions  90.00 EUR\n')
    result = created.invoke(args=["ledger", "import", "iam", str(bad)])
    assert result.exit_code == 2 and "line 1" in result.output and "nothing was added" in result.output


def test_users_grant(runner) -> None:
    result = runner.invoke(args=["users", "grant", "--issuer", "https://login.example/t/v2.0", "--sub", "abc", "--role", "contact", "--city", "638"])
    assert result.exit_code == 0 and "roles contact, city 638" in result.output
    result = runner.invoke(args=["users", "grant", "--issuer", "https://login.example/t/v2.0", "--sub", "abc", "--role", "accountant"])
    assert "roles accountant, contact" in result.output


def test_the_console_script_exits_2_without_a_traceback(tmp_path: Path) -> None:
    """The installed ``portal`` script, in a fresh process, on a fresh SQLite database."""
    env = {**os.environ, "PORTAL_INSTANCE_PATH": str(tmp_path), "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    env.pop("PORTAL_SECRET_KEY", None)
    script = str(Path(sys.executable).parent / "portal")
    upgrade = subprocess.run([script, "db", "upgrade"], env=env, capture_output=True, text=True)
    assert upgrade.returncode == 0, upgrade.stderr
    ok = subprocess.run([script, *CREATE], env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([script, "member", "add", "iam", "--city", "1234", "--joined", "2025-01-01"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2
    assert "not a municipality code" in bad.stderr and "Traceback" not in bad.stderr


def test_sessions_purge(runner) -> None:
    result = runner.invoke(args=["sessions", "purge", "--days", "0"])
    assert result.exit_code == 0 and "deleted 0 ended sessions" in result.output
    assert runner.invoke(args=["sessions", "purge", "--days", "-1"]).exit_code == 2

"""The projects' commands of ``portal`` (project, member, shares), their output formats and the refusals
of every command (exit status 2, no traceback). ``created``: a project made through the CLI."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from portal.projects import services as changes
from tests.common.cli import CREATE


def test_shares_in_every_format(created) -> None:
    table = created.invoke(args=["shares", "iam"])
    assert "Porvoo" in table.output and "520000.00" in table.output
    data = json.loads(created.invoke(args=["shares", "iam", "--format", "json"]).output)
    assert data[0].keys() == {"city", "name", "share", "charged", "total", "withdrawn", "left"}
    assert {(d["withdrawn"], d["left"]) for d in data} == {(False, None)}
    assert {d["city"]: d["share"] for d in data} == {"109": "173333.34", "286": "173333.33", "638": "173333.33"}
    assert {d["charged"] for d in data} == {"0.00"} and {d["city"]: d["total"] for d in data}["109"] == "173333.34"
    csv = created.invoke(args=["shares", "iam", "--format", "csv"]).output.splitlines()
    assert csv[0] == "city,name,share,charged,total,left" and len(csv) == 4
    assert csv[1] == "109,Hämeenlinna,173333.34,0.00,173333.34,"


def test_a_withdrawn_member_stays_in_every_format(created) -> None:
    assert created.invoke(args=["member", "withdraw", "iam", "--city", "638", "--left", "2025-12-31"]).exit_code == 0
    table = created.invoke(args=["shares", "iam"]).output
    assert "withdrawn 2025-12-31" in table and "520000.00" in table
    data = json.loads(created.invoke(args=["shares", "iam", "--format", "json"]).output)
    porvoo = next(d for d in data if d["city"] == "638")
    assert porvoo["withdrawn"] is True and porvoo["left"] == "2025-12-31" and porvoo["share"] != "0.00"
    assert sum(Decimal(d["share"]) for d in data) == Decimal("520000.00")
    csv = created.invoke(args=["shares", "iam", "--format", "csv"]).output.splitlines()
    assert any(line.startswith("638,Porvoo,") and line.endswith(",2025-12-31") for line in csv)


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

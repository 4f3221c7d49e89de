"""The cost-sharing commands of ``portal``: rule versions, budgets by year, policies, closed years,
direct charges, grants, subsidies on logged hours and joining fees; their output and refusals."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ledger import municipalities as M
from portal.audit import AuditEvent
from portal.extensions import db
from portal.projects import services as changes
from portal.projects.models import LedgerPosting, Project, ProjectChange

D = dt.date


def ok(runner, *args: str) -> str:
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.output


def counts(app) -> tuple[int, ...]:
    with app.app_context():
        seqs = tuple(p.ledger_seq for p in db.session.execute(select(Project).order_by(Project.id)).scalars())
        return (*seqs, *(db.session.scalar(select(func.count()).select_from(m)) for m in (LedgerPosting, ProjectChange, AuditEvent)))


def shares_json(runner, slug: str) -> dict[str, dict]:
    return {d["city"]: d for d in json.loads(ok(runner, "shares", slug, "--format", "json"))}


@pytest.fixture
def staff(runner):
    """A one-year project (2025: 100,000.01 EUR) shared by Porvoo (638) and Sipoo (753)."""
    ok(runner, "project", "create", "staff", "--name", "Staff", "--year", "2025=100000.01",
       "--start", "2025-01-01", "--end", "2025-12-31", "--rule", "equal")
    ok(runner, "member", "add", "staff", "--city", "638", "--city", "753", "--joined", "2025-01-01")
    return runner


@pytest.fixture
def term(runner):
    """A two-year project (80,000.00 and 150,000.00 EUR) shared by Akaa, Porvoo and Sipoo."""
    ok(runner, "project", "create", "term", "--name", "Term", "--year", "2025=80000.00", "--year", "2026=150000.00",
       "--start", "2025-01-01", "--end", "2026-12-31", "--rule", "equal", "--decision", "agreement")
    ok(runner, "member", "add", "term", "--city", "020", "--city", "638", "--city", "753", "--joined", "2025-01-01")
    return runner


# -- worked examples -----------------------------------------------------------------------------
def test_fixed_three_quarters_and_one_quarter_with_own_costs_charged_alone(staff) -> None:
    # 100,000.01 split 75 % / 25 %: 75,000.0075 and 25,000.0025; the cent left goes to Porvoo.
    # Sipoo's own devices (3,480.00) and travel (412.35) are charged to Sipoo alone.
    out = ok(staff, "rule", "set", "staff", "--kind", "fixed", "--percent", "638=75", "--percent", "753=25",
             "--effective", "2025-01-01", "--decision", "agreement 3.2.2025")
    assert "Rule from 2025-01-01: fixed 638 75 % / 753 25 % (was equal)" in out
    assert re.search(r"638 Porvoo\s+50000\.01 ->\s+75000\.01", out) and re.search(r"753 Sipoo\s+50000\.00 ->\s+25000\.00", out)
    out = ok(staff, "charge", "add", "staff", "--city", "753", "--amount", "3480.00", "--date", "2025-04-02", "--text", "devices")
    assert "no share changed" in out and "1 direct charge(s) posted" in out
    assert re.search(r"753 Sipoo\s+3480\.00\s+2025-04-02\s+devices", out)
    ok(staff, "charge", "add", "staff", "--city", "753", "--amount", "412.35", "--date", "2025-09-15", "--text", "travel")
    lines = shares_json(staff, "staff")
    current = {"withdrawn": False, "left": None}
    assert lines["638"] == {"city": "638", "name": "Porvoo", "share": "75000.01", "charged": "0.00", "total": "75000.01", **current}
    assert lines["753"] == {"city": "753", "name": "Sipoo", "share": "25000.00", "charged": "3892.35", "total": "28892.35", **current}
    table = ok(staff, "shares", "staff")
    assert "fixed 638 75 % / 753 25 %" in table
    assert re.search(r"753\s+Sipoo\s+25000\.00\s+3892\.35\s+28892\.35", table)
    assert re.search(r"total\s+100000\.01\s+3892\.35\s+103892\.36", table)
    listed = ok(staff, "charge", "list", "staff")
    assert "2 direct charge(s)" in listed and "412.35  travel" in listed and re.search(r"total\s+753 Sipoo\s+3892\.35", listed)
    explained = ok(staff, "shares", "staff", "--explain", "753")
    assert "share 25000.00 EUR, direct charges 3892.35 EUR, total 28892.35 EUR" in explained
    assert "2025-04-02: devices, 3480.00 EUR charged to 753 alone" in explained
    assert re.search(r"2025-09-15  charge\s+412\.35\s+3892\.35", explained)  # charges run apart from the share
    rules = ok(staff, "rule", "list", "staff")
    assert "2 rule version(s)" in rules and "from 2025-01-01  fixed 638 75 % / 753 25 %  (years 2025)" in rules
    assert "decision: agreement 3.2.2025" in rules and "from 2025-01-01  equal  (superseded)" in rules


def test_hybrid_forty_percent_equal_the_rest_by_population(runner) -> None:
    # Populations of 2025 frozen in the version: Akaa 16,429, Porvoo 51,863, Sipoo 23,006 (91,298).
    # Each pays 100,000.00 x (40 % / 3 + 60 % x its residents / 91,298):
    # Akaa 24,130.2839..., Porvoo 47,417.1029..., Sipoo 28,452.6130...: 1 cent left, to Akaa (.398).
    assert [M.lookup(c, 2025).population for c in ("020", "638", "753")] == [16_429, 51_863, 23_006]
    ok(runner, "project", "create", "hybrid", "--name", "Hybrid", "--budget", "100000.00",
       "--start", "2025-01-01", "--end", "2025-12-31", "--rule", "equal")
    ok(runner, "member", "add", "hybrid", "--city", "020", "--city", "638", "--city", "753", "--joined", "2025-01-01")
    out = ok(runner, "rule", "set", "hybrid", "--kind", "hybrid", "--base-percent", "40", "--population-year", "2025",
             "--effective", "2025-01-01", "--decision", "KV 2025 § 7")
    assert "hybrid 40 % equal / 60 % population (2025)" in out and "3 shares changed" in out
    assert {c: d["share"] for c, d in shares_json(runner, "hybrid").items()} == {"020": "24130.29", "638": "47417.10", "753": "28452.61"}
    explained = ok(runner, "shares", "hybrid", "--explain", "020")
    assert "Populations of 2025, frozen in the version: 020 16429, 638 51863, 753 23006" in explained
    assert "020 24130.283978..." in explained


# -- each command --------------------------------------------------------------------------------
def test_budget_by_year_and_as_a_total(term, app) -> None:
    out = ok(term, "budget", "set", "term", "--year", "2026", "--amount", "120000.00", "--decision", "KV 2026")
    assert "Budget 2026 set to 120000.00 EUR (was 150000.00)" in out and "3 shares changed" in out
    ok(term, "year", "close", "term", "2025")
    shown = ok(term, "budget", "show", "term")
    assert re.search(r"2025\s+80000\.00\s+0\.00  closed", shown) and re.search(r"2026\s+120000\.00\s+0\.00\n", shown)
    assert re.search(r"total\s+200000\.00", shown)
    # A new total is spread over the open years only: the closed 2025 keeps its 80,000.00.
    out = ok(term, "budget", "set", "term", "--amount", "230000.00")
    assert "Budget changed from 200000.00 to 230000.00 EUR" in out
    with app.app_context():
        assert changes.state_for(changes.get_project("term")).budget == ((2025, 8_000_000), (2026, 15_000_000))


def test_a_rule_takes_effect_on_january_first_of_this_year_by_default(term, monkeypatch) -> None:
    monkeypatch.setattr(changes, "today", lambda: D(2026, 3, 1))
    out = ok(term, "rule", "set", "term", "--kind", "population", "--population-year", "2025")
    assert "Rule from 2026-01-01: population (2025) (was equal)" in out
    rules = ok(term, "rule", "list", "term")
    assert "from 2025-01-01  equal  (years 2025)" in rules and "from 2026-01-01  population (2025)  (years 2026)" in rules
    assert "decision: agreement" in rules and "by cli" in rules


def test_caps_and_floors(term) -> None:
    out = ok(term, "rule", "set", "term", "--kind", "equal", "--cap", "020=50000.00", "--floor", "753=90000.00",
             "--effective", "2025-01-01")
    assert "equal, 1 cap(s), 1 floor(s)" in out
    lines = {c: d["share"] for c, d in shares_json(term, "term").items()}
    assert lines["020"] == "50000.00" and lines["753"] == "90000.00" and lines["638"] == "90000.00"


def test_policy_and_a_late_joiner(term) -> None:
    out = ok(term, "policy", "set", "term", "pro-rata", "--decision", "KV 9")
    assert "Policy changed from whole-term to pro-rata" in out
    ok(term, "member", "add", "term", "--city", "091", "--joined", "2026-07-01")
    lines = shares_json(term, "term")
    # Pro rata: Helsinki takes 184 of 3 x 365 + 184 = 1,279 member-days of 2026: 150,000.00 x 184 / 1,279 = 21,579.358...
    assert lines["091"]["share"] == "21579.36"
    assert sum(int(d["share"].replace(".", "")) for d in lines.values()) == 23_000_000


def test_a_closed_year_keeps_its_shares_and_the_change_says_so(loaded) -> None:
    runner = loaded.test_cli_runner()
    with loaded.app_context():
        kept = changes.journal_for(changes.get_project("iam")).assessed_cells()[(2025, "638")]
    assert "Year 2025 closed" in ok(runner, "year", "close", "iam", "2025", "--decision", "accounts 2025 approved")
    out = ok(runner, "member", "add", "iam", "--city", "091", "--joined", "2026-06-01")
    assert "closed years keep what was assessed for them; not moved:" in out
    assert f"2025 is closed: kept {kept / 100:.2f} for 638 (the rules would now give 4444.44)" in out
    assert "2025 is closed: kept 0.00 for 091 (the rules would now give 4444.45)" in out
    with loaded.app_context():
        assert changes.journal_for(changes.get_project("iam")).assessed_cells()[(2025, "638")] == kept
    explained = ok(runner, "shares", "iam", "--explain", "091")
    assert "2025 is closed: kept 0.00 for 091 (the rules would now give 4444.45)" in explained
    assert "share 24444.45 EUR" in explained  # 440,000.00 / 18 = 24,444.44…, the cumulative rounding's cent to Helsinki
    what_if = ok(runner, "shares", "iam", "--what-if", "+020", "--on", "2026-07-01")
    assert "(nothing posted)" in what_if and "2025 is closed: kept 0.00 for 020" in what_if


def test_grants_general_and_targeted(term) -> None:
    out = ok(term, "grant", "add", "term", "--year", "2026", "--amount", "30000.00", "--text", "EU grant")
    assert "Funding 2026: EU grant, 30000.00 EUR" in out and "3 shares changed" in out
    out = ok(term, "grant", "add", "term", "--year", "2026", "--amount", "1000.00", "--text", "regional", "--city", "638")
    assert "for Porvoo (638)'s share" in out and "1 shares changed" in out
    lines = {c: d["share"] for c, d in shares_json(term, "term").items()}
    # 200,000.00 co-funded: 66,666.66 each and two cents left, to the lower codes; Porvoo then less 1,000.00.
    assert lines == {"020": "66666.67", "638": "65666.67", "753": "66666.66"}
    assert re.search(r"2026\s+150000\.00\s+31000\.00", ok(term, "budget", "show", "term"))


def test_hours_logged_one_row_and_imported_from_csv(term, app, tmp_path: Path) -> None:
    out = ok(term, "subsidy", "set", "term", "state", "--rate", "45.00", "--text", "state subsidy 50 %")
    assert "Subsidy state: 45.00 EUR per logged hour" in out
    out = ok(term, "hours", "log", "term", "state", "--person", "Aino", "--date", "2026-03-02", "--task", "development", "--hours", "7.5")
    assert "7.5 h logged for subsidy state" in out and "3 shares changed" in out
    before = counts(app)
    csv = tmp_path / "hours.csv"
    csv.write_text("person,date,task,hours\nEero,2026-03-03,testing,0.5\n\nAino,2026-03-04,development,\"2,25\"\n", encoding="utf-8")
    out = ok(term, "hours", "import", "term", "state", str(csv))
    assert "hours.csv: 2 row(s)" in out and "2.75 h logged for subsidy state" in out
    after = counts(app)
    assert [a - b for a, b in zip(after, before, strict=False)] == [1, 1, 1, 1]  # one posting, one change, one audit record
    listed = ok(term, "hours", "list", "term")
    assert "state: state subsidy 50 %, 45.00 EUR per hour: 10.25 h, 461.25 EUR" in listed
    assert re.search(r"2026-03-04  Aino\s+development\s+2\.25", listed)
    total = sum(int(d["share"].replace(".", "")) for d in shares_json(term, "term").values())
    assert total == 23_000_000 - 46_125


@pytest.mark.parametrize("text, message", [
    ("person,date,task,hours\nEero,2026-03-03,testing,1\nAino,2026-13-04,development,2\n", "hours.csv: row 2 (line 3): '2026-13-04' is not a date"),
    ("person,date,task,hours\nEero,2026-03-03,testing,25\n", "row 1 (line 2): the hours must be above 0 and at most 24"),
    ("person,date,task,hours\n,2026-03-03,testing,2\n", "row 1 (line 2): the person must not be empty"),
    ("person,date,task,hours\n\nEero,2024-03-03,testing,2\n", "row 1 (line 3): the date 2024-03-03 is outside"),
    ("person,date,task,hours\nEero,2026-03-03,testing\n", "hours.csv: line 2 has 3 fields, the header 4"),
    ("person,day,task,hours\nEero,2026-03-03,testing,2\n", "missing: date"),
    ("person,date,task,hours\n", "hours.csv has no rows of hours"),
])
def test_a_bad_hours_file_is_refused_by_row_and_nothing_is_logged(term, app, tmp_path: Path, text, message) -> None:
    ok(term, "subsidy", "set", "term", "state", "--rate", "45.00", "--text", "state subsidy")
    csv = tmp_path / "hours.csv"
    csv.write_text(text, encoding="utf-8")
    before = counts(app)
    result = term.invoke(args=["hours", "import", "term", "state", str(csv)])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert counts(app) == before


def test_hours_file_with_semicolons(term, tmp_path: Path) -> None:
    ok(term, "subsidy", "set", "term", "state", "--rate", "10.00", "--text", "subsidy")
    csv = tmp_path / "tunnit.csv"
    csv.write_text("\ufeffPerson;Date;Task;Hours\nAino;2026-03-03;testing;1,5\n", encoding="utf-8")
    assert "1.5 h logged" in ok(term, "hours", "import", "term", "state", str(csv))


def test_a_joining_fee_is_charged_to_the_joiner(term) -> None:
    out = ok(term, "joining-fee", "set", "term", "--tier", "2025-12-31=1.00", "--tier", "2026-03-31=3.00", "--tier", "after=6.00",
             "--population-year", "2025")
    assert "Joining fee: 1.00 EUR/resident until 2025-12-31, 3.00 EUR/resident until 2026-03-31, 6.00 EUR/resident after" in out
    out = ok(term, "member", "add", "term", "--city", "091", "--joined", "2026-06-01")
    fee = M.lookup("091", 2025).population * 600
    assert "1 direct charge(s) posted" in out and f"{fee / 100:.2f}" in out
    assert shares_json(term, "term")["091"]["charged"] == f"{fee / 100:.2f}"
    listed = ok(term, "charge", "list", "term")
    assert "4 joining fee(s), each member by its own join date:" in listed
    assert re.search(rf"2026-06-01  091 Helsinki\s+{fee / 100:.2f}  joining fee: \d+ residents \(2025\) x 6\.00 EUR", listed)
    # the founders joined on 2025-01-01, in the first tier: 1.00 EUR per resident, though the fee was set after they joined
    assert re.search(rf"2025-01-01  638 Porvoo\s+{M.lookup('638', 2025).population:.2f}", listed)


@pytest.mark.parametrize("kind, extra, label", [
    ("equal", [], "equal"),
    ("fixed", ["--percent", "638=60", "--percent", "753=40"], "fixed 638 60 % / 753 40 %"),
])
def test_create_with_years_rule_and_policy(runner, app, kind, extra, label) -> None:
    out = ok(runner, "project", "create", "p-" + kind, "--name", "P", "--year", "2025=80000.00", "--year", "2026=150000.00",
             "--start", "2025-01-01", "--end", "2026-12-31", "--rule", kind, *extra, "--policy", "pro-rata")
    assert f"created project p-{kind} ({label}, pro-rata, budget 230000.00 EUR)" in out
    assert "budget by year: 2025 80000.00, 2026 150000.00" in out
    with app.app_context():
        assert changes.state_for(changes.get_project("p-" + kind)).policy == "pro-rata"


@pytest.mark.parametrize("kind, extra, label, expected", [
    # 100,000.00 by the populations of 2025, Porvoo 51,863 and Sipoo 23,006 (74,869 in all):
    # population: 69,271.6611... and 30,728.3388...: the cent left goes to Sipoo (.88);
    # hybrid 40 %: 20 % each plus 60 % by population: 61,562.9967... and 38,437.0032...: to Porvoo (.67).
    ("population", [], "population (2025)", {"638": "69271.66", "753": "30728.34"}),
    ("hybrid", ["--base-percent", "40"], "hybrid 40 % equal / 60 % population (2025)", {"638": "61563.00", "753": "38437.00"}),
])
def test_create_with_a_population_rule(runner, kind, extra, label, expected) -> None:
    out = ok(runner, "project", "create", "p-" + kind, "--name", "P", "--budget", "100000.00", "--start", "2025-01-01",
             "--end", "2025-12-31", "--rule", kind, "--population-year", "2025", *extra)
    assert f"({label}, whole-term, budget 100000.00 EUR)" in out
    ok(runner, "member", "add", "p-" + kind, "--city", "638", "--city", "753", "--joined", "2025-01-01")
    assert {c: d["share"] for c, d in shares_json(runner, "p-" + kind).items()} == expected


# -- refusals ------------------------------------------------------------------------------------
@pytest.mark.parametrize("args, message", [
    (["rule", "set", "term", "--kind", "fixed", "--percent", "638=75", "--percent", "753=20", "--percent", "020=4"], "sum to 99 %, not exactly 100 %"),
    (["rule", "set", "term", "--kind", "fixed", "--percent", "638=75", "--percent", "753=25"], "do not name 020"),
    (["rule", "set", "term", "--kind", "fixed", "--percent", "638=75", "--percent", "753=25", "--percent", "091=0"], "name non-members: 091"),
    (["rule", "set", "term", "--kind", "fixed", "--percent", "638=lots", "--percent", "753=25"], "not a number"),
    (["rule", "set", "term", "--kind", "fixed", "--percent", "638", "--percent", "753=25"], "--percent: '638' is not CODE=VALUE; write it as CODE=PERCENT"),
    (["rule", "set", "term", "--kind", "fixed", "--percent", "638=50", "--percent", "638=50"], "--percent: 638 is given twice"),
    (["rule", "set", "term", "--kind", "equal", "--cap", "020=1.00", "--cap", "638=1.00", "--cap", "753=1.00", "--effective", "2025-01-01"],
     "the caps can hold at most 3.00 EUR, less than the 230000.00 EUR the members must pay"),
    (["rule", "set", "term", "--kind", "equal", "--cap", "638=abc"], "the cap of 638 'abc' is not a number"),
    (["rule", "set", "term", "--kind", "equal", "--cap", "638=1.001"], "more than two decimals"),
    (["rule", "set", "term", "--kind", "equal", "--cap", "=1.00"], "write it as CODE=AMOUNT"),
    (["rule", "set", "term", "--kind", "equal", "--cap", "6380=1.00"], "not a municipality code"),
    (["rule", "set", "term", "--kind", "equal", "--floor", "638=100000.00", "--cap", "638=90000.00"], "is above its cap"),
    (["rule", "set", "term", "--kind", "equal", "--floor", "020=100000.00", "--floor", "638=100000.00", "--floor", "753=100000.00"], "the floors add up"),
    (["rule", "set", "term", "--kind", "hybrid", "--base-percent", "140", "--population-year", "2025"], "between 0 and 100"),
    (["rule", "set", "term", "--kind", "hybrid", "--population-year", "2025"], "needs the percentage split equally"),
    (["rule", "set", "term", "--kind", "population"], "needs a reference year"),
    (["rule", "set", "term", "--kind", "population", "--population-year", "1900"], "no population figures for 1900"),
    (["rule", "set", "term", "--kind", "equal", "--effective", "2030-01-01"], "outside the project's years"),
    (["rule", "set", "term", "--kind", "equal", "--effective", "1.1.2026"], "Invalid value for '--effective'"),
    (["rule", "set", "term", "--kind", "median"], "Invalid value for '--kind'"),
    (["budget", "set", "term", "--year", "2031", "--amount", "1.00"], "2031 is not one of the project's years"),
    (["budget", "set", "term", "--year", "2026", "--amount", "-5"], "must not be negative"),
    (["policy", "set", "term", "monthly"], "Invalid value for 'POLICY'"),
    (["policy", "set", "term", "whole-term"], "the policy is whole-term already"),
    (["year", "close", "term", "2024"], "2024 is not one of the project's years"),
    (["charge", "add", "term", "--city", "999", "--amount", "1.00", "--date", "2025-02-01", "--text", "x"], "unknown municipality code 999"),
    (["charge", "add", "term", "--city", "091", "--amount", "1.00", "--date", "2025-02-01", "--text", "x"], "Helsinki (091) is not a member"),
    (["charge", "add", "term", "--city", "638", "--amount", "0", "--date", "2025-02-01", "--text", "x"], "above zero"),
    (["charge", "add", "term", "--city", "638", "--amount", "1.00", "--date", "2025-02-30", "--text", "x"], "Invalid value for '--date'"),
    (["charge", "add", "term", "--city", "638", "--amount", "1.00", "--date", "2027-02-01", "--text", "x"], "outside the project's years"),
    (["charge", "add", "term", "--city", "638", "--amount", "1.00", "--date", "2025-02-01", "--text", " "], "text must not be empty"),
    (["grant", "add", "term", "--year", "2030", "--amount", "1.00", "--text", "EU"], "2030 is not one of the project's years"),
    (["grant", "add", "term", "--year", "2026", "--amount", "1.00", "--text", "EU", "--city", "999"], "unknown municipality code 999"),
    (["subsidy", "set", "term", "state", "--rate", "-45", "--text", "x"], "must not be negative"),
    (["hours", "log", "term", "nope", "--person", "A", "--date", "2026-01-02", "--task", "t", "--hours", "2"], "no subsidy 'nope'"),
    (["joining-fee", "set", "term", "--tier", "2025-12-31=1.00", "--population-year", "2025"], "the last tier must be open-ended"),
    (["joining-fee", "set", "term", "--tier", "2026-12-31=1.00", "--tier", "2025-12-31=2.00", "--tier", "after=3.00", "--population-year", "2025"], "date order"),
    (["joining-fee", "set", "term", "--tier", "31.12.2025=1.00", "--tier", "after=3.00", "--population-year", "2025"], "YYYY-MM-DD"),
    (["joining-fee", "set", "term", "--tier", "after", "--population-year", "2025"], "write it as DATE=AMOUNT"),
    (["joining-fee", "set", "term", "--tier", "after=1.00", "--population-year", "1900"], "no population figures for 1900"),
    (["project", "create", "p2", "--name", "n", "--budget", "1", "--year", "2025=1", "--start", "2025-01-01", "--end", "2025-12-31", "--rule", "equal"], "either as a total or by years"),
    (["project", "create", "p2", "--name", "n", "--start", "2025-01-01", "--end", "2025-12-31", "--rule", "equal"], "either as a total or by years"),
    (["project", "create", "p2", "--name", "n", "--year", "25=1.00", "--start", "2025-01-01", "--end", "2025-12-31", "--rule", "equal"], "'25' is not a year"),
    (["project", "create", "p2", "--name", "n", "--year", "2026=1.00", "--start", "2025-01-01", "--end", "2025-12-31", "--rule", "equal"], "2026 is not one of the project's years"),
    (["project", "create", "p2", "--name", "n", "--budget", "1", "--start", "2025-01-01", "--end", "2025-12-31", "--rule", "equal", "--policy", "monthly"], "Invalid value for '--policy'"),
    (["project", "create", "p2", "--name", "n", "--budget", "1", "--start", "2025-01-01", "--end", "2025-12-31", "--rule", "fixed", "--percent", "638=99"], "not exactly 100"),
])
def test_bad_input_exits_2_and_posts_nothing(term, app, args, message) -> None:
    before = counts(app)
    result = term.invoke(args=args)
    assert result.exit_code == 2, result.output
    assert message in result.output, result.output
    assert "Traceback" not in result.output
    assert counts(app) == before


@pytest.mark.parametrize("args", [
    ["charge", "add", "term", "--city", "638", "--amount", "1.00", "--date", "2025-03-01", "--text", "x"],
    ["budget", "set", "term", "--year", "2025", "--amount", "1.00"],
    ["rule", "set", "term", "--kind", "population", "--population-year", "2025", "--effective", "2025-06-01"],
    ["member", "add", "term", "--city", "091", "--joined", "2025-06-01"],
    ["member", "withdraw", "term", "--city", "638", "--left", "2025-06-30"],
    ["grant", "add", "term", "--year", "2025", "--amount", "100.00", "--text", "EU"],
    ["hours", "log", "term", "state", "--person", "A", "--date", "2025-05-02", "--task", "t", "--hours", "2"],
])
def test_a_change_in_a_closed_year_is_refused(term, app, args) -> None:
    ok(term, "subsidy", "set", "term", "state", "--rate", "45.00", "--text", "subsidy")
    ok(term, "year", "close", "term", "2025")
    before = counts(app)
    result = term.invoke(args=args)
    assert result.exit_code == 2, result.output
    assert "2025 is closed:" in result.output and "Traceback" not in result.output
    assert counts(app) == before
    again = term.invoke(args=["year", "close", "term", "2025"])
    assert again.exit_code == 2 and "2025 is closed already" in again.output

"""The choices the agreements leave open, from the command line: settings, fixed percentages with a
join, a budget's effective date within the term, and the export that says what the shares were
computed under. Real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data

from portal.projects import services as changes


def ok(runner, *args: str) -> str:
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def refused(runner, app, args: list[str], message: str) -> None:
    before = _counts(runner, app)
    result = runner.invoke(args=args)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output, result.output
    assert _counts(runner, app) == before


def _counts(runner, app) -> tuple:
    with app.app_context():
        project = changes.get_project("two")
        return project.ledger_seq, project.change_seq


def shares(runner) -> dict[str, dict]:
    return {d["city"]: d for d in json.loads(ok(runner, "shares", "two", "--format", "json"))}


@pytest.fixture
def two(runner):
    """2025–2026, 90,000.00 EUR a year, equal, whole-term: Akaa, Porvoo and Sipoo from the start."""
    ok(runner, "project", "create", "two", "--name", "Two", "--year", "2025=90000.00", "--year", "2026=90000.00",
       "--start", "2025-01-01", "--end", "2026-12-31", "--rule", "equal")
    ok(runner, "member", "add", "two", "--city", "020", "--city", "638", "--city", "753", "--joined", "2025-01-01")
    return runner


def test_settings_set_changes_how_a_leaver_shares(two, app) -> None:
    ok(two, "member", "withdraw", "two", "--city", "753", "--left", "2025-12-31")
    assert shares(two)["753"]["share"] == "30000.00"  # keeps-years: it keeps 2025
    out = ok(two, "settings", "set", "two", "--leaver", "stops", "--decision", "KH 5/2026")
    assert "Settings: leaver stops (was keeps-years), joiner open-years (was open-years)" in out
    assert "753" not in shares(two) and sum(float(d["share"]) for d in shares(two).values()) == 180_000
    refused(two, app, ["settings", "set", "two", "--leaver", "stops"], "the settings are leaver stops, joiner open-years already")
    refused(two, app, ["settings", "set", "two"], "give --leaver or --joiner (or both)")
    assert two.invoke(args=["settings", "set", "two", "--leaver", "never"]).exit_code == 2


def test_a_joiner_catches_up_for_a_closed_year(two) -> None:
    ok(two, "settings", "set", "two", "--joiner", "catch-up")
    ok(two, "year", "close", "two", "2025")
    out = ok(two, "member", "add", "two", "--city", "091", "--joined", "2026-03-01")
    assert "091 Helsinki" in out and "22500.00" in out  # its share of the closed 2025 among four, as a direct charge
    helsinki = shares(two)["091"]
    assert helsinki["share"] == "22500.00" and helsinki["charged"] == "22500.00"
    listed = ok(two, "charge", "list", "two")
    assert "Two: 0 direct charge(s)" in listed
    assert "1 catch-up(s) for closed years, set by the rules:" in listed and "catch-up for closed year 2025" in listed
    refused_cancel = two.invoke(args=["charge", "cancel", "two", "1", "--reason", "x"])
    assert refused_cancel.exit_code == 2 and "there is no charge number 1" in refused_cancel.output


def test_fixed_percentages_set_with_the_join(two, app) -> None:
    ok(two, "rule", "set", "two", "--kind", "fixed", "--percent", "020=20", "--percent", "638=50", "--percent", "753=30",
       "--effective", "2025-01-01")
    refused(two, app, ["member", "add", "two", "--city", "091", "--joined", "2026-01-01"],
            "the fixed percentages from 2025-01-01 do not name 091")
    pct = ["--percent", "020=10", "--percent", "638=40", "--percent", "753=25", "--percent", "091=25"]
    # whole-term: a late joiner shares 2025 too, so a version governing only 2026 leaves 2025's version without it
    refused(two, app, ["member", "add", "two", "--city", "091", "--joined", "2026-01-01", *pct, "--rule-effective", "2026-01-01"],
            "the fixed percentages from 2025-01-01 do not name 091")
    ok(two, "member", "add", "two", "--city", "091", "--joined", "2026-01-01", *pct, "--rule-effective", "2025-01-01")
    lines = shares(two)
    assert lines["091"]["share"] == "45000.00" and lines["638"]["share"] == "72000.00"  # 25 % and 40 % of 180,000.00
    refused(two, app, ["member", "add", "two", "--city", "106", "--joined", "2026-02-01", "--percent", "020=50", "--percent", "106=40"],
            "not exactly 100")


@pytest.mark.parametrize("args, message", [
    (["budget", "set", "two", "--year", "2026", "--amount", "1.00", "--effective", "2027-01-01"], "outside the project's years"),
    (["member", "add", "two", "--city", "091", "--joined", "2024-12-31"], "outside the project's years"),
    (["member", "withdraw", "two", "--city", "638", "--left", "2027-01-01"], "outside the project's years"),
    (["charge", "add", "two", "--city", "638", "--amount", "1.00", "--date", "2030-01-01", "--text", "x"], "outside the project's years"),
])
def test_dates_outside_the_term_are_refused(two, app, args, message) -> None:
    refused(two, app, args, message)


def test_the_export_says_what_the_shares_were_computed_under(two, tmp_path: Path) -> None:
    ok(two, "settings", "set", "two", "--leaver", "stops")
    out = tmp_path / "two.beancount"
    ok(two, "ledger", "export", "two", "-o", str(out))
    text = out.read_text(encoding="utf-8")
    assert ";; policy: whole-term" in text and ";; leaver: stops" in text and ";; joiner: open-years" in text
    entries, errors, _ = loader.load_file(str(out))
    assert errors == []
    custom = [e for e in entries if isinstance(e, data.Custom)]
    assert len(custom) == 1 and custom[0].type == "cost-sharing"
    values = [v.value for v in custom[0].values]
    assert dict(zip(values[::2], values[1::2], strict=True))["leaver"] == "stops"


def test_a_refused_change_through_the_services_changes_nothing(two, app) -> None:
    before = state_of(app)
    caps = ["--cap", "020=1.00", "--cap", "638=1.00", "--cap", "753=1.00"]
    refused(two, app, ["rule", "set", "two", "--kind", "equal", *caps, "--effective", "2025-01-01"], "cap")
    assert state_of(app) == before


def state_of(app):
    with app.app_context():
        return changes.state_for(changes.get_project("two"))


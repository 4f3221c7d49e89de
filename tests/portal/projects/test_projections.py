"""What-if scenarios and explained shares: computed from the ledger, never posted."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from ledger.errors import Conflict, InvalidInput
from portal.costs import services as costs
from portal.projects import projections
from portal.projects import services as changes
from tests.common.demo import state
from tests.common.web import cents, login, table


def _members(app) -> list[str]:
    with app.app_context():
        return [line.code for line in changes.shares(changes.get_project("iam"))]


# -- service ---------------------------------------------------------------------------------------
def test_what_if_recalculates_without_posting(loaded) -> None:
    before = state(loaded)
    with loaded.app_context():
        project = changes.get_project("iam")
        result = projections.what_if(project, ["853"], ["638"], dt.date(2026, 1, 1))
        rows = {r.code: r for r in result.rows}
        # whole-term, a leaver keeps its years: Porvoo leaving on 2026-01-01 keeps its share of 2025 and 2026,
        # now among 18 (Turku shares the whole term): (80,000.00 + 150,000.00) / 18 = 12,777.78
        assert rows["853"].before == 0 and rows["638"].after == 1_277_778
        assert sum(r.after for r in result.rows) == changes.state_for(project).total
        assert len([r for r in result.rows if r.after]) == 18
        assert result.transaction is not None  # built, but never posted
    assert state(loaded) == before


@pytest.mark.parametrize("joins, leaves, error", [
    (["999"], [], InvalidInput), (["638"], [], Conflict), ([], ["853"], Conflict), ([], [], InvalidInput),
    (["286"], ["286"], InvalidInput),
])
def test_what_if_refuses(loaded, joins, leaves, error) -> None:
    with loaded.app_context(), pytest.raises(error):
        projections.what_if(changes.get_project("iam"), joins, leaves, dt.date(2026, 1, 1))


def test_parse_scenario() -> None:
    assert projections.parse_scenario("+286, -638,+734") == (["286", "734"], ["638"])
    with pytest.raises(InvalidInput):
        projections.parse_scenario("286")


def _check_explanations(app) -> None:
    with app.app_context():
        project = changes.get_project("iam")
        for code in _members(app):
            explained = projections.explain_share(project, code)
            assert explained.share == explained.assessed, code
            assert explained.history and explained.history[-1].share == explained.assessed


def test_explanation_matches_the_ledger(loaded) -> None:
    _check_explanations(loaded)
    with loaded.app_context():
        steps = projections.explain_share(changes.get_project("iam"), "638").steps
    kinds = [s.kind for s in steps]
    assert kinds[0] == "inputs" and "members" in kinds and "budget" in kinds and "rounding" in kinds and kinds[-1] == "result"


def test_explanation_matches_after_a_population_rule(loaded) -> None:
    with loaded.app_context():
        costs.set_rule("iam", rule="population", population_year=2025, actor="test", decision="board 1/2026",
                         effective=dt.date(2026, 1, 1))
        changes.withdraw_member("iam", "638", left=dt.date(2026, 6, 30), decision="", actor="test")
    _check_explanations(loaded)
    with loaded.app_context():
        project = changes.get_project("iam")
        text = " ".join(s.text for s in projections.explain_share(project, "109").steps)
        assert "Populations of 2025" in text and "board 1/2026" in text
        gone = projections.explain_share(project, "638")
        cells = changes.journal_for(project).assessed_cells()
        assert gone.share == gone.assessed == cells[(2025, "638")] + cells[(2026, "638")] > 0  # it keeps 2025 and 2026


# -- command line ----------------------------------------------------------------------------------
def test_cli_what_if(loaded) -> None:
    runner = loaded.test_cli_runner()
    before = state(loaded)
    result = runner.invoke(args=["shares", "iam", "--what-if", "+853,-638", "--on", "2026-01-01"])
    assert result.exit_code == 0, result.output
    assert "Turku" in result.output and "520000.00" in result.output
    data = json.loads(runner.invoke(args=["shares", "iam", "--what-if=+853,-638", "--format", "json"]).output)
    assert data[0].keys() == {"city", "name", "before", "after", "difference"}
    assert sum(int(d["after"].replace(".", "")) for d in data) == 52_000_000
    assert {d["city"]: d["after"] for d in data}["638"] == "12777.78"  # it keeps 2025 and 2026
    csv = runner.invoke(args=["shares", "iam", "--what-if=+853", "--format", "csv"]).output.splitlines()
    assert csv[0] == "city,name,before,after,difference" and len(csv) == 19
    assert state(loaded) == before


@pytest.mark.parametrize("spec", ["+638", "-853", "+999", "286", ""])
def test_cli_what_if_refuses(loaded, spec) -> None:
    result = loaded.test_cli_runner().invoke(args=["shares", "iam", f"--what-if={spec}"])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_cli_explain(loaded) -> None:
    result = loaded.test_cli_runner().invoke(args=["shares", "iam", "--explain", "638"])
    assert result.exit_code == 0, result.output
    assert "[rounding]" in result.output and "Ledger entries for Porvoo (638)" in result.output
    assert "Consortium agreement signed" in result.output
    assert loaded.test_cli_runner().invoke(args=["shares", "iam", "--explain", "999"]).exit_code == 2


# -- pages -----------------------------------------------------------------------------------------
def test_what_if_page(as_lead, loaded) -> None:
    assert "/p/iam/what-if" in as_lead.get("/p/iam/").get_data(as_text=True)
    form = as_lead.get("/p/iam/what-if")
    assert form.status_code == 200 and 'name="join"' in form.get_data(as_text=True)
    before = state(loaded)
    response = as_lead.get("/p/iam/what-if?join=853&join=837&leave=638&on=2026-01-01")
    assert response.status_code == 200
    rows = table(response.get_data(as_text=True), "what-if")
    assert len(rows) == 19 and cents(rows["638"][3]) == 1_210_526  # 2025 and 2026 among 19: 230,000.00 / 19
    assert sum(cents(cells[3]) for cells in rows.values()) == 52_000_000
    assert state(loaded) == before
    refused = as_lead.get("/p/iam/what-if?join=638")
    assert refused.status_code == 409 and "already a member" in refused.get_data(as_text=True)
    assert as_lead.get("/p/iam/what-if?join=853&on=nonsense").status_code == 400


def test_contact_runs_what_if_but_accountant_does_not(as_contact, loaded, client) -> None:
    before = state(loaded)
    response = as_contact.get("/p/iam/what-if?leave=638&on=2026-01-01")
    assert response.status_code == 200 and len(table(response.get_data(as_text=True), "what-if")) == 17
    assert state(loaded) == before
    login(client, loaded, sub="acc", role="accountant", city="109")
    assert client.get("/p/iam/what-if").status_code == 403


def test_explain_page(as_contact, loaded) -> None:
    assert "/p/iam/cities/638/explain" in as_contact.get("/p/iam/cities/638").get_data(as_text=True)
    response = as_contact.get("/p/iam/cities/638/explain")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-kind="rounding"' in html and 'data-testid="entries"' in html
    assert 'data-testid="mismatch"' not in html
    with loaded.app_context():
        share = changes.journal_for(changes.get_project("iam")).assessed()["638"]
    from ledger.money import fmt_human
    assert fmt_human(share) in html
    assert as_contact.get("/p/iam/cities/109/explain").status_code == 403


def test_lead_explains_any_city(as_lead) -> None:
    assert as_lead.get("/p/iam/cities/109/explain").status_code == 200
    assert as_lead.get("/p/iam/cities/638/explain").status_code == 200

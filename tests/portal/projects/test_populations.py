"""Population figures: the bundled year, and another year's official figures loaded from a CSV
file, all or nothing, so that a rule can freeze the year its agreement names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.projects.models import PopulationFigure

GOOD = "code;population;name\n020;16 500;Akaa\n638;52 000;Porvoo\n753;23 100;Sipoo\n"


def figures(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(PopulationFigure)) or 0


def write(tmp_path: Path, text: str, name: str = "vaesto.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_loaded_year_can_be_frozen_by_a_rule(runner, app, tmp_path: Path) -> None:
    assert runner.invoke(args=["populations", "list"]).output.splitlines() == ["2025  bundled"]
    result = runner.invoke(args=["populations", "import", "2026", write(tmp_path, GOOD), "--source", "Statistics Finland 2026"])
    assert result.exit_code == 0 and "loaded 3 municipalities' 2026 populations (91,600 residents)" in result.output
    assert "2026  loaded" in runner.invoke(args=["populations", "list"]).output
    assert runner.invoke(args=["project", "create", "pop", "--name", "P", "--budget", "91600.00", "--start", "2026-01-01",
                               "--end", "2026-12-31", "--rule", "population", "--population-year", "2026"]).exit_code == 0
    joined = runner.invoke(args=["member", "add", "pop", "--city", "020", "--city", "638", "--city", "753", "--joined", "2026-01-01"])
    assert joined.exit_code == 0, joined.output
    listed = runner.invoke(args=["shares", "pop", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    shares = {d["city"]: d["share"] for d in json.loads(listed.output)}
    assert shares == {"020": "16500.00", "638": "52000.00", "753": "23100.00"}  # one euro per resident of the loaded year
    missing = runner.invoke(args=["member", "add", "pop", "--city", "091", "--joined", "2026-06-01"])
    assert missing.exit_code == 2 and "the loaded 2026 figures have no population for 091" in missing.output


@pytest.mark.parametrize("text, message", [
    ("code,population\n020,16500\n999,10\n", "line 3: "),
    ("code,population\n020,16.5\n", "line 2: the population '16.5' of 020 is not a whole number"),
    ("code,population\n020,١٢٣\n", "is not a whole number"),
    ("code,population\n020,-5\n", "is not a whole number"),
    ("code,population\n020,1\n20,2\n", "line 3: 020 is given twice"),
    ("kunta,asukkaat\n020,1\n", "the file needs the columns code, population"),
    ("code,population\n", "the population file has no rows"),
])
def test_a_bad_file_is_refused_whole_and_loads_nothing(runner, app, tmp_path: Path, text: str, message: str) -> None:
    result = runner.invoke(args=["populations", "import", "2026", write(tmp_path, text)])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output, result.output
    assert figures(app) == 0


def test_a_bundled_or_loaded_year_is_not_replaced(runner, app, tmp_path: Path) -> None:
    bundled = runner.invoke(args=["populations", "import", "2025", write(tmp_path, GOOD)])
    assert bundled.exit_code == 2 and "the 2025 figures are bundled with the portal and cannot be replaced" in bundled.output
    assert runner.invoke(args=["populations", "import", "2026", write(tmp_path, GOOD)]).exit_code == 0
    again = runner.invoke(args=["populations", "import", "2026", write(tmp_path, GOOD)])
    assert again.exit_code == 2 and "figures for 2026 are loaded already" in again.output and figures(app) == 3
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("code,population\n020,1\n# Hämeenlinna\n".encode("latin-1"))
    assert "is not UTF-8 text" in runner.invoke(args=["populations", "import", "2027", str(latin1)]).output


def test_the_lines_of_a_refused_file_are_worded_in_the_pages_language(app) -> None:
    from ledger.errors import InvalidInput
    from portal.projects import populations
    from portal.refusals import details_of
    with app.app_context(), pytest.raises(InvalidInput) as caught:
        populations.load(2026, "code,population\n020,16.5\n999,10\n020,1\n20,2\n", source="test", actor="test")
    english = ["line 2: the population '16.5' of 020 is not a whole number", "line 3: unknown municipality code 999",
               "line 5: 020 is given twice"]
    assert caught.value.details == english and details_of(caught.value) == english
    with app.test_request_context("/", headers={"Accept-Language": "fi"}):
        assert details_of(caught.value) == ["rivi 2: kunnan 020 asukasluku '16.5' ei ole kokonaisluku",
                                            "rivi 3: tuntematon kuntanumero 999", "rivi 5: 020 on annettu kahdesti"]
    with app.test_request_context("/", headers={"Accept-Language": "sv"}):
        assert details_of(caught.value) == ["rad 2: invånarantalet '16.5' för 020 är inte ett heltal",
                                            "rad 3: okänt kommunnummer 999", "rad 5: 020 anges två gånger"]

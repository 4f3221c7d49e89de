"""The city's dashboard (issue 12): what it pays per budget year (share, funding, direct charges, total)
as a table and an accessible SVG chart, and a share history in the order of postings that agrees
with every change's own page."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from ledger import funders as F
from portal.costs import services as costs
from portal.projects import dashboard
from portal.projects import services as projects
from portal.projects.ledgers import books
from tests.common.web import cents, table

D = dt.date
HISTORY_ROW = re.compile(r'<tr data-seq="(\d+)" data-change="(\d+)">(.*?)</tr>', re.S)


def _section(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    return html[start: html.index("</table>", start)]


def _cell(row: str, col: str) -> int:
    return cents(row.split(f'data-col="{col}">')[1].split("</td>")[0])


@pytest.fixture
def changed(loaded):
    """After the demo's joins: a charge to Porvoo, a backdated join (Turku from 1.9.2025, posted after
    the join of 1.1.2026), Lohja's withdrawal and a budget change."""
    with loaded.app_context():
        costs.add_charge("iam", city="638", amount=50_000, date=D(2026, 3, 1), text="Porvoo's training", actor="test")
        projects.add_members("iam", ["853"], joined=D(2025, 9, 1), decision="Turku KV 1/2025", actor="test")
        projects.withdraw_member("iam", "444", left=D(2027, 12, 31), decision="Lohja KV 3/2027", actor="test")
        costs.set_budget("iam", year=2028, amount=12_000_000, actor="test")
    return loaded


def test_history_follows_postings_and_agrees_with_every_change_page(as_lead, changed) -> None:
    html = as_lead.get("/p/iam/cities/638").get_data(as_text=True)
    rows = HISTORY_ROW.findall(_section(html, "history"))
    assert len(rows) >= 6
    seqs = [int(seq) for seq, _, _ in rows]
    assert seqs == sorted(seqs)
    dates = [tuple(map(int, reversed(re.search(r"<td>([\d.]+)</td>", row).group(1).split(".")))) for _, _, row in rows]
    assert dates != sorted(dates)  # the backdated join comes where it was posted, not where it is dated
    for _, event_id, row in rows:
        page = as_lead.get(f"/p/iam/changes/{event_id}").get_data(as_text=True)
        after = table(page, "change-table")["638"][3]
        assert _cell(row, "share") == cents(after), (event_id, after)
    with changed.app_context():
        project = projects.get_project("iam")
        assert _cell(rows[-1][2], "share") == projects.journal_for(project).assessed()["638"]
    charges = _section(html, "charges")
    assert "Porvoo&#39;s training" in charges or "Porvoo's training" in charges
    assert "training" not in _section(html, "history")  # the charge is not a row of the share's history
    assert _cell(charges, "charged") == 50_000


def test_each_year_shows_share_funding_charges_and_total(as_lead, loaded) -> None:
    with loaded.app_context():
        costs.add_grant("iam", year=2026, amount=1_700_000, text="EU Digital", actor="test")  # 1 000,00 € each of 17
        costs.add_grant("iam", year=2027, amount=30_000, text="Porvoo's own grant", target="638", actor="test")
        costs.add_charge("iam", city="638", amount=50_000, date=D(2026, 3, 1), text="training", actor="test")
        project = projects.get_project("iam")
        lines = projects.shares(project)
        reliefs = {line.code: {r.year: r.funding for r in dashboard.years(project, line.code)} for line in lines}
        ledger_funding = F.ledger_cells(books(project))
        for year in (2026, 2027):  # every member's part sums to what the #funding entries hold for the year
            assert sum(r.get(year, 0) for r in reliefs.values()) == sum(v for (y, _), v in ledger_funding.items() if y == year)
    assert reliefs["638"][2026] == 100_000 and reliefs["638"][2027] == 30_000 and reliefs["286"].get(2027, 0) == 0
    html = as_lead.get("/p/iam/cities/638").get_data(as_text=True)
    years = _section(html, "years")
    row = years.split('data-year="2026"')[1].split("</tr>")[0]
    assert _cell(row, "funding") == -100_000 and _cell(row, "charged") == 50_000
    assert _cell(row, "total") == _cell(row, "share") + 50_000
    total = cents(html.split('data-testid="years-total">')[1].split("<")[0])
    with loaded.app_context():
        line = next(s for s in projects.shares(projects.get_project("iam")) if s.code == "638")
    assert total == line.total


def test_charts_are_accessible_without_javascript(as_lead, loaded) -> None:
    with loaded.app_context():
        costs.add_charge("iam", city="638", amount=50_000, date=D(2026, 3, 1), text="training", actor="test")
        costs.add_grant("iam", year=2026, amount=1_700_000, text="EU Digital", actor="test")
    html = as_lead.get("/p/iam/cities/638").get_data(as_text=True)
    assert "<script" not in html.split("<main", 1)[1]
    svgs = re.findall(r"<svg[^>]*>.*?</svg>", html, re.S)
    charts = [s for s in svgs if 'role="img"' in s]
    assert len(charts) == 2
    ids = re.findall(r'id="([^"]+)"', html)
    assert len(ids) == len(set(ids))  # two charts, no id twice
    for svg in charts:
        labelled = re.search(r'aria-labelledby="([^"]+)"', svg).group(1).split()
        assert all(f'id="{i}"' in svg for i in labelled) and "<title" in svg and "<desc" in svg
    stacked = next(s for s in charts if "years-chart" in s)
    # not colour alone: each part has its own pattern and its own title, and the legend names them in words
    assert {'data-part="solid"', 'data-part="hatched"', 'data-part="outline"'} <= set(re.findall(r'data-part="\w+"', stacked))
    assert "Its direct charges" in stacked and "Taken off by funding" in stacked and "<title>Its direct charges: 500,00" in stacked


def test_finnish_dashboard(client, loaded) -> None:
    from tests.common.web import login
    login(client, loaded, sub="porvoo", role="contact", city="638")
    html = client.get("/p/iam/cities/638", headers={"Accept-Language": "fi"}).get_data(as_text=True)
    assert "Osuus" in html and "Budget year" not in html and "Taken off by funding" not in html

"""Withdrawn members that were assessed for past years stay listed, marked as withdrawn with their
leave date, on every page and in the API (issue 12): the project page, the city's page and its
explanation, the shares API, the withdrawal's own page and the pages of later changes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.costs import services as costs
from portal.extensions import db
from portal.projects import services as projects
from tests.common.web import cents, login, table

D = dt.date
MARK = "withdrawn 31.12.2026"


@pytest.fixture
def withdrawn(loaded):
    """Lohja (444, joined 1.1.2026) withdraws on 31.12.2026: under whole-term it keeps 2025 and 2026; then a budget change."""
    with loaded.app_context():
        projects.withdraw_member("iam", "444", left=D(2026, 12, 31), decision="Lohja KV 3/2026", actor="test")
        costs.set_budget("iam", year=2028, amount=12_000_000, actor="test")
        events = db.session.execute(select(AuditEvent.id).where(AuditEvent.action.in_(["member-withdrawn", "budget-set"]))
                                    .order_by(AuditEvent.id)).scalars().all()
    return loaded, events


def _row(html: str, testid: str, code: str) -> str:
    body = html.split(f'data-testid="{testid}"')[1].split("</table>")[0]
    return re.search(rf'<tr[^>]*data-city="{code}"[^>]*>.*?</tr>', body, re.S).group(0)


def test_every_page_of_the_lead_marks_the_withdrawn_member(as_lead, withdrawn) -> None:
    _, events = withdrawn
    project = as_lead.get("/p/iam/").get_data(as_text=True)
    row = _row(project, "members", "444")
    assert 'data-withdrawn="2026-12-31"' in row and MARK in row and cents(table(project, "members")["444"][4]) > 0
    for event_id in events:  # the withdrawal's own page and a later change's
        page = as_lead.get(f"/p/iam/changes/{event_id}").get_data(as_text=True)
        row = _row(page, "change-table", "444")
        assert 'data-withdrawn="2026-12-31"' in row and MARK in row and cents(table(page, "change-table")["444"][3]) > 0
        assert 'data-withdrawn' not in _row(page, "change-table", "638")
    city = as_lead.get("/p/iam/cities/444").get_data(as_text=True)
    assert 'data-testid="withdrawn"' in city and MARK in city
    assert {'data-year="2025"', 'data-year="2026"'} <= set(re.findall(r'data-year="\d+"', city.split('data-testid="years"')[1]))
    explain = as_lead.get("/p/iam/cities/444/explain").get_data(as_text=True)
    assert 'data-testid="withdrawn"' in explain and MARK in explain


def test_the_api_and_another_city_see_it_withdrawn(client, withdrawn) -> None:
    app, _ = withdrawn
    login(client, app, sub="porvoo", role="contact", city="638")
    lohja = next(row for row in client.get("/api/v1/projects/iam/shares").get_json() if row["city"] == "444")
    assert lohja["withdrawn"] is True and lohja["left"] == "2026-12-31" and lohja["share"] != "0.00"
    assert set(lohja["years"]) >= {"2025", "2026"} and lohja["charged"] is None  # another city's own costs stay its own
    page = client.get("/p/iam/").get_data(as_text=True)
    assert MARK in _row(page, "members", "444")
    finnish = client.get("/p/iam/", headers={"Accept-Language": "fi"}).get_data(as_text=True)
    assert "eronnut 31.12.2026" in _row(finnish, "members", "444")


@pytest.fixture
def owing(loaded):
    """Under "a leaver stops sharing at once", Porvoo is invoiced for 2026 and then withdraws: its share
    of every open year is now zero, but the invoice of 2026 is still open."""
    from portal.billing import issuing
    from tests.common.billing import with_seller
    with loaded.app_context():
        with_seller()
        costs.set_settings("iam", leaver="stops", actor="test")
        issuing.issue("iam", year=2026, date=D(2026, 1, 15), actor="acc")
        projects.withdraw_member("iam", "638", left=D(2026, 3, 31), decision="Porvoo KV 2/2026", actor="test")
    return loaded


def test_the_city_page_of_a_member_that_still_owes_marks_it_withdrawn(as_lead, owing) -> None:
    html = as_lead.get("/p/iam/cities/638").get_data(as_text=True)
    assert 'data-testid="withdrawn"' in html and "withdrawn 31.3.2026" in html
    billed = html.split('data-testid="billed"')[1].split("</table>")[0]
    assert 'data-year="2026"' in billed and cents(billed.split("<td")[-1].split(">", 1)[1]) > 0  # still open


def test_a_member_that_still_owes_stays_on_the_project_page_and_in_the_api(as_lead, owing) -> None:
    api = as_lead.get("/api/v1/projects/iam/shares").get_json()
    assert any(row["city"] == "638" and row["withdrawn"] for row in api)
    assert 'data-city="638"' in as_lead.get("/p/iam/").get_data(as_text=True)

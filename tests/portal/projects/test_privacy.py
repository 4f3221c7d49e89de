"""Privacy between cities (``portal.projects.privacy``): shares are open to every member; a city's direct
charges, joining fees, catch-ups and targeted funding are its own. A route by route check that Porvoo's
contact sees none of Kouvola's (286) and Lahti's (853, a late joiner), and that the lead sees them all."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from ledger.project import KINDS
from portal.accounts.models import User
from portal.audit import AuditEvent
from portal.billing import issuing
from portal.billing.payments import add_payment
from portal.costs import services as costs
from portal.documents import services as documents
from portal.extensions import db
from portal.notifications.models import NotificationEvent
from portal.projects import services as projects
from portal.projects.models import ProjectChange
from tests.common.billing import with_seller
from tests.common.pdf import make_pdf
from tests.common.web import cents, login, strict_json

D = dt.date
SECRETS = ("B-SECRET-TABLETS", "B-SECRET-GRANT", "B-SECRET-SUBSIDY", "4\u00a0321,00", "4321.00", "7\u00a0654,00", "7654.00")


@pytest.fixture
def private(loaded):
    """Kouvola's own charge, targeted grant and subsidy (with hours), joining fees for all, Lahti's catch-up."""
    return loaded, make_secrets(loaded)


def make_secrets(loaded) -> dict[str, int]:
    """What :func:`private` makes; the ids of its audit records by action."""
    with loaded.app_context():
        costs.add_charge("iam", city="286", amount=432_100, date=D(2026, 3, 1), text="B-SECRET-TABLETS", actor="test")
        costs.add_grant("iam", year=2026, amount=765_400, text="B-SECRET-GRANT", target="286", actor="test")
        costs.set_subsidy("iam", key="b-only", rate=4_500, text="B-SECRET-SUBSIDY", target="286", actor="test")
        costs.log_hours("iam", key="b-only", rows=[{"person": "B-SECRET-PERSON", "date": "2026-03-02", "task": "dev",
                                                    "hours": "7.5"}], actor="test")
        costs.add_charge("iam", city="638", amount=10_000, date=D(2026, 3, 1), text="OWN-PORVOO-CHARGE", actor="test")
        costs.set_settings("iam", joiner="catch-up", actor="test")
        costs.close_year("iam", 2025, actor="test")
        costs.set_joining_fee("iam", tiers=[(None, 100)], population_year=2025, actor="test")
        projects.add_members("iam", ["853"], joined=D(2026, 3, 1), decision="Lahti joins", actor="test")
        events = {e.action: e.id for e in db.session.execute(select(AuditEvent).where(AuditEvent.project_id.is_not(None))
                                                              .order_by(AuditEvent.id)).scalars()}
        state = projects.state_for(projects.get_project("iam"))
        assert state.catch_ups and any(c.code == "853" for c in state.catch_ups)
    return events


def as_role(client, app, role: str) -> None:
    login(client, app, sub=role, role=role, city="638" if role == "contact" else "109")


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


PAGES = ["/p/iam/", "/p/iam/charges", "/p/iam/funding", "/p/iam/cities/638/explain", "/p/iam/what-if?join=091&on=2026-07-01",
         "/p/iam/rules", "/p/iam/budget", "/api/v1/projects/iam/costs", "/api/v1/projects/iam/shares", "/",
         "/p/iam/cities/638", "/p/iam/statement", "/p/iam/agreement", "/p/iam/invoices", "/p/iam/invoices.csv",
         "/api/v1/projects/iam/invoices", "/api/v1/projects/iam/documents"]
LEAD_SEES = {"/p/iam/", "/p/iam/charges", "/p/iam/funding", "/api/v1/projects/iam/costs"}


@pytest.mark.parametrize("backend", ["sqlite"])  # the same code on both databases: test_every_route_on_either_database
@pytest.mark.parametrize("url", PAGES)
def test_a_route_shows_a_contact_no_other_citys_own_costs_and_the_lead_every_citys(client, private, url: str) -> None:
    app, _ = private
    as_role(client, app, "contact")
    assert [s for s in SECRETS if s in page(client, url)] == []
    if url in LEAD_SEES:
        as_role(client, app, "lead")
        assert any(s in page(client, url) for s in SECRETS)


def test_every_route_on_either_database(client, private) -> None:
    app, _ = private
    as_role(client, app, "contact")
    for url in PAGES:
        assert [s for s in SECRETS if s in page(client, url)] == [], url
    as_role(client, app, "lead")
    assert any(s in page(client, "/p/iam/cities/286/explain") for s in SECRETS)


def test_the_costs_api_gives_a_contact_its_own_charges_and_general_funding_only(client, private) -> None:
    app, _ = private
    as_role(client, app, "contact")
    body = strict_json(client.get("/api/v1/projects/iam/costs"))
    assert {c["city"] for c in body["charges"]} == {"638"} and body["catch_ups"] == []
    assert all(g["city"] in (None, "638") for g in body["grants"]) and all(s["city"] in (None, "638") for s in body["subsidies"])
    assert body["joining_fee"]["tiers"] == [{"until": None, "per_resident": "1.00"}]  # the fee itself is the project's


def test_the_shares_api_shows_other_cities_shares_but_not_their_charges(client, private) -> None:
    app, _ = private
    as_role(client, app, "contact")
    rows = {r["city"]: r for r in strict_json(client.get("/api/v1/projects/iam/shares"))}
    assert rows["286"]["share"] and rows["286"]["charged"] is None and rows["286"]["total"] is None
    assert rows["638"]["charged"] == "100.00" and rows["638"]["total"] is not None
    assert rows["853"]["share"] and rows["853"]["charged"] is None


def test_the_members_table_marks_other_cities_charges_as_not_shown(client, private) -> None:
    app, _ = private
    as_role(client, app, "contact")
    html = page(client, "/p/iam/")
    kouvola = html[html.index('data-city="286"'):]
    kouvola = kouvola[:kouvola.index("</tr>")]
    assert "not shown" in kouvola and 'data-testid="total-charged"><span class="muted">not shown' in html


def test_other_cities_private_changes_are_no_page_and_not_in_the_recent_changes(client, private) -> None:
    app, _ = private
    as_role(client, app, "contact")
    with app.app_context():
        ids = {e.action + ":" + (e.details["op"]["params"].get("city") or e.details["op"]["params"].get("target")
                                 or e.details["op"]["params"].get("key") or ""): e.id
               for e in db.session.execute(select(AuditEvent).where(AuditEvent.project_id.is_not(None))).scalars()
               if "op" in e.details}
    for key in ("charge-added:286", "grant-added:286", "subsidy-set:286", "hours-logged:b-only"):
        assert client.get(f"/p/iam/changes/{ids[key]}").status_code == 404, key
    assert client.get(f"/p/iam/changes/{ids['charge-added:638']}").status_code == 200
    recent = page(client, "/p/iam/")
    assert "Kouvola (286) charged" not in recent and "OWN-PORVOO-CHARGE" in recent


def test_a_shared_change_is_shown_without_other_cities_charges(client, private) -> None:
    app, events = private
    for action, other in (("joining-fee-set", "286"), ("members-added", "853")):
        as_role(client, app, "contact")
        html = page(client, f"/p/iam/changes/{events[action]}")
        charges = html[html.index('data-testid="change-charges"'):] if 'data-testid="change-charges"' in html else ""
        charges = charges[:charges.index("</table>")] if charges else ""
        assert 'data-city="286"' not in charges and 'data-city="853"' not in charges, action
        as_role(client, app, "lead")
        lead = page(client, f"/p/iam/changes/{events[action]}")
        assert f'data-city="{other}"' in lead[lead.index('data-testid="change-charges"'):], action


def test_a_contact_cannot_reach_another_citys_pages_or_the_ledger(client, private) -> None:
    app, _ = private
    as_role(client, app, "contact")
    for url in ("/p/iam/cities/286", "/p/iam/cities/286/explain", "/p/iam/cities/853/explain", "/p/iam/export.beancount",
                "/p/iam/query", "/api/v1/projects/iam/query?q=PRINT"):
        assert client.get(url).status_code == 403, url


def _funding_table(html: str) -> tuple[list[int], int]:
    """The amounts of a change page's budget-to-shares table (the budget, then each funding taken off, shown as
    negative), and its total."""
    table = html.split('data-testid="budget-funding"')[1].split("</table>")[0]
    body, foot = table.split("<tfoot>")
    return [cents(td.split(">", 1)[1].split("<")[0]) for td in body.split('<td class="num"')[1:]], \
        cents(foot.split('data-testid="shared">')[1].split("<")[0])


def test_no_change_page_a_contact_can_open_shows_another_citys_own_costs(client, private) -> None:
    """Every recorded change, whole page: the funding targeted to Kouvola is one unnamed sum, and the table still adds up."""
    app, events = private
    with app.app_context():
        ids = [e.id for e in db.session.execute(select(AuditEvent).where(AuditEvent.project_id.is_not(None))).scalars()]
    as_role(client, app, "contact")
    shown = [i for i in ids if client.get(f"/p/iam/changes/{i}").status_code == 200]
    assert events["members-added"] in shown and events["charge-added"] in shown
    for event_id in shown:
        assert [s for s in SECRETS if s in page(client, f"/p/iam/changes/{event_id}")] == [], event_id
    contact = page(client, f"/p/iam/changes/{events['members-added']}")
    assert 'data-funding="others"' in contact and "B-SECRET" not in contact
    amounts, shared = _funding_table(contact)
    assert amounts[0] + sum(amounts[1:]) == shared and sum(amounts[1:]) == -(765_400 + 33_750)  # the grant, 7.5 h × 45 €
    as_role(client, app, "lead")
    lead = page(client, f"/p/iam/changes/{events['members-added']}")
    assert "B-SECRET-GRANT" in lead and 'data-funding="others"' not in lead
    lead_amounts, lead_shared = _funding_table(lead)
    assert lead_shared == shared and lead_amounts[0] == amounts[0] and sum(lead_amounts[1:]) == sum(amounts[1:])


def test_no_notification_tells_a_contact_of_another_citys_own_costs(loaded) -> None:
    """The share-changed emails go to the cities whose share moved; a change about one city's own cost to that city only."""
    with loaded.app_context():
        ids = {}
        for sub, city in (("porvoo", "638"), ("kouvola", "286")):
            user = User(issuer="https://idp.test", sub=sub, name=sub, email=f"{sub}@example.fi", city_code=city, status="active")
            user.roles = {"contact"}
            db.session.add(user)
            db.session.commit()
            ids[city] = user.id
    make_secrets(loaded)
    with loaded.app_context():
        told = {city: [e.payload for e in db.session.execute(select(NotificationEvent).where(NotificationEvent.user_id == uid)).scalars()]
                for city, uid in ids.items()}
    assert told["638"] and [s for s in SECRETS if s in repr(told["638"])] == [] and "B-SECRET" not in repr(told["638"])
    assert all(p["before"] != p["after"] and p["city"] == "638" for p in told["638"])
    assert "B-SECRET-GRANT" in repr(told["286"])  # Kouvola hears of its own grant


def test_the_bookkeepings_records_and_other_audit_records_are_no_change_page_for_a_contact(client, private) -> None:
    """Issued invoices and payments name cities and sum several cities' invoices: a contact sees its own on its
    invoices and statement, not as changes; nor does it open an audit record that is no change (a billing setting)."""
    app, _ = private
    with app.app_context():
        with_seller()
        issuing.issue("iam", year=2026, actor="t", date=D(2026, 2, 1), terms=30)
        add_payment("iam", city="286", cents=432_100, date=D(2026, 2, 20), actor="t")
        records = list(db.session.execute(select(AuditEvent).where(AuditEvent.project_id.is_not(None))).scalars())
        books = {e.action: e.id for e in records if e.action in ("invoices-issued", "payment-added")}
        other = [e.id for e in records if e.action not in KINDS]
    assert set(books) == {"invoices-issued", "payment-added"} and other
    as_role(client, app, "contact")
    for event_id in [*books.values(), *other]:
        assert client.get(f"/p/iam/changes/{event_id}").status_code == 404, event_id
    recent = page(client, "/p/iam/")
    assert "invoice(s)" not in recent and "payment of" not in recent
    for event_id in books.values():
        assert f"/p/iam/changes/{event_id}\"" not in page(client, "/p/iam/cities/638")
    as_role(client, app, "accountant")
    for event_id in [*books.values(), *other]:
        assert client.get(f"/p/iam/changes/{event_id}").status_code == 200, event_id


def test_a_document_of_another_citys_own_change_is_not_listed_served_or_counted_for_a_contact(client, private) -> None:
    app, _ = private
    with app.app_context():
        project = projects.get_project("iam")
        grant = db.session.execute(select(ProjectChange).where(ProjectChange.project_id == project.id,
                                                                ProjectChange.kind == "grant-added")).scalar_one()
        secret = documents.attach("iam", make_pdf(title="B-SECRET-DECISION"), filename="b-secret.pdf",
                                  title="B-SECRET-DECISION", kind="decision", actor="test", change=grant.seq).id
        shared = documents.attach("iam", make_pdf(title="Everyone's"), filename="shared.pdf", title="SHARED-DECISION",
                                  kind="decision", actor="test").id
    as_role(client, app, "contact")
    assert "B-SECRET-DECISION" not in page(client, "/p/iam/") and "SHARED-DECISION" in page(client, "/p/iam/")
    assert [d["id"] for d in strict_json(client.get("/api/v1/projects/iam/documents"))] == [shared]
    assert client.get(f"/p/iam/documents/{secret}").status_code == 404
    assert client.get(f"/p/iam/documents/{shared}").status_code == 200
    as_role(client, app, "lead")
    assert "B-SECRET-DECISION" in page(client, "/p/iam/") and client.get(f"/p/iam/documents/{secret}").status_code == 200
    assert {d["id"] for d in strict_json(client.get("/api/v1/projects/iam/documents"))} == {secret, shared}


def test_the_explanation_gives_a_contact_no_total_that_holds_another_citys_charges(client, private) -> None:
    """Kouvola's total over the term is its share plus its charge: less its open share, the charge."""
    app, _ = private
    as_role(client, app, "contact")
    html = page(client, "/p/iam/cities/638/explain")
    assert "Assessed over the term" not in html and "Porvoo over the term" in html
    as_role(client, app, "lead")
    assert "Assessed over the term" in page(client, "/p/iam/cities/638/explain")

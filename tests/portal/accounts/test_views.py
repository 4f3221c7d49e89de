"""The /admin pages: approving pending users, disabling them, invitations; who may do what.

Real database, CSRF on; the end-to-end tests log in through the development provider, configured
here to vouch for Porvoo (638) as a city's own provider would.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import select

from portal.accounts import services as access
from portal.accounts import services as users
from portal.accounts.models import Invitation, User
from portal.audit import AuditEvent
from portal.extensions import db
from tests.common.devidp import current_user, issuer, log_in
from tests.common.web import csrf, login

ISS = "https://idp.test"


def pending(app, sub: str, city: str | None, email: str = "") -> int:
    """Someone unknown logs in through a provider vouching for ``city``: a pending user's id."""
    with app.app_context():
        claims = {"sub": sub, "name": sub.title(), "email": email or f"{sub}@example.org", "email_verified": True}
        return access.resolve_user(provider="p", issuer=ISS, sub=sub, claims=claims, city=city, ip=None).id


def get_user(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def actions(app) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
        db.session.expunge_all()
        return rows


@pytest.fixture
def lead(app):
    client = app.test_client()
    login(client, app, sub="lead", role="lead", city="638")
    return client


@pytest.fixture
def admin(app):
    client = app.test_client()
    login(client, app, sub="root", role="admin")
    return client


def approve(client, user_id: int, roles: list[str], **extra: str):
    return client.post(f"/admin/users/{user_id}", data={"csrf_token": csrf(client, "/admin/users"), "roles": roles, **extra})


# -- who sees what ---------------------------------------------------------------------------------
def test_only_leads_and_admins(app) -> None:
    client = app.test_client()
    assert client.get("/admin/users").status_code == 302
    login(client, app, sub="porvoo", role="contact", city="638")
    for url in ("/admin/users", "/admin/invitations"):
        assert client.get(url).status_code == 403
    assert 'data-testid="nav-users"' not in client.get("/").get_data(as_text=True)


def test_lead_sees_own_city_pending_first(app, lead) -> None:
    anna, bert, nobody = pending(app, "anna", "638"), pending(app, "bert", "091"), pending(app, "nobody", None)
    html = lead.get("/admin/users").get_data(as_text=True)
    assert 'data-testid="nav-users"' in html
    assert html.index('data-testid="users-pending"') < html.index('data-testid="users-active"')
    pending_rows = html[html.index('data-testid="users-pending"'): html.index('data-testid="users-active"')]
    assert f'data-user="{anna}"' in pending_rows and "anna@example.org" in pending_rows and ISS in pending_rows
    assert f'data-user="{bert}"' not in html and f'data-user="{nobody}"' not in html
    assert f"/admin/users/{anna}" in html


def test_admin_sees_every_city(app, admin) -> None:
    ids = [pending(app, "anna", "638"), pending(app, "bert", "091"), pending(app, "nobody", None)]
    html = admin.get("/admin/users").get_data(as_text=True)
    assert all(f'data-user="{i}"' in html for i in ids)


# -- approving -------------------------------------------------------------------------------------
def test_lead_approves_a_pending_user_of_their_city(app, lead) -> None:
    anna = pending(app, "anna", "638")
    page = lead.get(f"/admin/users/{anna}").get_data(as_text=True)
    assert 'type="checkbox"' in page and 'value="admin"' not in page and 'name="city"' not in page
    assert "required" not in page.split('id="roles"', 1)[1].split("</ul>", 1)[0]  # a browser would demand every box
    response = approve(lead, anna, ["contact", "accountant"])
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/users")
    user = get_user(app, anna)
    assert (user.status, user.roles, user.city_code) == ("active", {"contact", "accountant"}, "638")
    event = actions(app)[-1]
    assert event.action == "user-approved" and event.actor.endswith("<lead@https://idp.test>")
    # The approved user now has a session.
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = str(anna), True
    assert client.get("/").status_code == 200


def test_lead_of_another_city_cannot_approve(app) -> None:
    anna = pending(app, "anna", "638")
    other = app.test_client()
    login(other, app, sub="helsinki", role="lead", city="091")
    assert other.get(f"/admin/users/{anna}").status_code == 403
    assert approve(other, anna, ["contact"]).status_code == 403
    assert get_user(app, anna).status == "pending"


def test_approval_cannot_change_the_providers_city(app, lead, admin) -> None:
    anna = pending(app, "anna", "638")
    assert approve(admin, anna, ["contact"], city="091").status_code == 302  # no city field: ignored
    assert get_user(app, anna).city_code == "638"
    assert approve(lead, anna, ["lead"], city="091").status_code == 302
    assert get_user(app, anna).city_code == "638" and get_user(app, anna).roles == {"lead"}


def test_only_an_admin_gives_a_city_when_the_provider_vouches_for_none(app, lead, admin) -> None:
    nobody = pending(app, "nobody", None)
    assert lead.get(f"/admin/users/{nobody}").status_code == 403
    assert 'name="city"' in admin.get(f"/admin/users/{nobody}").get_data(as_text=True)
    refused = approve(admin, nobody, ["contact"])
    assert refused.status_code == 400 and "needs a city" in refused.get_data(as_text=True)
    assert approve(admin, nobody, ["contact"], city="638").status_code == 302
    assert get_user(app, nobody).city_code == "638"


def test_lead_cannot_grant_admin_nor_change_their_own_account(app, lead) -> None:
    anna = pending(app, "anna", "638")
    refused = approve(lead, anna, ["admin"])
    assert refused.status_code == 403 and "only an admin" in refused.get_data(as_text=True)
    assert get_user(app, anna).status == "pending"
    with app.app_context():
        me = users.find(ISS, "lead").id
    assert lead.get(f"/admin/users/{me}").status_code == 403
    assert approve(lead, me, ["lead", "accountant"]).status_code == 403
    token = csrf(lead, "/admin/users")
    assert lead.post(f"/admin/users/{me}/disable", data={"csrf_token": token}).status_code == 403
    assert approve(lead, anna, []).status_code == 400


# -- disabling -------------------------------------------------------------------------------------
def test_disabling_ends_the_users_sessions(app, lead) -> None:
    victim = app.test_client()
    login(victim, app, sub="anna", role="contact", city="638")
    assert victim.get("/").status_code == 200
    with app.app_context():
        anna = users.find(ISS, "anna").id
    assert lead.post(f"/admin/users/{anna}/disable").status_code == 400  # no CSRF token
    response = lead.post(f"/admin/users/{anna}/disable", data={"csrf_token": csrf(lead, "/admin/users")})
    assert response.status_code == 302
    assert get_user(app, anna).status == "disabled"
    gone = victim.get("/")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]
    assert victim.get("/api/v1/me").status_code == 401
    assert actions(app)[-1].action == "user-disabled"
    html = lead.get("/admin/users").get_data(as_text=True)
    assert f'/admin/users/{anna}/enable' in html
    lead.post(f"/admin/users/{anna}/enable", data={"csrf_token": csrf(lead, "/admin/users")})
    assert get_user(app, anna).status == "active" and get_user(app, anna).roles == {"contact"}


# -- invitations -----------------------------------------------------------------------------------
def invite(client, **data: str):
    return client.post("/admin/invitations", data={"csrf_token": csrf(client, "/admin/invitations"), **data})


def test_lead_invites_to_their_own_city(app, lead) -> None:
    page = lead.get("/admin/invitations").get_data(as_text=True)
    assert 'value="admin"' not in page and "<strong>638</strong>" in page
    assert invite(lead, email="Anna@Porvoo.fi", city="091", role="contact").status_code == 302
    with app.app_context():
        invitation = db.session.execute(select(Invitation)).scalar_one()
        assert (invitation.email, invitation.city_code, invitation.role) == ("anna@porvoo.fi", "638", "contact")
        assert invitation.invited_by.endswith("<lead@https://idp.test>")
    html = lead.get("/admin/invitations").get_data(as_text=True)
    assert "anna@porvoo.fi" in html and "open until" in html
    bad = invite(lead, email="not an address", role="contact")
    assert bad.status_code == 400 and "not an email address" in bad.get_data(as_text=True)
    assert invite(lead, email="x@porvoo.fi", role="admin").status_code == 403
    assert invite(lead, email="anna@porvoo.fi", role="lead").status_code == 409
    assert [e.action for e in actions(app)].count("invitation-created") == 1


def test_admin_invites_anywhere_and_revokes(app, admin, lead) -> None:
    assert invite(admin, email="h@hel.fi", city="091", role="admin").status_code == 302
    with app.app_context():
        hel = db.session.execute(select(Invitation)).scalar_one().id
    assert "h@hel.fi" not in lead.get("/admin/invitations").get_data(as_text=True)
    token = csrf(lead, "/admin/invitations")
    assert lead.post(f"/admin/invitations/{hel}/revoke", data={"csrf_token": token}).status_code == 403
    assert admin.post(f"/admin/invitations/{hel}/revoke").status_code == 400  # no CSRF token
    token = csrf(admin, "/admin/invitations")
    assert admin.post(f"/admin/invitations/{hel}/revoke", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert db.session.execute(select(Invitation)).first() is None
    assert actions(app)[-1].action == "invitation-revoked"


# -- end to end through the development provider ---------------------------------------------------
def vouch(server, city: str | None) -> None:
    """Configure the development provider to vouch for ``city`` (as a city's own provider does)."""
    state = server.app.extensions["portal.auth"]
    state.providers["dev"] = dataclasses.replace(state.providers["dev"], city=city)


def test_pending_user_approved_by_lead_then_logs_in(live_server) -> None:
    vouch(live_server, "638")
    s, answer = log_in(live_server, other_sub="newcomer")
    assert answer.status_code == 403 and "awaits approval" in answer.text
    assert current_user(s, live_server) is None
    with live_server.app.app_context():
        user = users.find(issuer(live_server), "newcomer")
        assert (user.status, user.city_code) == ("pending", "638")
        user_id = user.id
    lead = live_server.app.test_client()
    login(lead, live_server.app, sub="lead", role="lead", city="638")
    assert approve(lead, user_id, ["contact"]).status_code == 302
    _, landed = log_in(live_server, other_sub="newcomer", s=s)
    assert landed.status_code == 200 and "/login" not in landed.url
    assert current_user(s, live_server).startswith("newcomer · 638 · contact")


def test_invitation_binds_at_first_login_through_the_citys_provider(live_server) -> None:
    vouch(live_server, "638")
    with live_server.app.app_context():
        # The dev provider says porvoo-contact@example.org, verified; a typed subject's email is unverified.
        access.invite(email="porvoo-contact@example.org", city="638", role="contact", by=None, actor="test")
        access.invite(email="typed@example.org", city="638", role="contact", by=None, actor="test")
    s, landed = log_in(live_server, sub="porvoo-contact")
    assert landed.status_code == 200 and current_user(s, live_server).endswith("638 · contact")
    _, refused = log_in(live_server, other_sub="typed")
    assert refused.status_code == 403 and "awaits approval" in refused.text
    reasons = [e.details["reason"] for e in actions(live_server.app) if e.action == "invitation-not-bound"]
    assert reasons == ["invitation not bound: the provider does not say the email address is verified"]
    assert [e.action for e in actions(live_server.app)].count("invitation-bound") == 1


def test_invitation_does_not_bind_through_another_citys_provider(live_server) -> None:
    vouch(live_server, "091")
    with live_server.app.app_context():
        access.invite(email="porvoo-contact@example.org", city="638", role="contact", by=None, actor="test")
    _, answer = log_in(live_server, sub="porvoo-contact")
    assert answer.status_code == 403 and "awaits approval" in answer.text
    with live_server.app.app_context():
        assert access.is_open(db.session.execute(select(Invitation)).scalar_one())
        assert re.search("vouches for city 091", db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "invitation-not-bound")).scalar_one().details_json)

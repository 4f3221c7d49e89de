"""Who a login is (``portal.accounts.services``): pending accounts, invitations, approval, disabling.

Real database; resolve_user is called as the login callback calls it, after the ID token is valid.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from ledger.errors import Conflict, InvalidInput, NotFound
from portal.accounts import services as access
from portal.accounts import services as users
from portal.accounts.models import Invitation, User
from portal.clock import utcnow
from portal.extensions import db
from tests.common.accounts import ISS, actions, login


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def lead(ctx) -> User:
    return users.grant(issuer=ISS, sub="lead", role="lead", city="638", name="Lea Lead", actor="test")


@pytest.fixture
def admin(ctx) -> User:
    return users.grant(issuer="https://idp.test", sub="root", role="admin", city=None, name="Root", actor="test")


def test_unknown_user_is_pending_in_the_city_the_provider_vouches_for(ctx) -> None:
    user = login("anna", email="anna@porvoo.fi")
    assert (user.status, user.city_code, user.roles, user.email) == ("pending", "638", set(), "anna@porvoo.fi")
    assert not user.is_active
    assert login("anna").id == user.id  # found again by (issuer, sub)
    assert login("anna", issuer="https://other.test").id != user.id  # another issuer: another person
    assert login("nobody", city=None).city_code is None
    assert [a for a, _ in actions()].count("user-pending") == 3


def test_invitation_binds_with_verified_matching_email_from_the_citys_provider(ctx, lead) -> None:
    invitation = access.invite(email=" Anna@Porvoo.FI ", city="638", role="contact", by=lead, actor=lead.actor)
    assert invitation.email == "anna@porvoo.fi" and access.is_open(invitation)
    user = login("anna", email="ANNA@porvoo.fi")
    assert (user.status, user.roles, user.city_code) == ("active", {"contact"}, "638")
    db.session.refresh(invitation)
    assert invitation.used_at is not None and invitation.user_id == user.id and not access.is_open(invitation)
    action, details = actions()[-1]
    assert action == "invitation-bound" and details["invitation"] == invitation.id and details["role"] == "contact"


@pytest.mark.parametrize("verified, city, reason", [
    (False, "638", "not say the email address is verified"),
    ("true", "638", "not say the email address is verified"),  # only a JSON true counts
    (True, "091", "vouches for city 091, the invitation is for 638"),
    (True, None, "vouches for no city"),
])
def test_invitation_does_not_bind_otherwise(ctx, lead, verified, city, reason) -> None:
    access.invite(email="anna@porvoo.fi", city="638", role="lead", by=lead, actor=lead.actor)
    user = login("anna", email="anna@porvoo.fi", verified=verified, city=city)
    assert (user.status, user.roles, user.city_code) == ("pending", set(), city)
    refused = [d for a, d in actions() if a == "invitation-not-bound"]
    assert len(refused) == 1 and refused[0]["reason"].startswith("invitation not bound: ")
    assert reason in refused[0]["reason"]
    assert access.is_open(db.session.execute(select(Invitation)).scalar_one())


def test_invitation_never_binds_twice_and_accounts_are_never_found_by_email(ctx, lead) -> None:
    access.invite(email="anna@porvoo.fi", city="638", role="lead", by=lead, actor=lead.actor)
    first = login("anna", email="anna@porvoo.fi")
    second = login("impostor", email="anna@porvoo.fi")
    assert first.status == "active" and second.id != first.id
    assert (second.status, second.roles) == ("pending", set())
    # the first account keeps its roles when logging in again, whatever its email says now
    again = login("anna", email="someone@else.fi", verified=False)
    assert again.id == first.id and again.roles == {"lead"}


def test_expired_or_revoked_invitations_do_not_bind(ctx, lead) -> None:
    old = access.invite(email="old@porvoo.fi", city="638", role="contact", by=lead, actor=lead.actor)
    old.expires_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    revoked = access.invite(email="gone@porvoo.fi", city="638", role="contact", by=lead, actor=lead.actor)
    access.revoke(revoked.id, by=lead, actor=lead.actor)
    assert login("old", email="old@porvoo.fi").status == "pending"
    assert login("gone", email="gone@porvoo.fi").status == "pending"
    assert "invitation-revoked" in [a for a, _ in actions()]


def test_invite_refusals(ctx, lead, admin) -> None:
    with pytest.raises(InvalidInput, match="not an email"):
        access.invite(email="anna", city="638", role="contact", by=lead, actor="t")
    with pytest.raises(InvalidInput):
        access.invite(email="anna@porvoo.fi", city="999", role="contact", by=admin, actor="t")
    with pytest.raises(users.Forbidden, match="own city"):
        access.invite(email="anna@porvoo.fi", city="091", role="contact", by=lead, actor="t")
    with pytest.raises(users.Forbidden, match="admin"):
        access.invite(email="anna@porvoo.fi", city="638", role="admin", by=lead, actor="t")
    access.invite(email="anna@porvoo.fi", city="638", role="contact", by=lead, actor="t")
    with pytest.raises(Conflict, match="already has an open invitation"):
        access.invite(email="ANNA@porvoo.fi", city="638", role="lead", by=admin, actor="t")
    access.invite(email="anna@porvoo.fi", city="091", role="admin", by=admin, actor="t")  # an admin: any city
    used = access.invitations(None)
    assert {i.city_code for i in access.invitations(lead)} == {"638"} and len(used) == 2


def test_lead_approves_in_their_city_only(ctx, lead, admin) -> None:
    anna, bert = login("anna"), login("bert", city="091")
    assert users.may_manage(lead, anna) and not users.may_manage(lead, bert)
    assert [u.sub for u in users.visible(lead)] == ["anna", "lead"]
    with pytest.raises(users.Forbidden):
        users.approve(bert, {"contact"}, by=lead, actor=lead.actor)
    with pytest.raises(users.Forbidden, match="admin"):
        users.approve(anna, {"admin"}, by=lead, actor=lead.actor)
    with pytest.raises(InvalidInput, match="cannot be changed"):
        users.approve(anna, {"contact"}, by=admin, actor=admin.actor, city="091")
    with pytest.raises(users.Forbidden, match="own account"):
        users.approve(lead, {"lead", "accountant"}, by=lead, actor=lead.actor)
    users.approve(anna, {"contact", "accountant"}, by=lead, actor=lead.actor)
    assert (anna.status, anna.roles, anna.city_code, anna.is_active) == ("active", {"contact", "accountant"}, "638", True)
    assert actions()[-1][0] == "user-approved" and actions()[-1][1]["roles"] == ["accountant", "contact"]


def test_only_an_admin_gives_a_city_to_a_user_whose_provider_vouches_for_none(ctx, lead, admin) -> None:
    nobody = login("nobody", city=None)
    assert not users.may_manage(lead, nobody)
    with pytest.raises(InvalidInput, match="needs a city"):
        users.approve(nobody, {"contact"}, by=admin, actor=admin.actor)
    users.approve(nobody, {"contact"}, by=admin, actor=admin.actor, city="638")
    assert nobody.city_code == "638" and nobody.status == "active"


def test_disable_and_enable(ctx, lead) -> None:
    anna = login("anna")
    users.approve(anna, {"contact"}, by=lead, actor=lead.actor)
    users.disable(anna, by=lead, actor=lead.actor)
    assert anna.status == "disabled" and not anna.is_active and not anna.has_role("contact")
    with pytest.raises(Conflict):
        users.disable(anna, by=lead, actor=lead.actor)
    users.enable(anna, by=lead, actor=lead.actor)
    assert anna.status == "active" and anna.roles == {"contact"}
    with pytest.raises(users.Forbidden):
        users.disable(lead, by=lead, actor=lead.actor)
    assert [a for a, _ in actions()][-2:] == ["user-disabled", "user-enabled"]
    with pytest.raises(NotFound):
        users.find_or_refuse(ISS, "nobody")

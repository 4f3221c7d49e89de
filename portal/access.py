"""Who a validated login is: the user keyed on (issuer, sub), created pending when unknown.

The city never comes from a claim: it is the one the provider's configuration vouches for. An
invitation (email, city, role) binds once, at the first login, and only when that login comes
from the invited city's provider with a verified email that matches; after that the account is
found by (issuer, sub) like any other, never by email.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import session
from flask_login import current_user
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.exc import IntegrityError

from ledger import municipalities as M
from ledger.errors import Conflict, InvalidInput, NotFound
from portal import users
from portal.extensions import db
from portal.models import ROLES, AuditEvent, Invitation, User, utcnow

PENDING_KEY = "pending_user_id"
INVITATION_DAYS = 30
EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]+$")


def resolve_user(*, provider: str, issuer: str, sub: str, claims: dict[str, Any], city: str | None, ip: str | None) -> User:
    """The account for (issuer, sub); a new one for someone unknown: active if an invitation binds, else pending.

    ``city`` is what the provider's configuration vouches for (None: the provider vouches for none).
    """
    name, email = str(claims.get("name") or "")[:200], str(claims.get("email") or "")[:320]
    user = users.find(issuer, sub)
    if user is not None:
        user.name, user.email = name or user.name, email or user.email
        return user
    user = User(issuer=issuer, sub=sub, name=name, email=email, roles_text="", status="pending", city_code=city)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:  # the same person's second tab won the race
        db.session.rollback()
        return users.find(issuer, sub)
    base = {"issuer": issuer, "sub": sub, "provider": provider, "city": city, "ip": ip}
    invitation, refusal = _matching_invitation(email, claims.get("email_verified") is True, city)
    if invitation is not None and _bind(invitation, user):
        user.roles, user.city_code, user.status = {invitation.role}, invitation.city_code, "active"
        _audit(user.actor, "invitation-bound", {**base, "invitation": invitation.id, "role": invitation.role,
                                                "invited_by": invitation.invited_by})
    else:
        if refusal:
            _audit(user.actor, "invitation-not-bound", {**base, "reason": f"invitation not bound: {refusal}"})
        _audit(user.actor, "user-pending", base)
    db.session.commit()
    return user


def _open() -> ColumnElement[bool]:
    """The condition of an invitation that can still bind."""
    now = utcnow()
    return (Invitation.used_at.is_(None)) & (Invitation.expires_at.is_(None) | (Invitation.expires_at > now))


def _matching_invitation(email: str, verified: bool, city: str | None) -> tuple[Invitation | None, str | None]:
    """The open invitation this login may bind, or why none binds (None when none was ever meant)."""
    email = email.strip().lower()
    if not email:
        return None, None
    found = db.session.execute(select(Invitation).where(func.lower(Invitation.email) == email, _open())
                               .order_by(Invitation.id.desc())).scalars().all()
    if not found:
        return None, None
    if not verified:
        return None, "the provider does not say the email address is verified"
    if city is None:
        return None, "the provider vouches for no city"
    mine = next((i for i in found if i.city_code == city), None)
    if mine is None:
        return None, f"the provider vouches for city {city}, the invitation is for {found[0].city_code}"
    return mine, None


def _bind(invitation: Invitation, user: User) -> bool:
    """Mark the invitation used by ``user``, unless a concurrent login has just done so."""
    result = db.session.execute(update(Invitation).where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
                                .values(used_at=utcnow(), user_id=user.id).execution_options(synchronize_session=False))
    return result.rowcount == 1


def _audit(actor: str, action: str, details: dict[str, Any]) -> None:
    event = AuditEvent(actor=actor[:500], action=action)
    event.details = details
    db.session.add(event)


# -- the session of someone awaiting approval ------------------------------------------------------
def remember_pending(user: User) -> None:
    """A pending user gets no portal session; only this marker, so /api/v1/me can say "pending"."""
    session[PENDING_KEY] = user.id


def session_user() -> User | None:
    """The logged-in user, or the pending one who has just logged in (only while still pending)."""
    if current_user.is_authenticated:
        return current_user
    user_id = session.get(PENDING_KEY)
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or user.status != "pending":
        session.pop(PENDING_KEY, None)
        return None
    return user


# -- invitations -----------------------------------------------------------------------------------
def invitable_roles(by: User | None) -> tuple[str, ...]:
    return ROLES if by is None or "admin" in by.roles else tuple(r for r in ROLES if r != "admin")


def invite(*, email: str, city: str, role: str, by: User | None, actor: str, days: int = INVITATION_DAYS) -> Invitation:
    """Invite ``email`` into ``city`` with ``role``; a lead invites into their own city only."""
    email = (email or "").strip().lower()
    if not EMAIL.match(email) or len(email) > 320:
        raise InvalidInput(f"{email!r} is not an email address")
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}; choose one of: {', '.join(ROLES)}")
    code = M.lookup(city).code if city else ""
    if not code:
        raise InvalidInput("an invitation needs a city (the city whose provider the person logs in with)")
    if by is not None and "admin" not in by.roles:
        if not by.has_role("lead") or code != by.city_code:
            raise users.Forbidden("a project lead invites people to their own city only")
        if role not in invitable_roles(by):
            raise users.Forbidden("only an admin may invite an admin")
    clash = select(Invitation.id).where(func.lower(Invitation.email) == email, Invitation.city_code == code, _open())
    if db.session.execute(clash).first():
        raise Conflict(f"{email} already has an open invitation to city {code}")
    invitation = Invitation(email=email, city_code=code, role=role, invited_by=actor[:500],
                            expires_at=utcnow() + dt.timedelta(days=days))
    db.session.add(invitation)
    db.session.flush()
    _audit(actor, "invitation-created", {"invitation": invitation.id, "email": email, "city": code, "role": role})
    db.session.commit()
    return invitation


def invitations(by: User | None) -> list[Invitation]:
    """The invitations ``by`` may see (a lead: their city's), newest first."""
    query = select(Invitation).order_by(Invitation.id.desc())
    if by is not None and "admin" not in by.roles:
        query = query.where(Invitation.city_code == (by.city_code or ""))
    return list(db.session.execute(query).scalars())


def is_open(invitation: Invitation) -> bool:
    return invitation.used_at is None and (invitation.expires_at is None or invitation.expires_at > utcnow())


def revoke(invitation_id: int, *, by: User | None, actor: str) -> None:
    """Withdraw an invitation that has not bound yet (it is deleted; the audit log keeps it)."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound(f"no invitation {invitation_id}")
    if by is not None and "admin" not in by.roles and invitation.city_code != by.city_code:
        raise users.Forbidden("a project lead manages their own city's invitations only")
    if invitation.used_at is not None:
        raise Conflict("this invitation has already been used; disable the account instead")
    _audit(actor, "invitation-revoked", {"invitation": invitation.id, "email": invitation.email,
                                         "city": invitation.city_code, "role": invitation.role})
    db.session.delete(invitation)
    db.session.commit()

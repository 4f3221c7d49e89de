"""Who a validated login is, and what they may do: users, roles, approval, invitations.

A user is keyed on the provider's (issuer, sub), created pending when unknown. The city never
comes from a claim: it is the one the provider's configuration vouches for (a grant from the
command line, or the provider's ``city``/``cities``/``tenants``). An invitation (email, city,
role) binds once, at the first login, and only when that login comes from the invited city's
provider with a verified email that matches; after that the account is found by (issuer, sub)
like any other, never by email.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import session
from flask_login import current_user
from sqlalchemy import ColumnElement, false, func, select, update
from sqlalchemy.exc import IntegrityError

from ledger import municipalities as M
from ledger.errors import Conflict, InvalidInput, NotFound
from portal import audit
from portal.accounts.models import ROLES, STATUSES, Invitation, User
from portal.auth import sessions
from portal.clock import utcnow
from portal.errors import Forbidden
from portal.extensions import db, rowcount

PENDING_KEY = "pending_user_id"
INVITATION_DAYS = 30
EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]+$")


def resolve_user(*, provider: str, issuer: str, sub: str, claims: dict[str, Any], city: str | None, ip: str | None) -> User:
    """The account for (issuer, sub); a new one for someone unknown: active if an invitation binds, else pending.

    ``city`` is what the provider's configuration vouches for (None: the provider vouches for none).
    """
    name, email = str(claims.get("name") or "")[:200], str(claims.get("email") or "")[:320]
    user = find(issuer, sub)
    if user is not None:
        user.name, user.email = name or user.name, email or user.email
        return user
    user = User(issuer=issuer, sub=sub, name=name, email=email, roles_text="", status="pending", city_code=city)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:  # the same person's second tab won the race
        db.session.rollback()
        winner = find(issuer, sub)
        if winner is None:
            raise
        return winner
    base = {"issuer": issuer, "sub": sub, "provider": provider, "city": city, "ip": ip}
    invitation, refusal = _matching_invitation(email, claims.get("email_verified") is True, city)
    if invitation is not None and _bind(invitation, user):
        user.roles, user.city_code, user.status = {invitation.role}, invitation.city_code, "active"
        audit.record(user.actor, "invitation-bound", {**base, "invitation": invitation.id, "role": invitation.role,
                                                "invited_by": invitation.invited_by})
    else:
        if refusal:
            audit.record(user.actor, "invitation-not-bound", {**base, "reason": f"invitation not bound: {refusal}"})
        audit.record(user.actor, "user-pending", base)
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
    return rowcount(result) == 1


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
        raise InvalidInput("%(email)r is not an email address", email=email)
    if role not in ROLES:
        raise InvalidInput("unknown role %(role)r; choose one of: %(roles)s", role=role, roles=", ".join(ROLES))
    code = M.lookup(city).code if city else ""
    if not code:
        raise InvalidInput("an invitation needs a city (the city whose provider the person logs in with)")
    if by is not None and "admin" not in by.roles:
        if not by.has_role("lead") or code != by.city_code:
            raise Forbidden("a project lead invites people to their own city only")
        if role not in invitable_roles(by):
            raise Forbidden("only an admin may invite an admin")
    clash = select(Invitation.id).where(func.lower(Invitation.email) == email, Invitation.city_code == code, _open())
    if db.session.execute(clash).first():
        raise Conflict("%(email)s already has an open invitation to city %(code)s", email=email, code=code)
    invitation = Invitation(email=email, city_code=code, role=role, invited_by=actor[:audit.ACTOR_LENGTH],
                            expires_at=utcnow() + dt.timedelta(days=days))
    db.session.add(invitation)
    db.session.flush()
    audit.record(actor, "invitation-created", {"invitation": invitation.id, "email": email, "city": code, "role": role})
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
        raise NotFound("no invitation %(id)s", id=invitation_id)
    if by is not None and "admin" not in by.roles and invitation.city_code != by.city_code:
        raise Forbidden("a project lead manages their own city's invitations only")
    if invitation.used_at is not None:
        raise Conflict("this invitation has already been used; disable the account instead")
    audit.record(actor, "invitation-revoked", {"invitation": invitation.id, "email": invitation.email,
                                         "city": invitation.city_code, "role": invitation.role})
    db.session.delete(invitation)
    db.session.commit()


# -- users and roles ------------------------------------------------------------------------------
def find(issuer: str, sub: str) -> User | None:
    return db.session.execute(select(User).where(User.issuer == issuer, User.sub == sub)).scalar_one_or_none()


def grant(*, issuer: str, sub: str, role: str, city: str | None, name: str = "", actor: str) -> User:
    """Give ``role`` to the user (issuer, sub), creating an active account if it is new."""
    issuer, sub = (issuer or "").strip(), (sub or "").strip()
    if not issuer or not sub:
        raise InvalidInput("both --issuer and --sub are needed: users are keyed on them")
    if role not in ROLES:
        raise InvalidInput("unknown role %(role)r; choose one of: %(roles)s", role=role, roles=", ".join(ROLES))
    code = M.lookup(city).code if city else None
    user = find(issuer, sub)
    if user is None:
        user = User(issuer=issuer, sub=sub, name=name or "", email="", roles_text="", status="active")
        db.session.add(user)
    if code:
        user.city_code = code
    if role == "contact" and not user.city_code:
        raise InvalidInput("a city contact needs a city (--city CODE)")
    user.roles = user.roles | {role}
    if name and not user.name:
        user.name = name
    user.status = "active" if user.status == "pending" else user.status
    audit.record(actor, "role-granted", {"issuer": issuer, "sub": sub, "role": role, "city": user.city_code})
    db.session.commit()
    return user


# -- approval and disabling (the /admin pages and ``portal users``) ------------------------------
def _audit_user(actor: str, action: str, user: User, **details: object) -> None:
    audit.record(actor, action, {"issuer": user.issuer, "sub": user.sub, "user_id": user.id, **details})


def may_manage(by: User | None, user: User) -> bool:
    """Admins (and the command line, ``by=None``) manage everyone but themselves; a lead only the
    non-admin users of their own city, since a city's provider vouches for that city alone."""
    if by is None:
        return True
    if by.id == user.id or not by.has_role("lead"):
        return False
    if "admin" in by.roles:
        return True
    return "admin" not in user.roles and by.city_code is not None and user.city_code == by.city_code


def visible(by: User | None, status: str | None = None) -> list[User]:
    """The users ``by`` may see, pending first, then active, then disabled; newest first within each."""
    query = select(User).order_by(User.created_at.desc(), User.id.desc())
    if status:
        if status not in STATUSES:
            raise InvalidInput("unknown status %(status)r; choose one of: %(statuses)s", status=status, statuses=", ".join(STATUSES))
        query = query.where(User.status == status)
    if by is not None and "admin" not in by.roles:
        query = query.where(User.city_code == by.city_code) if by.city_code else query.where(false())
    rows = db.session.execute(query).scalars().all()
    return sorted(rows, key=lambda u: STATUSES.index(u.status) if u.status in STATUSES else len(STATUSES))


def _check(by: User | None, user: User) -> None:
    if not may_manage(by, user):
        if by is not None and by.id == user.id:
            raise Forbidden("you may not change your own account")
        raise Forbidden("you may not change this account")


def approve(user: User, roles: set[str] | list[str], *, by: User | None, actor: str, city: str | None = None) -> User:
    """Give ``user`` exactly ``roles`` and make them active. The city is the one the provider vouched
    for; only an admin (or the command line) may give one to a user whose provider vouched for none."""
    _check(by, user)
    roles = set(roles)
    if not roles:
        raise InvalidInput("choose at least one role")
    if unknown := roles - set(ROLES):
        raise InvalidInput("unknown role %(role)r; choose from: %(roles)s", role=sorted(unknown)[0], roles=", ".join(ROLES))
    if "admin" in roles and by is not None and "admin" not in by.roles:
        raise Forbidden("only an admin may grant the admin role")
    code = M.lookup(city).code if city else None
    if code and user.city_code and code != user.city_code:
        raise InvalidInput("the city is %(code)s, as the user's provider vouches; it cannot be changed here", code=user.city_code)
    if code and not user.city_code:
        if by is not None and "admin" not in by.roles:
            raise Forbidden("only an admin may give a city to a user whose provider vouches for none")
        user.city_code = code
    if "contact" in roles and not user.city_code:
        raise InvalidInput("a city contact needs a city")
    was = user.status
    user.roles, user.status = roles, "active"
    _audit_user(actor, "user-approved" if was == "pending" else "roles-changed", user,
           roles=sorted(roles), city=user.city_code, was=was)
    db.session.commit()
    return user


def disable(user: User, *, by: User | None, actor: str) -> int:
    """Disable ``user`` and end every session of theirs at once; returns how many were ended."""
    _check(by, user)
    if user.status == "disabled":
        raise Conflict("%(sub)s@%(issuer)s is already disabled", sub=user.sub, issuer=user.issuer)
    user.status = "disabled"
    _audit_user(actor, "user-disabled", user)
    db.session.commit()
    ended = sessions.end_for_user(user.id)
    return ended


def enable(user: User, *, by: User | None, actor: str) -> User:
    """Re-enable a disabled user with the roles they had."""
    _check(by, user)
    if user.status != "disabled":
        raise Conflict("%(sub)s@%(issuer)s is not disabled", sub=user.sub, issuer=user.issuer)
    user.status = "active" if user.roles else "pending"
    _audit_user(actor, "user-enabled", user, status=user.status)
    db.session.commit()
    return user


def get(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("no user %(id)s", id=user_id)
    return user


def find_or_refuse(issuer: str, sub: str) -> User:
    user = find((issuer or "").strip(), (sub or "").strip())
    if user is None:
        raise NotFound("no user %(sub)s@%(issuer)s: they appear after their first login", sub=sub, issuer=issuer)
    return user

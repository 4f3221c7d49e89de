"""Users and their roles; the city always comes from configuration (a grant or the provider), never from a claim."""

from __future__ import annotations

from sqlalchemy import false, select

from ledger import municipalities as M
from ledger.errors import Conflict, InvalidInput, LedgerError, NotFound
from portal.extensions import db
from portal.models import ROLES, STATUSES, AuditEvent, User


def find(issuer: str, sub: str) -> User | None:
    return db.session.execute(select(User).where(User.issuer == issuer, User.sub == sub)).scalar_one_or_none()


def grant(*, issuer: str, sub: str, role: str, city: str | None, name: str = "", actor: str) -> User:
    """Give ``role`` to the user (issuer, sub), creating an active account if it is new."""
    issuer, sub = (issuer or "").strip(), (sub or "").strip()
    if not issuer or not sub:
        raise InvalidInput("both --issuer and --sub are needed: users are keyed on them")
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}; choose one of: {', '.join(ROLES)}")
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
    event = AuditEvent(actor=actor, action="role-granted")
    event.details = {"issuer": issuer, "sub": sub, "role": role, "city": user.city_code}
    db.session.add(event)
    db.session.commit()
    return user


# -- approval and disabling (the /admin pages and ``portal users``) ------------------------------
class Forbidden(LedgerError):
    """The acting user may not do this (a lead outside their city, on their own account, granting admin)."""

    status = 403


def _audit(actor: str, action: str, user: User, **details: object) -> None:
    event = AuditEvent(actor=actor[:500], action=action)
    event.details = {"issuer": user.issuer, "sub": user.sub, "user_id": user.id, **details}
    db.session.add(event)


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
            raise InvalidInput(f"unknown status {status!r}; choose one of: {', '.join(STATUSES)}")
        query = query.where(User.status == status)
    if by is not None and "admin" not in by.roles:
        query = query.where(User.city_code == by.city_code) if by.city_code else query.where(false())
    rows = db.session.execute(query).scalars().all()
    return sorted(rows, key=lambda u: STATUSES.index(u.status) if u.status in STATUSES else len(STATUSES))


def _check(by: User | None, user: User) -> None:
    if not may_manage(by, user):
        raise Forbidden("you may not change this account" if by is None or by.id != user.id
                        else "you may not change your own account")


def approve(user: User, roles: set[str] | list[str], *, by: User | None, actor: str, city: str | None = None) -> User:
    """Give ``user`` exactly ``roles`` and make them active. The city is the one the provider vouched
    for; only an admin (or the command line) may give one to a user whose provider vouched for none."""
    _check(by, user)
    roles = set(roles)
    if not roles:
        raise InvalidInput("choose at least one role")
    if unknown := roles - set(ROLES):
        raise InvalidInput(f"unknown role {sorted(unknown)[0]!r}; choose from: {', '.join(ROLES)}")
    if "admin" in roles and by is not None and "admin" not in by.roles:
        raise Forbidden("only an admin may grant the admin role")
    code = M.lookup(city).code if city else None
    if code and user.city_code and code != user.city_code:
        raise InvalidInput(f"the city is {user.city_code}, as the user's provider vouches; it cannot be changed here")
    if code and not user.city_code:
        if by is not None and "admin" not in by.roles:
            raise Forbidden("only an admin may give a city to a user whose provider vouches for none")
        user.city_code = code
    if "contact" in roles and not user.city_code:
        raise InvalidInput("a city contact needs a city")
    was = user.status
    user.roles, user.status = roles, "active"
    _audit(actor, "user-approved" if was == "pending" else "roles-changed", user,
           roles=sorted(roles), city=user.city_code, was=was)
    db.session.commit()
    return user


def disable(user: User, *, by: User | None, actor: str) -> int:
    """Disable ``user`` and end every session of theirs at once; returns how many were ended."""
    from portal import sessions

    _check(by, user)
    if user.status == "disabled":
        raise Conflict(f"{user.sub}@{user.issuer} is already disabled")
    user.status = "disabled"
    _audit(actor, "user-disabled", user)
    db.session.commit()
    ended = sessions.end_for_user(user.id)
    return ended


def enable(user: User, *, by: User | None, actor: str) -> User:
    """Re-enable a disabled user with the roles they had."""
    _check(by, user)
    if user.status != "disabled":
        raise Conflict(f"{user.sub}@{user.issuer} is not disabled")
    user.status = "active" if user.roles else "pending"
    _audit(actor, "user-enabled", user, status=user.status)
    db.session.commit()
    return user


def get(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def find_or_refuse(issuer: str, sub: str) -> User:
    user = find((issuer or "").strip(), (sub or "").strip())
    if user is None:
        raise NotFound(f"no user {sub}@{issuer}: they appear after their first login")
    return user

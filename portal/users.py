"""Users and their roles; the city always comes from configuration (a grant), never from a claim."""

from __future__ import annotations

from sqlalchemy import select

from ledger import municipalities as M
from ledger.errors import InvalidInput
from portal.extensions import db
from portal.models import ROLES, AuditEvent, User


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

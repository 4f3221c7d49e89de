"""Who a validated login is: the user keyed on (issuer, sub), created pending when unknown.

The city never comes from a claim. Issue 3 extends this with invitations.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from portal import users
from portal.extensions import db
from portal.models import AuditEvent, User


def resolve_user(*, provider: str, issuer: str, sub: str, claims: dict[str, Any], city: str | None, ip: str | None) -> User:
    """The account for (issuer, sub); a new pending one for someone unknown.

    ``city`` is what the provider's configuration vouches for (None: the provider vouches for none).
    """
    name, email = str(claims.get("name") or "")[:200], str(claims.get("email") or "")[:320]
    user = users.find(issuer, sub)
    if user is None:
        user = User(issuer=issuer, sub=sub, name=name, email=email, roles_text="", status="pending", city_code=city)
        db.session.add(user)
        try:
            db.session.flush()
        except IntegrityError:  # the same person's second tab won the race
            db.session.rollback()
            return users.find(issuer, sub)
        event = AuditEvent(actor=user.actor[:500], action="user-pending")
        event.details = {"issuer": issuer, "sub": sub, "provider": provider, "city": city, "ip": ip}
        db.session.add(event)
        db.session.commit()
    else:
        user.name, user.email = name or user.name, email or user.email
    return user

"""Logging in as the login callback does, once the ID token is valid: who a login is, and what was audited."""

from __future__ import annotations

from sqlalchemy import select

from portal.accounts import services as access
from portal.accounts.models import User
from portal.audit import AuditEvent
from portal.extensions import db

ISS = "https://idp.porvoo.test"


def login(sub: str, *, email: str = "", verified: bool = True, city: str | None = "638", issuer: str = ISS) -> User:
    claims = {"sub": sub, "name": sub.title(), "email": email, "email_verified": verified}
    return access.resolve_user(provider="porvoo", issuer=issuer, sub=sub, claims=claims, city=city, ip="127.0.0.1")


def actions() -> list[tuple[str, dict]]:
    return [(e.action, e.details) for e in db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()]

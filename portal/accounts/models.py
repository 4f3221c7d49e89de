"""People and their access: users keyed on the provider's (issuer, sub), roles, invitations."""

from __future__ import annotations

import datetime as dt

from flask_login import UserMixin
from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db

ROLES = ("contact", "lead", "accountant", "admin")
STATUSES = ("pending", "active", "disabled")


class User(UserMixin, db.Model):  # type: ignore[name-defined]
    """A person, keyed on the provider's (issuer, sub); email is informative only."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("issuer", "sub", name="uq_users_issuer_sub"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    sub: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    city_code: Mapped[str | None] = mapped_column(String(3), nullable=True)
    roles_text: Mapped[str] = mapped_column("roles", String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    language: Mapped[str] = mapped_column(String(2), default="fi", server_default="fi")  # emails' language

    @property
    def roles(self) -> set[str]:
        return {r for r in self.roles_text.split(",") if r}

    @roles.setter
    def roles(self, value: set[str] | list[str]) -> None:
        self.roles_text = ",".join(r for r in ROLES if r in set(value))

    def has_role(self, *roles: str) -> bool:
        return self.status == "active" and bool(self.roles & (set(roles) | {"admin"}))

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled and pending users have no session
        return self.status == "active"

    @property
    def actor(self) -> str:
        """How this user is named in the audit log and in ledger metadata."""
        return f"{self.name or self.sub} <{self.sub}@{self.issuer}>"


class Invitation(db.Model):  # type: ignore[name-defined]
    """An invitation binds at the first login from the city's provider with a matching verified email."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    city_code: Mapped[str] = mapped_column(String(3))
    role: Mapped[str] = mapped_column(String(20))
    invited_by: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

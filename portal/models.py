"""The portal's own data: projects, memberships, users, the audit log and the stored journal.

Money is integer cents (``BigInteger``). The ledger's postings are stored as beancount text,
numbered per project (``seq``), so a worker catches up by reading only the numbers it lacks.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask_login import UserMixin
from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

ROLES = ("contact", "lead", "accountant", "admin")
STATUSES = ("pending", "active", "disabled")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Project(db.Model):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    budget_cents: Mapped[int] = mapped_column(BigInteger)
    start: Mapped[dt.date] = mapped_column(Date)
    end: Mapped[dt.date] = mapped_column(Date)
    rule: Mapped[str] = mapped_column(String(20))
    population_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ledger_seq: Mapped[int] = mapped_column(Integer, default=0)
    lock_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Summaries of the state the project's changes make (ledger.project.ProjectState): kept for
    # lists and the API; the source of truth is the ordered changes in ``project_changes``.
    policy: Mapped[str] = mapped_column(String(20), default="whole-term", server_default="whole-term")
    change_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Membership(db.Model):
    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    city_code: Mapped[str] = mapped_column(String(3))
    joined: Mapped[dt.date] = mapped_column(Date)
    left: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    join_decision: Mapped[str] = mapped_column(Text, default="")
    leave_decision: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class LedgerPosting(db.Model):
    """One committed change's ledger entries, as beancount text; never updated or deleted."""

    __tablename__ = "ledger_postings"
    __table_args__ = (UniqueConstraint("project_id", "seq", name="uq_ledger_postings_project_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ProjectChange(db.Model):
    """One change to a project (a ``ledger.project.Op``), numbered per project; never updated.

    Replaying a project's changes in order from nothing gives its state and, exactly, the
    entries that were posted (``ledger.recalc.replay``).
    """

    __tablename__ = "project_changes"
    __table_args__ = (UniqueConstraint("project_id", "seq", name="uq_project_changes_project_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    op_json: Mapped[str] = mapped_column("op", Text)
    ledger_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the posting it made, if any
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def op(self) -> dict[str, Any]:
        return json.loads(self.op_json)

    @op.setter
    def op(self, value: dict[str, Any]) -> None:
        self.op_json = json.dumps(value, sort_keys=True, ensure_ascii=False)


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(500))
    action: Mapped[str] = mapped_column(String(50))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), nullable=True, index=True)
    ledger_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    details_json: Mapped[str] = mapped_column(Text, default="{}")

    @property
    def details(self) -> dict[str, Any]:
        return json.loads(self.details_json or "{}")

    @details.setter
    def details(self, value: dict[str, Any]) -> None:
        self.details_json = json.dumps(value, ensure_ascii=False, default=str)


class User(UserMixin, db.Model):
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


class WebSession(db.Model):
    """A server-side session shared by all workers; revocable (disabling a user, back-channel logout)."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # a hash of the cookie's value, never the value
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    data_json: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)  # the absolute timeout
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    provider: Mapped[str | None] = mapped_column(String(64), nullable=True)
    issuer: Mapped[str | None] = mapped_column(String(500), nullable=True)
    sub: Mapped[str | None] = mapped_column(String(255), nullable=True)
    sid: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)  # the provider's session id
    id_token: Mapped[str | None] = mapped_column(Text, nullable=True)  # for RP-initiated logout's id_token_hint


class Invitation(db.Model):
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

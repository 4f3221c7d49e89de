"""The sign-on's own data: server-side sessions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db


class WebSession(db.Model):  # type: ignore[name-defined]
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

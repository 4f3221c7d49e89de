"""What waits to be emailed, and who has turned which kind off."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db


class NotificationEvent(db.Model):  # type: ignore[name-defined]
    """One thing a user is to hear of; kept after sending (``sent_at``), so nothing is lost or sent twice."""

    __tablename__ = "notification_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    payload_json: Mapped[str] = mapped_column(Text, default="{}")
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")

    @property
    def payload(self) -> dict[str, Any]:
        return dict(json.loads(self.payload_json or "{}"))

    @payload.setter
    def payload(self, value: dict[str, Any]) -> None:
        self.payload_json = json.dumps(value, ensure_ascii=False, default=str)


class NotificationOptOut(db.Model):  # type: ignore[name-defined]
    """A user does not want this kind of email (a row per kind turned off)."""

    __tablename__ = "notification_optouts"
    __table_args__ = (UniqueConstraint("user_id", "kind", name="uq_notification_optouts_user_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))

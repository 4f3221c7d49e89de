"""The audit log: who did what, when, to what, and why; the one module that writes it.

Every change to a project, every login and its failure, every approval, invitation and logout
writes one :class:`AuditEvent` through :func:`record`. It never commits: the record belongs to the
caller's transaction, so it is stored exactly when what it describes is.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from blinker import Namespace
from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db

ACTOR_LENGTH = 500
# Sent with every record, inside the caller's transaction: portal.notifications subscribes, so the
# domains that write audit records need not import it (and what it queues commits with their work).
recorded = Namespace().signal("audit-recorded")


class AuditEvent(db.Model):  # type: ignore[name-defined]
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    action: Mapped[str] = mapped_column(String(50))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), nullable=True, index=True)
    ledger_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    details_json: Mapped[str] = mapped_column(Text, default="{}")

    @property
    def details(self) -> dict[str, Any]:
        return dict(json.loads(self.details_json or "{}"))

    @details.setter
    def details(self, value: dict[str, Any]) -> None:
        self.details_json = json.dumps(value, ensure_ascii=False, default=str)


def record(actor: str, action: str, details: dict[str, Any], *, ip: str | None = None, project_id: int | None = None,
           ledger_seq: int | None = None) -> AuditEvent:
    """Add an audit record to the current transaction (the caller commits it with its work)."""
    event = AuditEvent(actor=actor[:ACTOR_LENGTH], action=action, project_id=project_id, ledger_seq=ledger_seq)
    details = {**details, **({"ip": ip} if ip is not None else {})}
    event.details = details
    db.session.add(event)
    recorded.send(event, details=details)  # as given: a change's are thousands of cells, not parsed back
    return event

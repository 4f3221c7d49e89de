"""What the demo project ``iam`` holds now, read from the database (for before/after comparisons)."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.audit import AuditEvent
from portal.extensions import db
from portal.projects import services as changes
from portal.projects.models import LedgerPosting


def state(app) -> tuple[int, int, int]:
    """(audit events, stored postings, project ledger_seq): what a refused change must not move."""
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(AuditEvent)),
            db.session.scalar(select(func.count()).select_from(LedgerPosting)),
            changes.get_project("iam").ledger_seq,
        )


def shares_now(app) -> dict[str, int]:
    with app.app_context():
        return {line.code: line.share for line in changes.shares(changes.get_project("iam"))}

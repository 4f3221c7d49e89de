"""A project's documents (PDF files with who attached them, when, and their SHA-256) and the
members' signatures of its consortium agreement.

The files are stored in the database, not on a disk beside it: every worker of every host then
serves the same files, a backup of the database holds them with the changes they belong to, and a
document is stored in the same transaction as its audit record (no file without its record, no
record without its file). Documents are small (``PORTAL_MAX_DOCUMENT_MB``, 10 MB by default), so
the database carries them well; the content column is deferred, so listing documents never loads
a file.

Neither table is ever updated but for a document's withdrawal (set once, with who and why) and
neither is ever deleted from: a document attached in error is withdrawn and stays listed as such.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db

KINDS = ("agreement", "decision", "other")
TITLE_LENGTH = 200
SIGNER_LENGTH = 300
TEXT_LENGTH = 500


class Document(db.Model):  # type: ignore[name-defined]
    """One PDF file of a project, or of one of its recorded changes (``change_id``)."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    change_id: Mapped[int | None] = mapped_column(ForeignKey("project_changes.id"), nullable=True, index=True)
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(255))   # as it was uploaded, for people to recognise; never served as is
    size: Mapped[int] = mapped_column(Integer)           # bytes
    sha256: Mapped[str] = mapped_column(String(64))      # hex digest of the content
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    attached_by: Mapped[str] = mapped_column(String(500))
    attached_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    withdrawn_by: Mapped[str | None] = mapped_column(String(500), nullable=True)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class Signature(db.Model):  # type: ignore[name-defined]
    """A member city's signature of the project's agreement, for one of its membership periods.

    ``period_joined`` is the join date of the membership period the signature binds the city for:
    a founding member's first period, or the period of a later joiner (its accession to the same
    agreement) or of a member that rejoined. One signature per period, which the unique constraint
    keeps even when two people record the same signature at once.
    """

    __tablename__ = "agreement_signatures"
    __table_args__ = (UniqueConstraint("project_id", "city_code", "period_joined", name="uq_agreement_signatures_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    city_code: Mapped[str] = mapped_column(String(3))
    period_joined: Mapped[dt.date] = mapped_column(Date)
    signer: Mapped[str] = mapped_column(String(SIGNER_LENGTH))   # who signed for the city: name and title, as text
    signed_on: Mapped[dt.date] = mapped_column(Date)
    decision: Mapped[str] = mapped_column(String(TEXT_LENGTH), default="")   # the decision that authorised it
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(500))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

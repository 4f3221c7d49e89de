"""What was imported into a project's ledger: each import, and the identity of each of its transactions.

Written in the same transaction as the import's posting (``portal.accounting.imports``), so the
ledger and this record never disagree. An import is never deleted: a reverted one keeps its row,
marked with its reversal's posting; only its transactions' identities are released, so that the
corrected file can be imported.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db


class LedgerImport(db.Model):  # type: ignore[name-defined]
    """One import of a file, numbered per project (1, 2, 3 …)."""

    __tablename__ = "ledger_imports"
    __table_args__ = (UniqueConstraint("project_id", "number", name="uq_ledger_imports_project_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)      # of the file's bytes
    actor: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    transactions: Mapped[int] = mapped_column(Integer)
    ledger_seq: Mapped[int] = mapped_column(Integer)                 # the posting that holds them
    reverted_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)   # the posting of the reversal
    reverted_by: Mapped[str | None] = mapped_column(String(500), nullable=True)
    reverted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    revert_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)

    @property
    def reverted(self) -> bool:
        return self.reverted_seq is not None


class ImportedTransaction(db.Model):  # type: ignore[name-defined]
    """The identity (``ledger.importer.identity``) of one transaction of a live import: unique per project."""

    __tablename__ = "imported_transactions"
    __table_args__ = (UniqueConstraint("project_id", "identity", name="uq_imported_transactions_project_identity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("ledger_imports.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    identity: Mapped[str] = mapped_column(String(64))
    line: Mapped[int] = mapped_column(Integer)

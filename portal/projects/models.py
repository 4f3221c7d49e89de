"""A project's own rows: its registration, its recorded changes and its ledger postings; and the
population figures an administrator loaded for years that are not bundled.

The project's state (members, budget years, rule versions, policy…) is never stored as columns:
it is what replaying the recorded changes gives (``ledger.changes.apply``), kept in memory by
each worker (``portal.projects.ledgers``). Money is integer cents. The ledger's postings are
stored as beancount text, numbered per project (``seq``), so a worker catches up by reading only
the numbers it lacks; their sums (``ledger_cells``) and opened accounts (``ledger_accounts``) are
kept beside them, in the same transaction as each posting, so a change reads those few rows and
never the history.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db


class Project(db.Model):  # type: ignore[name-defined]
    """A project's registration: its id in URLs and its name, set once when it is created."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    ledger_seq: Mapped[int] = mapped_column(Integer, default=0)     # the last posting's number
    change_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # the last change's number
    lock_version: Mapped[int] = mapped_column(Integer, default=0)   # bumped by every change: the row lock
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class LedgerPosting(db.Model):  # type: ignore[name-defined]
    """One committed change's ledger entries, as beancount text; never updated or deleted."""

    __tablename__ = "ledger_postings"
    __table_args__ = (UniqueConstraint("project_id", "seq", name="uq_ledger_postings_project_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


NO_YEAR = 0  # ``ledger_cells.year`` of postings without a budget year (a key column cannot be NULL and stay unique)


class LedgerCell(db.Model):  # type: ignore[name-defined]
    """The cents a project's postings hold for one (tag, account, budget year): ``ledger.cells.Books``.

    Written with every posting, in its transaction (``portal.projects.services._post``); never read
    for anything but sums, and equal to what the postings' entries add up to (the tests check).
    A transaction without tags is summed under the tag ``""``; one with several under each.
    """

    __tablename__ = "ledger_cells"
    # Half of each page kept free on PostgreSQL: a change rewrites thousands of these rows, and with
    # room on the page an update stays there without touching the indexes (a HOT update), which is
    # two to three times faster than one that moves the row.
    __table_args__ = (UniqueConstraint("project_id", "tag", "account", "year", name="uq_ledger_cells_key"),
                      {"postgresql_with": {"fillfactor": 50}})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    tag: Mapped[str] = mapped_column(Text)
    account: Mapped[str] = mapped_column(Text)
    year: Mapped[int] = mapped_column(Integer)          # the budget year, NO_YEAR for none
    cents: Mapped[int] = mapped_column(BigInteger)


class LedgerAccount(db.Model):  # type: ignore[name-defined]
    """An account a project's ledger has opened, and the date it opened: what a recalculation need not open again."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (UniqueConstraint("project_id", "account", name="uq_ledger_accounts_project_account"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    account: Mapped[str] = mapped_column(Text)
    opened: Mapped[dt.date] = mapped_column(Date)


class ProjectChange(db.Model):  # type: ignore[name-defined]
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
        return dict(json.loads(self.op_json))

    @op.setter
    def op(self, value: dict[str, Any]) -> None:
        self.op_json = json.dumps(value, sort_keys=True, ensure_ascii=False)


class PopulationFigure(db.Model):  # type: ignore[name-defined]
    """One municipality's official population of one year, loaded from a CSV file (``portal populations import``).

    The bundled years (``ledger/data``) are never stored here; a rule version freezes the figures
    it uses when it is set, so loading figures never changes a share already assessed.
    """

    __tablename__ = "population_figures"
    __table_args__ = (UniqueConstraint("year", "code", name="uq_population_figures_year_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    code: Mapped[str] = mapped_column(String(3))
    residents: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(500))
    imported_by: Mapped[str] = mapped_column(String(500))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

"""Each worker's in-memory journals and project states, kept current by reading only what is new.

A journal catches up by parsing only the postings it lacks; a project's state
(``ledger.project.ProjectState``) by applying only the changes it lacks.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence

from beancount.core import data
from flask import current_app
from sqlalchemy import select
from werkzeug.local import LocalProxy

from ledger.changes import apply
from ledger.journal import Journal
from ledger.project import Op, ProjectState
from portal.extensions import db
from portal.projects.models import LedgerPosting, Project, ProjectChange


class Ledgers:
    """The per-process cache of project journals (one :class:`Journal` per project)."""

    def __init__(self) -> None:
        self._journals: dict[int, Journal] = {}
        self._states: dict[int, tuple[int, ProjectState | None]] = {}
        self._lock = threading.RLock()
        self.postings_read = 0  # how many stored postings this worker has parsed: the catch-up cost

    def clear(self) -> None:
        with self._lock:
            self._journals.clear()
            self._states.clear()

    def _journal(self, project: Project) -> Journal:
        journal = self._journals.get(project.id)
        if journal is None:
            journal = self._journals[project.id] = Journal(project.slug, project.name)
        return journal

    def get(self, project: Project, *, seq: int | None = None) -> Journal:
        """The project's journal, caught up to ``seq`` (default: the project's ``ledger_seq``)."""
        target = project.ledger_seq if seq is None else seq
        with self._lock:
            journal = self._journal(project)
            if journal.seq < target:
                rows = db.session.execute(
                    select(LedgerPosting.seq, LedgerPosting.text)
                    .where(LedgerPosting.project_id == project.id, LedgerPosting.seq > journal.seq, LedgerPosting.seq <= target)
                    .order_by(LedgerPosting.seq)
                ).all()
                self.postings_read += journal.add_text((row.seq, row.text) for row in rows)
            return journal

    def posted(self, project: Project, seq: int, entries: Sequence[data.Directive]) -> None:
        """Take in what this worker has just committed as posting ``seq``, without re-parsing it."""
        with self._lock:
            journal = self._journal(project)
            if journal.seq == seq - 1:
                journal.add(seq, entries)
            elif journal.seq < seq - 1:
                self.get(project, seq=seq)

    def state(self, project: Project, *, seq: int | None = None) -> ProjectState | None:
        """The project's state after its change ``seq`` (default: its ``change_seq``)."""
        target = project.change_seq if seq is None else seq
        with self._lock:
            done, state = self._states.get(project.id, (0, None))
            if done < target:
                rows = db.session.execute(
                    select(ProjectChange.seq, ProjectChange.op_json)
                    .where(ProjectChange.project_id == project.id, ProjectChange.seq > done, ProjectChange.seq <= target)
                    .order_by(ProjectChange.seq)
                ).all()
                for row in rows:
                    op = Op.from_json(json.loads(row.op_json))
                    if op.kind != "ledger-imported":
                        state = apply(state, op)
                    done = row.seq
                self._states[project.id] = (done, state)
            return state

    def changed(self, project: Project, seq: int, state: ProjectState | None) -> None:
        """Take in the state this worker has just committed as change ``seq`` (None: unchanged)."""
        with self._lock:
            done, current = self._states.get(project.id, (0, None))
            if done == seq - 1:
                self._states[project.id] = (seq, current if state is None else state)
            elif done < seq - 1:
                self.state(project, seq=seq)


def _current() -> Ledgers:
    registry: Ledgers = current_app.extensions.setdefault("portal.ledgers", Ledgers())
    return registry


# The current app's :class:`Ledgers` (one per app, so tests never share one).
ledgers: Ledgers = LocalProxy(_current)  # type: ignore[assignment]

"""What a worker knows of each project's ledger: its sums in SQL, and its journal and state in memory.

- The sums (``ledger.cells.Books``: cents by tag, account and year, and the opened accounts) are
  rows of ``ledger_cells`` and ``ledger_accounts``, written by :func:`add_books` in the same
  transaction as each posting. A change reads them (:func:`read`), a few thousand rows at most
  whatever the history, and never the journal: so it costs the same in a cold worker, in the CLI and on a
  project of 100,000 entries.
  A worker keeps the sums it read under a project's lock, with the ``ledger_seq`` they are as of,
  and adds to them what it posts itself (:meth:`Ledgers.sums`, :meth:`Ledgers.summed`): the next
  change under the lock reads no rows when no other worker has posted since.
- The journal (every entry, for queries, exports, histories and explanations) is parsed from the
  stored postings once per worker and then caught up by parsing only the postings it lacks.
- The state (``ledger.project.ProjectState``) is caught up by applying only the changes it lacks.

Each project's journal and state have a lock of their own, so a worker parsing one project's
history for a query never holds up a change, which needs only the state.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from beancount.core import data
from flask import current_app
from sqlalchemy import insert, select, text
from werkzeug.local import LocalProxy

from ledger import entries as E
from ledger.cells import Books, Key, member_code
from ledger.changes import apply
from ledger.collector import paused, without_collection
from ledger.errors import InvalidInput
from ledger.journal import Journal
from ledger.project import Op, ProjectState
from portal.extensions import db
from portal.projects.models import NO_YEAR, LedgerAccount, LedgerCell, LedgerPosting, Project, ProjectChange

# What the store can hold: BIGINT cents, and key columns short enough for a B-tree index.
MAX_CENTS = 10**15      # ten trillion euros in one posting: no ledger of this portal's has such an amount
MAX_NAME = 1000         # characters of an account or a tag
PENDING = 32            # postings a loaded journal may have waiting to be taken in (``Ledgers.posted``)


# -- the sums, in SQL ------------------------------------------------------------------------------
class Rows(NamedTuple):
    """The sums of some tags as read, with the ids of their rows (so that a posting updates them by id)."""

    books: Books
    ids: dict[Key, int]
    tags: frozenset[str]
    accounts: bool          # whether ``books.opened`` holds every opened account (or none was read)


@without_collection  # thousands of rows, none in a cycle: ledger.collector
def read(project: Project, tags: Sequence[str] = E.SUMMED_TAGS, *, accounts: bool = True) -> Rows:
    """The project's sums of the transactions tagged ``tags``, and (``accounts``) every account it has opened.

    The cells are read as plain rows of the table (a Core select on the session's connection, not
    ORM rows): a 300-member project has some 3,000 of them, and a change reads them all.
    """
    table = LedgerCell.__table__
    rows = db.session.connection().execute(select(table.c.id, table.c.tag, table.c.account, table.c.year, table.c.cents)
                                           .where(table.c.project_id == project.id, table.c.tag.in_(list(tags))))
    sums: dict[Key, int] = {}
    ids: dict[Key, int] = {}
    for row_id, tag, account, year, cents in rows:
        key = (tag, account, None if year == NO_YEAR else year)
        sums[key], ids[key] = cents, row_id
    opened = db.session.execute(select(LedgerAccount.account, LedgerAccount.opened)
                                .where(LedgerAccount.project_id == project.id)).tuples().all() if accounts else []
    return Rows(Books(sums, dict(opened)), ids, frozenset(tags), accounts)


def named_members(project: Project) -> set[str]:
    """Every member whose accounts hold a non-zero sum of any kind (assessed, invoiced, paid, credited):
    the members the ledger still names, so a former member with an open invoice stays listed."""
    accounts = db.session.execute(select(LedgerCell.account).where(LedgerCell.project_id == project.id, LedgerCell.cents != 0)
                                  .distinct()).scalars()
    return {code for account in accounts if (code := member_code(account)) is not None}


def books(project: Project, tags: Sequence[str] = E.SUMMED_TAGS, *, accounts: bool = True) -> Books:
    """The project's sums of the transactions tagged ``tags``, and (``accounts``) every account it has opened."""
    return read(project, tags, accounts=accounts).books


def _check(delta: Books) -> None:
    """Refuse what the store cannot hold, before anything is written (a clear message, never a database error)."""
    for (_tag, account, _year), cents in delta.sums.items():
        if abs(cents) > MAX_CENTS:
            raise InvalidInput("an amount of %(euros)s EUR on %(account)s is beyond what the ledger takes",
                               euros=cents // 100, account=account[:80])
    for name in itertools.chain((key[0] for key in delta.sums), (key[1] for key in delta.sums), delta.opened):
        if len(name) > MAX_NAME:
            raise InvalidInput("an account or tag is longer than %(limit)s characters: %(name)s…", limit=MAX_NAME, name=name[:80])


def add_books(project: Project, delta: Books, known: Rows | None = None) -> dict[Key, int]:
    """Add one posting's sums to the project's rows; call under the project's lock, before the commit.

    The rows a posting moves are updated by their ids, those it adds inserted: under the project's
    lock nobody else writes them meanwhile. ``known``: the rows read under this lock, if they hold
    every tag of ``delta`` (a change's), so that they need not be looked up again. Returns the ids
    of the rows it added (so that a worker's copy of the sums can take them in: :meth:`Ledgers.summed`).
    """
    _check(delta)
    added: dict[Key, int] = {}
    if delta.sums:
        covered = known is not None and {tag for tag, _, _ in delta.sums} <= known.tags
        ids = known.ids if covered and known is not None else _ids(project, delta)
        _update([(ids[key], cents) for key, cents in delta.sums.items() if key in ids and cents])
        new = [{"project_id": project.id, "tag": tag, "account": account, "year": NO_YEAR if year is None else year,
                "cents": cents} for (tag, account, year), cents in delta.sums.items() if (tag, account, year) not in ids]
        if new:
            table = LedgerCell.__table__
            inserted = db.session.connection().execute(
                insert(table).returning(table.c.id, table.c.tag, table.c.account, table.c.year), new)
            added = {(tag, account, None if year == NO_YEAR else year): row for row, tag, account, year in inserted}
    if delta.opened:
        have = set(known.books.opened) if known is not None and known.accounts else set(db.session.scalars(
            select(LedgerAccount.account).where(LedgerAccount.project_id == project.id, LedgerAccount.account.in_(list(delta.opened)))))
        opened = [{"project_id": project.id, "account": a, "opened": d} for a, d in delta.opened.items() if a not in have]
        if opened:
            db.session.execute(insert(LedgerAccount), opened)
    return added


def _ids(project: Project, delta: Books) -> dict[Key, int]:
    """The ids of the rows that already hold some of ``delta``'s keys."""
    tags = sorted({tag for tag, _, _ in delta.sums})
    accounts = sorted({account for _, account, _ in delta.sums})
    rows = db.session.execute(select(LedgerCell.id, LedgerCell.tag, LedgerCell.account, LedgerCell.year)
                              .where(LedgerCell.project_id == project.id, LedgerCell.tag.in_(tags), LedgerCell.account.in_(accounts)))
    found = {(r.tag, r.account, None if r.year == NO_YEAR else r.year): r.id for r in rows}
    return {key: found[key] for key in delta.sums if key in found}


def _update(moved: list[tuple[int, int]]) -> None:
    """``cents += delta`` for each ``(id, delta)``: on PostgreSQL one statement over two arrays (a
    recalculation of 300 members over ten years moves 3,000 rows: one round trip, not 3,000);
    on SQLite, inside the process, one prepared statement run for each, handed to the driver as
    plain tuples (SQLAlchemy's own processing of 3,000 parameter sets cost three times the updates).

    The arrays go to PostgreSQL as array literals (``{1,2,3}``) the server casts: the values are
    Python ints, so the literal is exact, and psycopg's own list adaptation of two arrays of 900
    cost a millisecond of the change (a twentieth), the literals a sixth of that."""
    if not moved:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("UPDATE ledger_cells SET cents = ledger_cells.cents + d.cents"
                                " FROM unnest(CAST(:ids AS integer[]), CAST(:cents AS bigint[])) AS d(id, cents)"
                                " WHERE ledger_cells.id = d.id"),
                           {"ids": _array(i for i, _ in moved), "cents": _array(c for _, c in moved)})
        return
    db.session.connection().exec_driver_sql("UPDATE ledger_cells SET cents = cents + ? WHERE id = ?",
                                            [(cents, row) for row, cents in moved])


def _array(values: Iterable[int]) -> str:
    """A PostgreSQL array literal of integers (``int`` only: ``str`` of anything else could be other syntax)."""
    return "{" + ",".join(str(int(v)) for v in values) + "}"


# -- the journals and states, in memory ------------------------------------------------------------
class Ledgers:
    """The per-process cache of project journals and states (one :class:`Journal` per project)."""

    def __init__(self) -> None:
        self._journals: dict[int, Journal] = {}
        self._states: dict[int, tuple[int, ProjectState | None]] = {}
        self._sums: dict[int, tuple[int, Rows]] = {}
        self._pending: dict[int, list[tuple[int, Sequence[data.Directive]]]] = {}
        self._locks: dict[tuple[str, int], threading.Lock] = {}
        self._lock = threading.Lock()  # guards the dictionaries only, for an instant
        self.postings_read = 0  # how many stored postings this worker has parsed: the catch-up cost

    def clear(self) -> None:
        with self._lock:
            self._journals.clear()
            self._states.clear()
            self._sums.clear()
            self._pending.clear()

    def _project_lock(self, kind: str, project: Project) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault((kind, project.id), threading.Lock())

    def _journal(self, project: Project) -> Journal:
        with self._lock:
            journal = self._journals.get(project.id)
            if journal is None:
                journal = self._journals[project.id] = Journal(project.slug, project.name)
            return journal

    def get(self, project: Project, *, seq: int | None = None) -> Journal:
        """The project's journal, caught up to ``seq`` (default: the project's ``ledger_seq``)."""
        target = project.ledger_seq if seq is None else seq
        with self._project_lock("journal", project):
            journal = self._journal(project)
            if journal.seq < target:
                self._take_pending(project, journal)
            if journal.seq < target:
                rows = db.session.execute(
                    select(LedgerPosting.seq, LedgerPosting.text)
                    .where(LedgerPosting.project_id == project.id, LedgerPosting.seq > journal.seq, LedgerPosting.seq <= target)
                    .order_by(LedgerPosting.seq)
                ).all()
                self.postings_read += journal.add_text((row.seq, row.text) for row in rows)
            return journal

    def posted(self, project: Project, seq: int, entries: Sequence[data.Directive]) -> None:
        """Keep what this worker has just committed as posting ``seq`` for its journal, without re-parsing it.

        Why kept and not taken in at once: sorting some 3,000 postings into the journal and its
        sums was a tenth of a change, and the change's caller waited for it, while a query that
        needs the journal may not come for a while. :meth:`get` takes the kept postings in, in
        their order. Only for a journal already loaded (a change never loads it), and at most
        :data:`PENDING` of them: past that they are dropped, and the journal catches up from the
        database when it is next read, as it does after a gap.
        """
        with self._lock:
            if project.id not in self._journals:
                return
            kept = self._pending.setdefault(project.id, [])
            if len(kept) >= PENDING:
                kept.clear()
            kept.append((seq, entries))

    def _take_pending(self, project: Project, journal: Journal) -> None:
        """Take the kept postings that follow on from ``journal`` into it; call under its project lock.

        Two threads of one worker may keep theirs out of order: they are sorted, and a missing one
        stops the run (the database has it and the rest).
        """
        with self._lock:
            kept = sorted(self._pending.pop(project.id, []), key=lambda posting: posting[0])
        with paused():  # the journal the collector would walk is the biggest thing in the worker
            for seq, entries in kept:
                if seq == journal.seq + 1:
                    journal.add(seq, entries)
                elif seq > journal.seq:
                    break

    def state(self, project: Project, *, seq: int | None = None) -> ProjectState | None:
        """The project's state after its change ``seq`` (default: its ``change_seq``)."""
        target = project.change_seq if seq is None else seq
        with self._project_lock("state", project):
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

    def sums(self, project: Project) -> Rows:
        """The project's sums as of its ``ledger_seq``; call under the project's lock.

        This worker's copy when it is as of that posting, else read from the rows (and kept). The
        ``ledger_seq`` was read under the same lock, and every write of the sums is a posting that
        raises it, so a copy as of it holds what the rows hold.
        """
        with self._lock:
            kept = self._sums.get(project.id)
        if kept is not None and kept[0] == project.ledger_seq:
            return kept[1]
        rows = read(project)
        with self._lock:
            self._sums[project.id] = (project.ledger_seq, rows)
        return rows

    def summed(self, project: Project, seq: int, delta: Books, added: dict[Key, int]) -> None:
        """Add the sums of the posting ``seq`` this worker has just committed to its copy, if the copy
        is as of ``seq - 1``; ``added``: the ids of the rows the posting added (``add_books``)."""
        with self._lock:
            kept = self._sums.pop(project.id, None)
        if kept is None or kept[0] != seq - 1:
            return
        rows = kept[1]
        ids = {**rows.ids, **{key: row for key, row in added.items() if key[0] in rows.tags}}
        sums = dict(rows.books.sums)
        for key, cents in delta.sums.items():
            if key[0] in rows.tags:
                sums[key] = sums.get(key, 0) + cents
        if any(key not in ids for key in delta.sums if key[0] in rows.tags):  # a row this worker does not know of:
            return                                                          # read them next time
        opened = {**delta.opened, **rows.books.opened} if rows.accounts else dict(rows.books.opened)
        with self._lock:
            self._sums.setdefault(project.id, (seq, rows._replace(books=Books(sums, opened), ids=ids)))

    def changed(self, project: Project, seq: int, state: ProjectState | None) -> None:
        """Take in the state this worker has just committed as change ``seq`` (None: unchanged)."""
        with self._project_lock("state", project):
            done, current = self._states.get(project.id, (0, None))
            if done == seq - 1:
                self._states[project.id] = (seq, current if state is None else state)


def _current() -> Ledgers:
    registry: Ledgers = current_app.extensions.setdefault("portal.ledgers", Ledgers())
    return registry


# The current app's :class:`Ledgers` (one per app, so tests never share one).
ledgers: Ledgers = LocalProxy(_current)  # type: ignore[assignment]

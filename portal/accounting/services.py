"""The accountant's tools over a project's ledger: read-only BQL, the whole ledger as a file, imports.

Queries and the export work on the same in-memory journal the shares come from, so a query, an
export and the members table always agree. What a query may do is decided by ``ledger.query``
(only reading statements).

**Imports.** What a file may contain is decided by ``ledger.importer.validate`` alone. Here the
portal adds what needs the database: the same file (its sha256) or a transaction already imported
(its identity, kept in ``imported_transactions``) is refused, saying which import holds it; the
import's row, its identities and its posting are written in one transaction through
``portal.projects.services.post_entries``. An import is undone by a reversing posting
(:func:`revert`), never by deleting. The heavy part (parsing, booking, checking 100,000
transactions) runs *before* the project's lock is taken, against the ledger as it then was;
under the lock the file is checked again only if something was posted or changed meanwhile, so
a large import never holds other changes up for long, and what it checked is what it posts.
Web imports and reversals run as jobs (``portal.jobs``: :data:`JOB_KINDS`); the command line runs
the same functions in its own process and prints the same summary.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from beancount.core import data
from flask import current_app
from sqlalchemy import delete, func, insert, select

from ledger import entries as E
from ledger import export as ledger_export
from ledger import importer
from ledger.checks import text as checked_text
from ledger.errors import Conflict, InvalidInput, NotFound, Phrase
from ledger.journal import Journal
from ledger.project import settings
from ledger.query import Limits, QueryResult
from portal.accounting.models import ImportedTransaction, LedgerImport
from portal.clock import fi_datetime, now, today, utcnow
from portal.extensions import db
from portal.jobs.models import Job
from portal.jobs.services import MAX_ID as MAX_NUMBER
from portal.jobs.services import N_, JobContext, enqueue, stored, text_of
from portal.projects.models import LedgerPosting, Project
from portal.projects.services import get_project, journal_for, make_op, post_entries, state_for

CHUNK = 500          # identities looked up per query
FILENAME_LENGTH = 255


def query_limits() -> Limits:
    """How long and how much memory one query may take (``PORTAL_QUERY_SECONDS``, ``PORTAL_QUERY_MEMORY_MB``)."""
    config = current_app.config
    return Limits(seconds=float(config.get("PORTAL_QUERY_SECONDS", 10.0)),
                  memory_bytes=int(config.get("PORTAL_QUERY_MEMORY_MB", 1024)) << 20)


def query(slug: str, text: str) -> QueryResult:
    """Run a read-only BQL query over the project's ledger as it is now, within :func:`query_limits`.

    The journal is caught up (under the worker's lock) and its entry list copied (under the
    journal's); the query itself runs afterwards in a child process, holding no lock a change or
    another request needs, and is ended when it overruns (``ledger.query.run``).
    """
    journal = journal_for(get_project(slug))
    return journal.query(text, query_limits())


def export(project: Project) -> str:
    """The whole ledger as one beancount file that opens in bean-check, bean-query and Fava."""
    state = state_for(project)
    return ledger_export.render(journal_for(project).entries, title=project.name, settings=settings(state), start=state.start)


# -- imports ---------------------------------------------------------------------------------------
def _quiet(stage: str, done: int, total: int) -> None:
    return None


class ImportResult(NamedTuple):
    """What an import (or its reversal) did, as the command line prints it and a job's page shows it."""

    slug: str
    number: int
    filename: str
    transactions: int
    seq: int
    event_id: int
    reverted: bool = False

    @property
    def worded(self) -> dict[str, Any]:
        """The summary as its template and values (``portal.jobs.services.stored``), for the job's page."""
        values = {"number": self.number, "filename": self.filename, "transactions": self.transactions, "seq": self.seq}
        if self.reverted:
            return stored(N_("Reverted import %(number)s (%(filename)s): %(transactions)s transactions reversed in posting %(seq)s"),
                          **values)
        return stored(N_("Imported %(transactions)s transactions from %(filename)s as import %(number)s (posting %(seq)s)"), **values)

    @property
    def summary(self) -> str:
        return text_of(self.worded)

    def to_json(self) -> dict[str, Any]:
        return {**self._asdict(), "summary": self.summary, "worded": self.worded, "links": [
            {"text": N_("The change"), "endpoint": "projects.change", "values": {"slug": self.slug, "event_id": self.event_id}},
            {"text": N_("The imports"), "endpoint": "accounting.import_ledger", "values": {"slug": self.slug}}]}


class _Checked(NamedTuple):
    imported: importer.Imported
    number: int                      # the import's number, if nothing is posted before it
    stamped: list[data.Directive]    # what it posts
    basis: tuple[int, int]           # the project's (ledger_seq, change_seq) it was checked against


def clean_filename(name: str) -> str:
    """The file's own name, as the imports list shows it: no folders, no control characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if c.isprintable()).strip()
    return base[:FILENAME_LENGTH] or "upload.beancount"


def decode(content: bytes, filename: str) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("%(filename)s is not UTF-8 text; save it as UTF-8 and try again", filename=filename) from None


def term_of(project: Project) -> importer.Term:
    state = state_for(project)
    return importer.Term(state.start, state.end, frozenset(state.closed))


def _seen(project_id: int, keys: Sequence[str]) -> dict[str, str]:
    """Which of these identities a live import holds: identity → ``import 3 (payments.beancount)``."""
    found: dict[str, str] = {}
    for start in range(0, len(keys), CHUNK):
        rows = db.session.execute(
            select(ImportedTransaction.identity, LedgerImport.number, LedgerImport.filename)
            .join(LedgerImport, LedgerImport.id == ImportedTransaction.import_id)
            .where(ImportedTransaction.project_id == project_id, ImportedTransaction.identity.in_(keys[start:start + CHUNK])))
        found.update({row.identity: Phrase("import %(number)s (%(filename)s)", number=row.number, filename=row.filename)
                      for row in rows})
    return found


def _same_file(project: Project, digest: str) -> None:
    row = db.session.execute(select(LedgerImport).where(LedgerImport.project_id == project.id, LedgerImport.sha256 == digest,
                                                        LedgerImport.reverted_seq.is_(None))).scalars().first()
    if row is not None:
        raise Conflict("this file was imported already as import %(number)s (%(filename)s, %(at)s by %(actor)s); nothing was added",
                       number=row.number, filename=row.filename, at=fi_datetime(row.created_at), actor=row.actor)


class _Upload(NamedTuple):
    text: str
    digest: str      # sha256 of the file's bytes
    filename: str
    actor: str


def _check(project: Project, upload: _Upload, progress: importer.Progress) -> _Checked:
    """Everything the core and the database say about the file, against the ledger as it is now,
    and the entries to post, stamped with the number the import will have if nothing is posted meanwhile."""
    basis = (project.ledger_seq, project.change_seq)
    _same_file(project, upload.digest)
    opens = [e for e in journal_for(project).entries if isinstance(e, data.Open)]
    checked = importer.validate(upload.text, opens, term_of(project), seen=lambda keys: _seen(project.id, keys), progress=progress)
    number = (db.session.scalar(select(func.max(LedgerImport.number)).where(LedgerImport.project_id == project.id)) or 0) + 1
    stamped = importer.stamp(checked.entries, {"imported-from": upload.filename, "imported-by": upload.actor, "import": Decimal(number)})
    return _Checked(checked, number, stamped, basis)


def import_file(slug: str, content: bytes, *, filename: str, actor: str, progress: importer.Progress = _quiet) -> ImportResult:
    """Validate a .beancount file and append its transactions as one posting: all or nothing."""
    name = clean_filename(filename)
    upload = _Upload(decode(content, name), hashlib.sha256(content).hexdigest(), name, actor)
    checked = _check(get_project(slug), upload, progress)
    progress("posting", checked.imported.transactions, checked.imported.transactions)

    def build(project: Project, journal: Journal) -> tuple[Any, list[data.Directive], dict[str, Any]]:
        nonlocal checked
        if checked.basis != (project.ledger_seq, project.change_seq):  # posted or changed meanwhile: check again
            checked = _check(project, upload, _quiet)
        imported, number = checked.imported, checked.number
        record = LedgerImport(project_id=project.id, number=number, filename=name, sha256=upload.digest, actor=actor[:500],
                              transactions=imported.transactions, ledger_seq=project.ledger_seq + 1)
        db.session.add(record)
        db.session.flush()
        if imported.identities:
            db.session.connection().execute(insert(ImportedTransaction.__table__), [  # Core: no ORM objects for 100,000 rows
                {"import_id": record.id, "project_id": project.id, "identity": key, "line": line} for line, key in imported.identities])
        summary = f"Imported {imported.transactions} transactions from {name} (import {number})"
        op = make_op("ledger-imported", today(), actor, summary, filename=name, number=number, sha256=upload.digest)
        return op, checked.stamped, {"filename": name, "transactions": imported.transactions, "import": number, "sha256": upload.digest}

    outcome = post_entries(slug, build)
    assert outcome.seq is not None
    return ImportResult(slug, checked.number, name, checked.imported.transactions, outcome.seq, outcome.event.id)


def find_import(project: Project, number: int) -> LedgerImport:
    row = db.session.execute(select(LedgerImport).where(LedgerImport.project_id == project.id, LedgerImport.number == number)
                             .execution_options(populate_existing=True)).scalar_one_or_none() if 0 < number <= MAX_NUMBER else None
    if row is None:
        raise NotFound("%(slug)s has no import %(number)s", slug=project.slug, number=number)
    return row


def refuse_reverted(record: LedgerImport) -> None:
    if record.reverted:
        raise Conflict("import %(number)s (%(filename)s) was reverted already, by %(actor)s on %(at)s (posting %(seq)s);"
                       " nothing was changed", number=record.number, filename=record.filename, actor=record.reverted_by,
                       at=fi_datetime(record.reverted_at), seq=record.reverted_seq)


class _Reversal(NamedTuple):
    filename: str
    entries: list[data.Transaction]
    basis: tuple[int, int]


def _reversal(project: Project, number: int, actor: str, why: str) -> _Reversal:
    """The reversing entries of import ``number``, against the project as it is now (its term, its closed years)."""
    basis = (project.ledger_seq, project.change_seq)
    record = find_import(project, number)
    refuse_reverted(record)
    journal_for(project)  # caught up here, so that post_entries has nothing left to read under the lock
    stored = db.session.scalar(select(LedgerPosting.text).where(LedgerPosting.project_id == project.id, LedgerPosting.seq == record.ledger_seq))
    meta = {"change": "ledger-import-reverted", "reverts": f"import {number} ({record.filename})", "actor": actor,
            "recorded": now().isoformat(), "decision": why}
    entries = importer.reverse(E.parse_entries(stored or "", project.slug), today=today(), term=term_of(project),
                               label=f"Reversal of import {number}", meta=meta)
    return _Reversal(record.filename, entries, basis)


def revert(slug: str, number: int, *, actor: str, reason: str, progress: importer.Progress = _quiet) -> ImportResult:
    """Undo import ``number`` by one posting of reversing entries; its identities are released.

    As for an import, the entries are built before the lock and built again under it only if
    something was posted or changed meanwhile.
    """
    why = checked_text(reason, "the reason")
    progress("reversing", 0, 0)
    built = _reversal(get_project(slug), number, actor, why)
    progress("posting", len(built.entries), len(built.entries))

    def build(project: Project, journal: Journal) -> tuple[Any, list[data.Directive], dict[str, Any]]:
        nonlocal built
        record = find_import(project, number)
        refuse_reverted(record)
        if built.basis != (project.ledger_seq, project.change_seq):
            built = _reversal(project, number, actor, why)
        record.reverted_seq, record.reverted_by, record.reverted_at, record.revert_reason = project.ledger_seq + 1, actor[:500], utcnow(), why
        db.session.execute(delete(ImportedTransaction).where(ImportedTransaction.import_id == record.id))
        count = len(built.entries)
        summary = f"Reverted import {number} ({record.filename}): {count} transactions reversed"
        effective = min((t.date for t in built.entries), default=today())
        op = make_op("ledger-import-reverted", effective, actor, summary, why, number=number, filename=record.filename)
        return op, list(built.entries), {"filename": record.filename, "transactions": count, "import": number, "reverted": True}

    outcome = post_entries(slug, build)
    assert outcome.seq is not None
    return ImportResult(slug, number, built.filename, len(built.entries), outcome.seq, outcome.event.id, reverted=True)


def imports_of(project: Project) -> list[LedgerImport]:
    """The project's imports, newest first."""
    return list(db.session.execute(select(LedgerImport).where(LedgerImport.project_id == project.id)
                                   .order_by(LedgerImport.number.desc())).scalars())


# -- as jobs ---------------------------------------------------------------------------------------
def _import_job(context: JobContext) -> dict[str, Any]:
    upload = context.file()
    result = import_file(context.params["slug"], upload.content, filename=upload.filename, actor=context.actor,
                         progress=context.progress)
    return result.to_json()


def _revert_job(context: JobContext) -> dict[str, Any]:
    params = context.params
    return revert(params["slug"], int(params["number"]), actor=context.actor, reason=params["reason"],
                  progress=context.progress).to_json()


JOB_KINDS = {"ledger-import": _import_job, "ledger-import-revert": _revert_job}


def enqueue_import(slug: str, content: bytes, *, filename: str, actor: str, user_id: int | None) -> Job:
    """Queue the import of an uploaded file (kept in the job's row, so any worker can run it)."""
    project = get_project(slug)
    name = clean_filename(filename)
    decode(content, name)  # a file that is not text is refused at once, on the form
    return enqueue("ledger-import", {"slug": project.slug}, actor, user_id=user_id, file=(name, content),
                   title=stored(N_("Import of %(filename)s into %(project)s"), filename=name, project=project.name))


def enqueue_revert(slug: str, number: int, *, reason: str, actor: str, user_id: int | None) -> Job:
    project = get_project(slug)
    record = find_import(project, number)
    refuse_reverted(record)
    why = checked_text(reason, "the reason")
    return enqueue("ledger-import-revert", {"slug": project.slug, "number": number, "reason": why}, actor, user_id=user_id,
                   title=stored(N_("Reversal of import %(number)s (%(filename)s) in %(project)s"), number=number,
                                filename=record.filename, project=project.name))

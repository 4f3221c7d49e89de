"""Attaching and withdrawing documents, recording signatures, and who may read them: the only
place that changes the documents' and signatures' rows.

Each change is one transaction with its audit record (``portal.audit``): a refused upload or
signature stores nothing. Documents and signatures sit beside the ledger: they never change a
share, so they do not go through ``portal.projects.services.change``; they refer to the project
and, for a document, to one of its recorded changes (a ``project_changes`` row, by its number).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple, Protocol

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ledger import municipalities as M
from ledger.errors import Conflict, InvalidInput, NotFound, Word
from ledger.project import KINDS as CHANGE_KINDS
from portal import audit, clock
from portal.audit import AuditEvent
from portal.documents import agreement
from portal.documents.files import check_pdf, digest, size_text
from portal.documents.models import KINDS, SIGNER_LENGTH, TEXT_LENGTH, TITLE_LENGTH, Document, Signature
from portal.errors import Forbidden
from portal.extensions import db
from portal.projects import privacy
from portal.projects.models import Project, ProjectChange
from portal.projects.services import get_project, state_for

EARLIEST_SIGNATURE = dt.timedelta(days=366)  # an agreement is signed at most a year before its term starts


class Reader(Protocol):
    """What the access rule needs of a user (``portal.accounts.models.User``)."""

    city_code: str | None

    def has_role(self, *roles: str) -> bool: ...


def may_read(user: Reader, project: Project) -> bool:
    """The users of a project: its leads, accountants and admins, and the users of every city that
    is or has been one of its members (a former member is a party to what it signed)."""
    if user.has_role("lead", "accountant"):
        return True
    return bool(user.has_role("contact") and user.city_code and user.city_code in state_for(project).codes())


def require_reader(user: Reader, project: Project) -> None:
    if not may_read(user, project):
        raise Forbidden("the documents of %(project)s are for the users of its member cities only", project=project.name)


def _commit() -> None:
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def _text(value: str | None, what: Word, limit: int, *, required: bool = True) -> str:
    text = " ".join((value or "").split())
    if required and not text:
        raise InvalidInput("give the %(what)s", what=what)
    if len(text) > limit:
        raise InvalidInput("the %(what)s is %(length)s characters long; at most %(limit)s are kept",
                           what=what, length=len(text), limit=limit)
    return text


# -- the changes documents are attached to --------------------------------------------------------
def change_row(project: Project, number: int) -> ProjectChange:
    """The project's recorded change number ``number`` (as ``portal document add --change N`` names it)."""
    row = db.session.execute(select(ProjectChange).where(ProjectChange.project_id == project.id,
                                                         ProjectChange.seq == number)).scalar_one_or_none()
    if row is None:
        raise NotFound("%(project)s has no change %(number)s (its changes are numbered 1 to %(last)s)",
                       project=project.name, number=number, last=project.change_seq)
    return row


def change_of_event(project: Project, event: AuditEvent) -> ProjectChange | None:
    """The recorded change an audit record of the change page tells of (None for other records).

    A change and its audit record are written together: the same posting, or else the same op.
    """
    if event.project_id != project.id or event.action not in CHANGE_KINDS:
        return None
    query = select(ProjectChange).where(ProjectChange.project_id == project.id, ProjectChange.kind == event.action)
    if event.ledger_seq is not None:
        return db.session.execute(query.where(ProjectChange.ledger_seq == event.ledger_seq)).scalar_one_or_none()
    op = event.details.get("op")
    rows = db.session.execute(query.where(ProjectChange.ledger_seq.is_(None))).scalars()
    return next((row for row in rows if row.op == op), None) if op else None


def event_of_change(project: Project, row: ProjectChange) -> AuditEvent | None:
    """The audit record of a recorded change: what the change page shows."""
    query = select(AuditEvent).where(AuditEvent.project_id == project.id, AuditEvent.action == row.kind)
    if row.ledger_seq is not None:
        return db.session.execute(query.where(AuditEvent.ledger_seq == row.ledger_seq)).scalars().first()
    op = row.op
    events = db.session.execute(query.where(AuditEvent.ledger_seq.is_(None))).scalars()
    return next((event for event in events if event.details.get("op") == op), None)


def attached_changes(project: Project, rows: list[Document]) -> dict[int, tuple[int, int | None]]:
    """For each change the documents are attached to (by its row id): its number and its audit record's id."""
    found: dict[int, tuple[int, int | None]] = {}
    for change_id in sorted({d.change_id for d in rows if d.change_id is not None}):
        row = db.session.get(ProjectChange, change_id)
        if row is not None:
            event = event_of_change(project, row)
            found[change_id] = (row.seq, event.id if event else None)
    return found


def visible(project: Project, rows: list[Document], who: privacy.Viewer) -> list[Document]:
    """The documents ``who`` may see: not those attached to a change about another city's own cost
    (a decision on its charge or its grant), whose page it may not open either."""
    if who.sees_all:
        return rows
    state = state_for(project)
    hidden: set[int] = set()
    for change_id, (_seq, event_id) in attached_changes(project, rows).items():
        event = db.session.get(AuditEvent, event_id) if event_id is not None else None
        if event is not None and not who.sees(privacy.owner(event, state)):
            hidden.add(change_id)
    return [d for d in rows if d.change_id not in hidden]


# -- documents ------------------------------------------------------------------------------------
def limit_mb() -> int:
    return int(current_app.config["PORTAL_MAX_DOCUMENT_MB"])


def documents_of(project: Project, change: ProjectChange | None = None) -> list[Document]:
    """The project's documents (or one change's), oldest first, withdrawn ones included."""
    query = select(Document).where(Document.project_id == project.id).order_by(Document.id)
    if change is not None:
        query = query.where(Document.change_id == change.id)
    return list(db.session.execute(query).scalars())


def get_document(project: Project, document_id: int) -> Document:
    document = db.session.get(Document, document_id)
    if document is None or document.project_id != project.id:
        raise NotFound("%(project)s has no document %(document)s", project=project.name, document=document_id)
    return document


def attach(slug: str, data: bytes, *, filename: str, title: str, kind: str, actor: str, change: int | None = None) -> Document:
    """Store a PDF for the project (or its change ``change``) with its audit record; refuse anything else."""
    project = get_project(slug)
    title = _text(title, Word("title"), TITLE_LENGTH)
    if kind not in KINDS:
        raise InvalidInput("the kind of a document is one of %(kinds)s, not %(kind)r", kinds=", ".join(KINDS), kind=kind)
    row = change_row(project, change) if change is not None else None
    filename = (filename or "document.pdf").replace("\\", "/").rsplit("/", 1)[-1][:255] or "document.pdf"
    pages = check_pdf(data, filename, limit_mb())
    sha = digest(data)
    same = select(Document).where(Document.project_id == project.id, Document.sha256 == sha, Document.withdrawn_at.is_(None),
                                  Document.change_id == row.id if row else Document.change_id.is_(None))
    twin = db.session.execute(same).scalars().first()
    if twin is not None:
        raise Conflict("this file is attached already, as document %(document)s “%(title)s”", document=twin.id, title=twin.title)
    try:
        document = Document(project_id=project.id, change_id=row.id if row else None, title=title, kind=kind, filename=filename,
                            size=len(data), sha256=sha, content=data, attached_by=actor)
        db.session.add(document)
        db.session.flush()
        where = f" to change {row.seq}" if row else ""
        audit.record(actor, "document-attached", {
            "summary": f"Document “{title}” ({kind}, {size_text(len(data))}) attached{where}", "document": document.id,
            "title": title, "kind": kind, "filename": filename, "size": len(data), "pages": pages, "sha256": sha,
            "change": row.seq if row else None}, project_id=project.id)
    except BaseException:
        db.session.rollback()
        raise
    _commit()
    return document


def withdraw(slug: str, document_id: int, *, reason: str, actor: str) -> Document:
    """Mark a document withdrawn, with who and why; it stays stored and listed, as withdrawn."""
    project = get_project(slug)
    document = get_document(project, document_id)
    reason = _text(reason, Word("reason for withdrawing it"), TEXT_LENGTH)
    if document.withdrawn:
        raise Conflict("document %(document)s “%(title)s” was withdrawn already, by %(by)s", document=document.id,
                       title=document.title, by=document.withdrawn_by)
    document.withdrawn_at, document.withdrawn_by, document.withdrawn_reason = clock.utcnow(), actor, reason
    audit.record(actor, "document-withdrawn", {"summary": f"Document “{document.title}” withdrawn: {reason}",
                                               "document": document.id, "reason": reason, "sha256": document.sha256},
                 project_id=project.id)
    _commit()
    return document


# -- signatures of the agreement ------------------------------------------------------------------
class SignatureLine(NamedTuple):
    """A signature as pages and the JSON show it."""

    row: Signature
    name: str            # the city's name
    accession: bool      # signed for a membership that began after the term's start: an accession
    party: bool          # its period is the city's membership today


class Agreement(NamedTuple):
    status: agreement.Status
    sentence: str
    signatures: list[SignatureLine]
    names: dict[str, str]


def signatures_of(project: Project) -> list[Signature]:
    query = select(Signature).where(Signature.project_id == project.id).order_by(Signature.signed_on, Signature.id)
    return list(db.session.execute(query).scalars())


def _check_date(project: Project, signed_on: dt.date) -> None:
    state = state_for(project)
    if signed_on > clock.today():
        raise InvalidInput("a signature cannot be dated in the future (%(date)s)", date=clock.fi_date(signed_on))
    if signed_on > state.end:
        raise InvalidInput("the signature date %(date)s is after the term ends (%(end)s)", date=clock.fi_date(signed_on),
                           end=clock.fi_date(state.end))
    if signed_on < state.start - EARLIEST_SIGNATURE:
        raise InvalidInput("the signature date %(date)s is more than a year before the term starts (%(start)s)",
                           date=clock.fi_date(signed_on), start=clock.fi_date(state.start))


def _period(project: Project, code: str, signed_on: dt.date) -> dt.date:
    """The join date of the membership the signature binds the city for; refuses a city it binds for none."""
    periods = state_for(project).periods(code)
    label = f"{M.lookup(code).name} ({code})"
    if not periods:
        raise Conflict("%(city)s is not a member of %(project)s; only its members sign its agreement", city=label,
                       project=project.name)
    period = agreement.period_for(periods, signed_on)
    if period is None:
        raise Conflict("%(city)s left %(project)s on %(left)s; a signature dated %(date)s binds it for no membership",
                       city=label, project=project.name, left=clock.fi_date(periods[-1].left or signed_on),
                       date=clock.fi_date(signed_on))
    twin = db.session.execute(select(Signature).where(Signature.project_id == project.id, Signature.city_code == code,
                                                      Signature.period_joined == period.joined)).scalar_one_or_none()
    if twin is not None:
        raise Conflict("%(city)s has signed already for its membership from %(joined)s: on %(signed)s, by %(signer)s",
                       city=label, joined=clock.fi_date(period.joined), signed=clock.fi_date(twin.signed_on),
                       signer=twin.signer)
    return period.joined


def sign(slug: str, code: str, *, signer: str, signed_on: dt.date, actor: str, decision: str = "",
         document_id: int | None = None) -> Signature:
    """Record one member's signature of the agreement (or of an accession to it), with its audit record."""
    project = get_project(slug)
    city = M.lookup(code)
    signer = _text(signer, Word("signer's name and title"), SIGNER_LENGTH)
    decision = _text(decision, Word("decision"), TEXT_LENGTH, required=False)
    _check_date(project, signed_on)
    joined = _period(project, city.code, signed_on)
    if document_id is not None and get_document(project, document_id).withdrawn:
        raise Conflict("document %(document)s has been withdrawn; name one that stands", document=document_id)
    row = Signature(project_id=project.id, city_code=city.code, period_joined=joined, signer=signer, signed_on=signed_on,
                    decision=decision, document_id=document_id, recorded_by=actor)
    try:
        db.session.add(row)
        db.session.flush()
    except IntegrityError:  # the same signature, recorded by someone else a moment ago
        db.session.rollback()
        raise Conflict("%(city)s has signed already for its membership from %(joined)s",
                       city=f"{city.name} ({city.code})", joined=clock.fi_date(joined)) from None
    audit.record(actor, "agreement-signed", {
        "summary": f"{city.name} ({city.code}) signed the agreement on {clock.fi_date(signed_on)} ({signer})",
        "city": city.code, "signer": signer, "signed_on": signed_on.isoformat(), "decision": decision,
        "document": document_id, "period_joined": joined.isoformat()}, project_id=project.id)
    _commit()
    return row


def agreement_of(project: Project, on: dt.date | None = None) -> Agreement:
    """The agreement's status today (or ``on``), its sentence and every signature recorded."""
    state = state_for(project)
    day = on or clock.today()
    rows = signatures_of(project)
    result = agreement.status(state.members, [agreement.Signed(r.city_code, r.period_joined, r.signed_on) for r in rows], day)
    names = {code: M.lookup(code).name for code in state.codes()}
    lines = [SignatureLine(row, names.get(row.city_code, row.city_code), row.period_joined > state.start,
                           any(p.joined == row.period_joined and (p.left is None or day <= p.left) for p in state.periods(row.city_code)))
             for row in rows]
    return Agreement(result, agreement.describe(result, names), lines, names)


def agreement_json(project: Project) -> dict[str, Any]:
    """``/api/v1/projects/<slug>/agreement``: dates as ISO strings, cities by code and name."""
    found = agreement_of(project)
    status = found.status

    def city(code: str) -> dict[str, str]:
        return {"city": code, "name": found.names.get(code, code)}

    return {"in_force": status.in_force, "since": status.since.isoformat() if status.since else None, "on": status.on.isoformat(),
            "text": found.sentence, "parties": [city(c) for c in status.parties], "missing": [city(c) for c in status.missing],
            "upcoming": [city(c) for c in status.upcoming],
            "signed": [{**city(line.row.city_code), "signer": line.row.signer, "date": line.row.signed_on.isoformat(),
                        "decision": line.row.decision, "document": line.row.document_id, "accession": line.accession,
                        "party": line.party, "membership_from": line.row.period_joined.isoformat()}
                       for line in found.signatures]}

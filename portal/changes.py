"""Every change to a project, each in one database transaction with its audit record and entry.

A change takes the project's row lock first (see :func:`_lock`), so two changes at the same
moment are serialised and neither is lost. It catches the journal up under that lock, computes
with the pure core (``ledger.recalc``), writes the membership rows, the audit record and the
ledger posting, and commits. Only after the commit does the in-memory journal take in the new
entries: a failed change leaves both the database and the ledger as they were.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Callable, NamedTuple, Sequence

from beancount.core import data
from sqlalchemy import select, update

from ledger import entries as E
from ledger import importer
from ledger import municipalities as M
from ledger.allocation import Member, Rule, make_rule
from ledger.errors import Conflict, InvalidInput, LedgerError, NotFound
from ledger.journal import Journal
from ledger.money import fmt
from ledger.recalc import Change, Recalculation, ShareRow, recalculate
from portal.extensions import db
from portal.ledgers import ledgers
from portal.models import AuditEvent, LedgerPosting, Membership, Project

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class Outcome(NamedTuple):
    """What a change did: its audit record, the new shares table and the posting number."""

    event: AuditEvent
    recalculation: Recalculation | None
    seq: int | None


def today() -> dt.date:
    return dt.date.today()


def get_project(slug: str) -> Project:
    project = db.session.execute(select(Project).where(Project.slug == slug)).scalar_one_or_none()
    if project is None:
        raise NotFound(f"no project {slug!r}")
    return project


def journal_for(project: Project) -> Journal:
    return ledgers.get(project)


def current_members(project: Project) -> list[Membership]:
    return list(
        db.session.execute(
            select(Membership).where(Membership.project_id == project.id, Membership.left.is_(None)).order_by(Membership.city_code)
        ).scalars()
    )


def project_rule(project: Project) -> Rule:
    return Rule(project.rule, project.population_year)


def _lock(slug: str) -> Project:
    """Take the project's write lock: the first statement of the transaction is an UPDATE of its row.

    PostgreSQL holds the row lock, SQLite its database write lock, until commit or rollback;
    a concurrent change waits here and then reads what this one committed.
    """
    result = db.session.execute(update(Project).where(Project.slug == slug).values(lock_version=Project.lock_version + 1))
    if result.rowcount == 0:
        raise NotFound(f"no project {slug!r}")
    return db.session.execute(select(Project).where(Project.slug == slug).execution_options(populate_existing=True)).scalar_one()


def _names(codes: Sequence[str], journal: Journal) -> dict[str, str]:
    known = {c: M.lookup(c).name for c in codes}
    for code in journal.assessed():
        known.setdefault(code, M.lookup(code).name)
    return known


def _members(project: Project, rows: Sequence[Membership]) -> list[Member]:
    year = project.population_year if project.rule == "population" else None
    return [Member(r.city_code, M.lookup(r.city_code, year).name, M.lookup(r.city_code, year).population) for r in rows]


def _share_rows(rows: Sequence[ShareRow]) -> list[dict]:
    return [{"city": r.code, "name": r.name, "before": fmt(r.before), "after": fmt(r.after), "difference": fmt(r.difference)} for r in rows]


def _commit_change(
    project: Project,
    journal: Journal,
    *,
    actor: str,
    action: str,
    change: Change,
    details: dict,
) -> Outcome:
    """Recalculate every share after a change to the session's rows, post, audit and commit."""
    db.session.flush()
    rows = current_members(project)
    members = _members(project, rows)
    names = _names([m.code for m in members], journal)
    recalculation = recalculate(
        total=project.budget_cents,
        rule=project_rule(project),
        members=members,
        assessed=journal.assessed(),
        names=names,
        change=change,
        start=project.start,
        open_accounts=journal.accounts(),
    )
    built = recalculation.entries()
    seq = _post(project, built) if built else None
    event = AuditEvent(actor=actor, action=action, project_id=project.id, ledger_seq=seq)
    event.details = {
        **details,
        "summary": change.summary,
        "decision": change.decision,
        "effective": change.effective.isoformat(),
        "rule": project_rule(project).describe(),
        "members": len(members),
        "allocated": fmt(project.budget_cents),
        "extra_cent": list(recalculation.allocation.extra_cent),
        "shares": _share_rows(recalculation.rows),
    }
    db.session.add(event)
    db.session.commit()
    if seq is not None:
        ledgers.posted(project, seq, built)
    return Outcome(event, recalculation, seq)


def _post(project: Project, entries: Sequence[data.Directive]) -> int:
    seq = project.ledger_seq + 1
    db.session.add(LedgerPosting(project_id=project.id, seq=seq, text="\n".join(E.format_entry(e) for e in entries)))
    project.ledger_seq = seq
    return seq


def _run(fn: Callable[[], Outcome]) -> Outcome:
    """Run one change; on any error roll the database back so nothing of it remains."""
    try:
        return fn()
    except BaseException:
        db.session.rollback()
        raise


# -- the changes ---------------------------------------------------------------------------------
def create_project(
    slug: str, *, name: str, budget: int, start: dt.date, end: dt.date, rule: str,
    population_year: int | None, actor: str,
) -> Outcome:
    slug = (slug or "").strip()
    if not SLUG.match(slug):
        raise InvalidInput(f"project id {slug!r} must be 2 to 63 lower-case letters, digits or dashes")
    if not (name or "").strip():
        raise InvalidInput("the project needs a name")
    if end <= start:
        raise InvalidInput(f"the end date {end} must come after the start date {start}")
    checked = make_rule(rule, population_year)
    if budget < 0:
        raise InvalidInput("the budget must not be negative")
    if db.session.execute(select(Project.id).where(Project.slug == slug)).first():
        raise Conflict(f"a project {slug!r} exists already")

    def apply() -> Outcome:
        project = Project(slug=slug, name=name.strip(), budget_cents=budget, start=start, end=end, rule=checked.kind,
                          population_year=checked.population_year, ledger_seq=0, lock_version=0)
        db.session.add(project)
        db.session.flush()
        opening = [E.open_entry(start, E.CONTRIBUTIONS, {})]
        seq = _post(project, opening)
        event = AuditEvent(actor=actor, action="project-created", project_id=project.id, ledger_seq=seq)
        event.details = {"name": project.name, "budget": fmt(budget), "start": start.isoformat(), "end": end.isoformat(),
                         "rule": checked.describe(), "summary": f"Project {project.name} created", "shares": []}
        db.session.add(event)
        db.session.commit()
        ledgers.posted(project, seq, opening)
        return Outcome(event, None, seq)

    return _run(apply)


def add_members(slug: str, codes: Sequence[str], *, joined: dt.date, decision: str, actor: str) -> Outcome:
    """Several cities joining in one change: one recalculation, one entry."""
    wanted = [M.normalise_code(c) for c in codes if str(c).strip()]
    if not wanted:
        raise InvalidInput("name at least one city to add")
    if len(set(wanted)) != len(wanted):
        raise InvalidInput("a city is named twice")
    for code in wanted:
        M.lookup(code)

    def apply() -> Outcome:
        project = _lock(slug)
        journal = ledgers.get(project)
        present = {m.city_code for m in current_members(project)}
        already = [c for c in wanted if c in present]
        if already:
            raise Conflict("already a member: " + ", ".join(f"{M.lookup(c).name} ({c})" for c in already))
        if joined > project.end:
            raise InvalidInput(f"the join date {joined} is after the project ends ({project.end})")
        for code in wanted:
            db.session.add(Membership(project_id=project.id, city_code=code, joined=joined, join_decision=decision or ""))
        names = ", ".join(f"{M.lookup(c).name} ({c})" for c in wanted)
        verb = "joins" if len(wanted) == 1 else "join"
        change = Change("members-added", joined, actor, f"{names} {verb} on {joined}", decision or "")
        return _commit_change(project, journal, actor=actor, action="members-added", change=change, details={"cities": wanted})

    return _run(apply)


def withdraw_member(slug: str, code: str, *, left: dt.date, decision: str, actor: str) -> Outcome:
    code = M.normalise_code(code)
    city = M.lookup(code)

    def apply() -> Outcome:
        project = _lock(slug)
        journal = ledgers.get(project)
        row = next((m for m in current_members(project) if m.city_code == code), None)
        if row is None:
            raise Conflict(f"{city.name} ({code}) is not a member of {project.name}")
        if left < row.joined:
            raise InvalidInput(f"the leave date {left} is before {city.name} joined ({row.joined})")
        row.left = left
        row.leave_decision = decision or ""
        change = Change("member-withdrawn", left, actor, f"{city.name} ({code}) leaves on {left}", decision or "")
        return _commit_change(project, journal, actor=actor, action="member-withdrawn", change=change, details={"cities": [code]})

    return _run(apply)


def set_budget(slug: str, *, budget: int, actor: str, decision: str = "", effective: dt.date | None = None) -> Outcome:
    if budget < 0:
        raise InvalidInput("the budget must not be negative")

    def apply() -> Outcome:
        project = _lock(slug)
        journal = ledgers.get(project)
        before = project.budget_cents
        project.budget_cents = budget
        when = effective or today()
        change = Change("budget-changed", when, actor, f"Budget changed from {fmt(before)} to {fmt(budget)} EUR", decision or "")
        return _commit_change(project, journal, actor=actor, action="budget-changed", change=change,
                              details={"budget_before": fmt(before), "budget_after": fmt(budget)})

    return _run(apply)


def set_rule(slug: str, *, rule: str, population_year: int | None, actor: str, decision: str = "", effective: dt.date | None = None) -> Outcome:
    checked = make_rule(rule, population_year)

    def apply() -> Outcome:
        project = _lock(slug)
        journal = ledgers.get(project)
        before = project_rule(project).describe()
        project.rule, project.population_year = checked.kind, checked.population_year
        when = effective or today()
        change = Change("rule-changed", when, actor, f"Allocation rule changed from {before} to {checked.describe()}", decision or "")
        return _commit_change(project, journal, actor=actor, action="rule-changed", change=change,
                              details={"rule_before": before, "rule_after": checked.describe()})

    return _run(apply)


def import_ledger(slug: str, text: str, *, filename: str, actor: str) -> Outcome:
    """Append a validated .beancount file's transactions as one posting: all or nothing."""

    def apply() -> Outcome:
        project = _lock(slug)
        journal = ledgers.get(project)
        opens = [e for e in journal.entries if isinstance(e, data.Open)]
        validated = importer.validate(text, opens)
        stamped = importer.stamp(validated, {"imported-from": filename, "imported-by": actor})
        seq = _post(project, stamped)
        count = sum(isinstance(e, data.Transaction) for e in stamped)
        event = AuditEvent(actor=actor, action="ledger-imported", project_id=project.id, ledger_seq=seq)
        event.details = {"filename": filename, "transactions": count, "summary": f"Imported {count} transactions from {filename}", "shares": []}
        db.session.add(event)
        db.session.commit()
        ledgers.posted(project, seq, stamped)
        return Outcome(event, None, seq)

    return _run(apply)


# -- reading -------------------------------------------------------------------------------------
class ShareLine(NamedTuple):
    code: str
    name: str
    population: int
    joined: dt.date | None
    left: dt.date | None
    share: int           # cents, as assessed in the ledger


def shares(project: Project) -> list[ShareLine]:
    """Every current member with its share as the ledger has assessed it, by code."""
    journal = journal_for(project)
    assessed = journal.assessed()
    lines = []
    for row in current_members(project):
        city = M.lookup(row.city_code, project.population_year if project.rule == "population" else None)
        lines.append(ShareLine(row.city_code, city.name, city.population, row.joined, row.left, assessed.get(row.city_code, 0)))
    return lines


__all__ = ["LedgerError", "Outcome", "add_members", "withdraw_member", "set_budget", "set_rule", "import_ledger", "create_project", "shares"]

"""Every change to a project, each in one database transaction with its audit record and entries.

A change is a ``ledger.project.Op``. It takes the project's row lock first (see :func:`_lock`), so
two changes at the same moment are serialised and neither is lost. Under the lock it catches the
journal and the project's state up, lets the pure core apply the op and recalculate
(``ledger.recalc.step``), and writes the op, the membership rows, the audit record and the ledger
posting; then it commits. Only after the commit do the in-memory journal and state take in the
change: a refused or failed change leaves the database and the ledger as they were.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, Callable, Mapping, NamedTuple, Sequence

from beancount.core import data
from sqlalchemy import select, update

from ledger import entries as E
from ledger import importer
from ledger import municipalities as M
from ledger.errors import Conflict, InvalidInput, LedgerError, NotFound
from ledger.journal import Journal
from ledger.money import fmt
from ledger.project import Op, ProjectState, apply, parse_hours, population_params, spread, version_for, version_from_json, version_to_json
from ledger.recalc import Recalculation, step
from ledger.rules import freeze_populations, make_version
from portal.extensions import db
from portal.ledgers import ledgers
from portal.models import AuditEvent, LedgerPosting, Membership, Project, ProjectChange

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class Outcome(NamedTuple):
    """What a change did: its audit record, the recalculation and the posting number."""

    event: AuditEvent
    recalculation: Recalculation | None
    seq: int | None


def today() -> dt.date:
    return dt.date.today()


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def get_project(slug: str) -> Project:
    project = db.session.execute(select(Project).where(Project.slug == slug)).scalar_one_or_none()
    if project is None:
        raise NotFound(f"no project {slug!r}")
    return project


def journal_for(project: Project) -> Journal:
    return ledgers.get(project)


def state_for(project: Project) -> ProjectState:
    state = ledgers.state(project)
    if state is None:
        raise NotFound(f"project {project.slug!r} has no recorded changes")
    return state


def current_members(project: Project) -> list[Membership]:
    return list(
        db.session.execute(
            select(Membership).where(Membership.project_id == project.id, Membership.left.is_(None)).order_by(Membership.city_code)
        ).scalars()
    )


def rule_label(project: Project) -> str:
    """The rule in force today (or for the nearest project year), as a short label."""
    state = state_for(project)
    year = min(max(today().year, state.start.year), state.end.year)
    return version_for(state, year).describe()


def _lock(slug: str) -> Project:
    """Take the project's write lock: the first statement of the transaction is an UPDATE of its row.

    PostgreSQL holds the row lock, SQLite its database write lock, until commit or rollback;
    a concurrent change waits here and then reads what this one committed.
    """
    result = db.session.execute(update(Project).where(Project.slug == slug).values(lock_version=Project.lock_version + 1))
    if result.rowcount == 0:
        raise NotFound(f"no project {slug!r}")
    return db.session.execute(select(Project).where(Project.slug == slug).execution_options(populate_existing=True)).scalar_one()


def _rows(rows: Sequence[Any]) -> list[dict]:
    return [{"city": r.code, "name": r.name, "before": fmt(r.before), "after": fmt(r.after), "difference": fmt(r.difference)} for r in rows]


def _sync(project: Project, after: ProjectState, op: Op) -> None:
    """Bring the membership rows and the project's summary columns in line with the new state."""
    rows = {m.city_code: m for m in db.session.execute(select(Membership).where(Membership.project_id == project.id)).scalars()}
    for m in after.members:
        row = rows.get(m.code)
        if row is None:
            db.session.add(Membership(project_id=project.id, city_code=m.code, joined=m.joined, join_decision=op.decision))
        elif row.left != m.left:
            row.left, row.leave_decision = m.left, op.decision
    year = min(max(today().year, after.start.year), after.end.year)
    version = version_for(after, year)
    project.name, project.start, project.end, project.policy = after.name, after.start, after.end, after.policy
    project.budget_cents, project.rule, project.population_year = after.total, version.kind, version.population_year


def _post(project: Project, entries: Sequence[data.Directive]) -> int:
    seq = project.ledger_seq + 1
    db.session.add(LedgerPosting(project_id=project.id, seq=seq, text="\n".join(E.format_entry(e) for e in entries)))
    project.ledger_seq = seq
    return seq


def _record(project: Project, op: Op, ledger_seq: int | None) -> int:
    seq = project.change_seq + 1
    row = ProjectChange(project_id=project.id, seq=seq, kind=op.kind, ledger_seq=ledger_seq)
    row.op = op.to_json()
    db.session.add(row)
    project.change_seq = seq
    return seq


def _details(op: Op, result: Recalculation) -> dict:
    details: dict[str, Any] = {"summary": op.summary, "decision": op.decision, "effective": op.effective.isoformat(),
                               "shares": _rows(result.rows), "op": op.to_json()}
    year = min(max(op.effective.year, result.state.start.year), result.state.end.year)
    details |= {"rule": version_for(result.state, year).describe(), "policy": result.state.policy,
                "members": len(result.state.current()), "allocated": fmt(result.state.total), "budget": fmt(result.state.total)}
    if result.cells:
        details["cells"] = [{"year": c.year, "city": c.code, "before": fmt(c.before), "after": fmt(c.after)} for c in result.cells]
    if result.blocked:
        details["blocked"] = [{"year": b.year, "city": b.code, "kept": fmt(b.kept), "would_be": fmt(b.would_be)} for b in result.blocked]
    if result.charges:
        details["charges"] = [{"city": c.code, "date": c.date.isoformat(), "amount": fmt(c.cents), "text": c.text} for c in result.charges]
    return details


def change(slug: str, build: Callable[[ProjectState, Project], Op]) -> Outcome:
    """Run one change: lock, build the op from the current state, apply, post, record, commit."""
    try:
        project = _lock(slug)
        journal = ledgers.get(project)
        before = ledgers.state(project)
        op = build(before, project)  # type: ignore[arg-type]  # None only while creating
        result = step(before, op, assessed=journal.assessed_cells(), open_accounts=journal.accounts())
        built = result.entries()
        seq = _post(project, built) if built else None
        _sync(project, result.state, op)
        change_seq = _record(project, op, seq)
        event = AuditEvent(actor=op.actor, action=op.kind, project_id=project.id, ledger_seq=seq)
        event.details = _details(op, result)
        db.session.add(event)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if seq is not None:
        ledgers.posted(project, seq, built)
    ledgers.changed(project, change_seq, result.state)
    return Outcome(event, result, seq)


def _op(kind: str, effective: dt.date, actor: str, summary: str, decision: str = "", **params: Any) -> Op:
    return Op(kind, effective, actor, now(), summary, (decision or "").strip(), params)


def _name(code: str) -> str:
    return f"{M.lookup(code).name} ({code})"


# -- the changes ---------------------------------------------------------------------------------
def rule_params(kind: str, *, effective: dt.date, decision: str = "", population_year: int | None = None,
                codes: Sequence[str] = (), base_percent: Any = None, percentages: Mapping[str, Any] | None = None,
                caps: Mapping[str, int] | None = None, floors: Mapping[str, int] | None = None) -> dict:
    """A validated rule version as JSON, with the populations of its year frozen for ``codes``."""
    pops = None
    if kind in ("population", "hybrid"):
        if population_year is None:
            raise InvalidInput(f"the {kind} rule needs a reference year (--population-year)")
        if population_year not in M.available_years():
            raise InvalidInput(f"no population figures for {population_year}; available: {', '.join(map(str, M.available_years()))}")
        pops = freeze_populations(codes, population_year)
    norm = lambda m: {M.normalise_code(c): v for c, v in (m or {}).items()} or None  # noqa: E731
    version = make_version(kind, effective, decision, population_year=population_year if pops is not None else None,
                           populations=pops, base_percent=base_percent,
                           percentages=norm(percentages), caps=norm(caps), floors=norm(floors))
    return version_to_json(version)


def create_project(slug: str, *, name: str, start: dt.date, end: dt.date, rule: str = "equal", population_year: int | None = None,
                   budget: int | None = None, years: Mapping[int, int] | None = None, policy: str = "whole-term",
                   actor: str, decision: str = "", **rule_kw: Any) -> Outcome:
    """A new project; ``budget`` (a total, spread over the years by days) or ``years`` (cents per year)."""
    slug = (slug or "").strip()
    if not SLUG.match(slug):
        raise InvalidInput(f"project id {slug!r} must be 2 to 63 lower-case letters, digits or dashes")
    if not (name or "").strip():
        raise InvalidInput("the project needs a name")
    if end <= start:
        raise InvalidInput(f"the end date {end} must come after the start date {start}")
    if (budget is None) == (years is None):
        raise InvalidInput("give the budget either as a total or by years")
    if budget is not None and budget < 0:
        raise InvalidInput("the budget must not be negative")
    by_year = spread(budget, start, end) if budget is not None else dict(years or {})
    version = rule_params(rule, effective=start, decision=decision, population_year=population_year, **rule_kw)
    op = _op("project-created", start, actor, f"Project {name.strip()} created", decision, name=name, start=start.isoformat(),
             end=end.isoformat(), policy=policy, budget={str(y): c for y, c in by_year.items()}, rule=version)
    apply(None, op)  # validate before touching the database
    if db.session.execute(select(Project.id).where(Project.slug == slug)).first():
        raise Conflict(f"a project {slug!r} exists already")
    try:
        project = Project(slug=slug, name=name.strip(), budget_cents=0, start=start, end=end, rule=rule, population_year=None,
                          ledger_seq=0, lock_version=0, change_seq=0, policy=policy)
        db.session.add(project)
        db.session.flush()
    except BaseException:
        db.session.rollback()
        raise
    return change(slug, lambda state, p: op)


def add_members(slug: str, codes: Sequence[str], *, joined: dt.date, decision: str, actor: str) -> Outcome:
    """Several cities joining in one change: one recalculation, one entry (and joining fees, if any)."""
    wanted = [M.normalise_code(c) for c in codes if str(c).strip()]
    for code in wanted:
        M.lookup(code)

    def build(state: ProjectState, project: Project) -> Op:
        verb = "joins" if len(wanted) == 1 else "join"
        return _op("members-added", joined, actor, f"{', '.join(map(_name, wanted))} {verb} on {joined}", decision,
                   cities=wanted, populations=population_params(state, wanted))

    return change(slug, build)


def withdraw_member(slug: str, code: str, *, left: dt.date, decision: str, actor: str) -> Outcome:
    code = M.lookup(code).code
    return change(slug, lambda s, p: _op("member-withdrawn", left, actor, f"{_name(code)} leaves on {left}", decision, city=code))


def set_budget(slug: str, *, budget: int | None = None, year: int | None = None, amount: int | None = None, actor: str,
               decision: str = "", effective: dt.date | None = None) -> Outcome:
    """One year's budget (``year`` and ``amount``), or a new total spread over the open years by days."""

    def build(state: ProjectState, project: Project) -> Op:
        if year is not None:
            if amount is None:
                raise InvalidInput("give the year's amount")
            years = {year: amount}
            summary = f"Budget {year} set to {fmt(amount)} EUR (was {fmt(state.budget_map.get(year, 0))})"
        else:
            if budget is None:
                raise InvalidInput("give the new total or a year and its amount")
            if budget < 0:
                raise InvalidInput("the budget must not be negative")
            years = {y: c for y, c in spread(budget, state.start, state.end, {y: state.budget_map.get(y, 0) for y in state.closed}).items()
                     if y not in state.closed}
            summary = f"Budget changed from {fmt(state.total)} to {fmt(budget)} EUR"
        return _op("budget-set", effective or today(), actor, summary, decision, years={str(y): c for y, c in years.items()})

    return change(slug, build)


def set_rule(slug: str, *, rule: str, actor: str, decision: str = "", effective: dt.date | None = None,
             population_year: int | None = None, **rule_kw: Any) -> Outcome:
    """A new rule version from ``effective`` (default: the first day of the current year)."""

    def build(state: ProjectState, project: Project) -> Op:
        when = effective or max(dt.date(today().year, 1, 1), state.start)
        codes = [m.code for m in state.members]
        version = rule_params(rule, effective=when, decision=decision, population_year=population_year, codes=codes, **rule_kw)
        label = version_from_json(version).describe()
        return _op("rule-set", when, actor, f"Rule from {when}: {label} (was {version_for(state, when.year).describe()})",
                   decision, version=version)

    return change(slug, build)


def set_policy(slug: str, *, policy: str, actor: str, decision: str = "") -> Outcome:
    return change(slug, lambda s, p: _op("policy-set", today(), actor, f"Policy changed from {s.policy} to {policy}", decision, policy=policy))


def close_year(slug: str, year: int, *, actor: str, decision: str = "") -> Outcome:
    return change(slug, lambda s, p: _op("year-closed", today(), actor, f"Year {year} closed", decision, year=year))


def add_charge(slug: str, *, city: str, amount: int, date: dt.date, text: str, actor: str, decision: str = "") -> Outcome:
    code = M.lookup(city).code
    return change(slug, lambda s, p: _op("charge-added", date, actor, f"{_name(code)} charged {fmt(amount)} EUR: {text.strip()}",
                                         decision, city=code, cents=amount, text=text))


def cancel_charge(slug: str, number: int, *, reason: str, actor: str, decision: str = "") -> Outcome:
    """Cancel charge ``number`` (1-based, as listed) by a reversing entry; nothing posted is edited."""

    def build(state: ProjectState, project: Project) -> Op:
        what = state.charges[number - 1] if isinstance(number, int) and 1 <= number <= len(state.charges) else None
        text = f"{_name(what.code)}: {what.text}, {fmt(what.cents)} EUR" if what else f"number {number}"
        return _op("charge-cancelled", today(), actor, f"Charge {number} cancelled ({text}): {(reason or '').strip()}",
                   decision, number=number, reason=(reason or "").strip())

    return change(slug, build)


def add_grant(slug: str, *, year: int, amount: int, text: str, actor: str, target: str | None = None, decision: str = "") -> Outcome:
    code = M.lookup(target).code if target else None
    whom = f" for {_name(code)}'s share" if code else ""
    return change(slug, lambda s, p: _op("grant-added", today(), actor, f"Funding {year}{whom}: {text.strip()}, {fmt(amount)} EUR",
                                         decision, year=year, cents=amount, text=text, target=code))


def set_subsidy(slug: str, *, key: str, rate: int, text: str, actor: str, target: str | None = None, decision: str = "") -> Outcome:
    code = M.lookup(target).code if target else None
    return change(slug, lambda s, p: _op("subsidy-set", today(), actor, f"Subsidy {key}: {fmt(rate)} EUR per logged hour ({text.strip()})",
                                         decision, key=key, rate_cents=rate, text=text, target=code))


def log_hours(slug: str, *, key: str, rows: Sequence[Mapping[str, Any]], actor: str) -> Outcome:
    """Hours per person, date and task (``{"person", "date", "task", "hours"}``); the subsidy follows them."""
    clean = [{k: str(row.get(k, "")) for k in ("person", "date", "task", "hours")} for row in rows]
    total = sum((parse_hours(r["hours"], f"row {i}: the hours") for i, r in enumerate(clean, 1)), start=Decimal(0))
    return change(slug, lambda s, p: _op("hours-logged", today(), actor, f"{total} h logged for subsidy {key}", key=key, entries=clean))


def set_joining_fee(slug: str, *, tiers: Sequence[tuple[dt.date | None, int]], population_year: int, actor: str, decision: str = "") -> Outcome:
    text = ", ".join(f"{fmt(c)} EUR/resident {'until ' + u.isoformat() if u else 'after'}" for u, c in tiers)
    return change(slug, lambda s, p: _op("joining-fee-set", today(), actor, f"Joining fee: {text} ({population_year} populations)", decision,
                                         tiers=[[u.isoformat() if u else None, c] for u, c in tiers], population_year=population_year))


def import_ledger(slug: str, text: str, *, filename: str, actor: str) -> Outcome:
    """Append a validated .beancount file's transactions as one posting: all or nothing."""
    try:
        project = _lock(slug)
        journal = ledgers.get(project)
        opens = [e for e in journal.entries if isinstance(e, data.Open)]
        validated = importer.validate(text, opens)
        stamped = importer.stamp(validated, {"imported-from": filename, "imported-by": actor})
        seq = _post(project, stamped)
        count = sum(isinstance(e, data.Transaction) for e in stamped)
        op = _op("ledger-imported", today(), actor, f"Imported {count} transactions from {filename}", filename=filename)
        change_seq = _record(project, op, seq)
        event = AuditEvent(actor=actor, action="ledger-imported", project_id=project.id, ledger_seq=seq)
        event.details = {"filename": filename, "transactions": count, "summary": op.summary, "shares": []}
        db.session.add(event)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    ledgers.posted(project, seq, stamped)
    ledgers.changed(project, change_seq, None)
    return Outcome(event, None, seq)


# -- reading -------------------------------------------------------------------------------------
class ShareLine(NamedTuple):
    code: str
    name: str
    population: int
    joined: dt.date | None
    left: dt.date | None
    share: int           # cents, the assessed share as the ledger says
    charged: int = 0     # cents, direct charges (own costs, joining fee)

    @property
    def total(self) -> int:
        return self.share + self.charged


def shares(project: Project) -> list[ShareLine]:
    """Every current member with its share and direct charges as the ledger has them, by code."""
    journal = journal_for(project)
    assessed, charged = journal.assessed(), journal.charged()
    lines = []
    for row in current_members(project):
        city = M.lookup(row.city_code, project.population_year)
        lines.append(ShareLine(row.city_code, city.name, city.population, row.joined, row.left,
                               assessed.get(row.city_code, 0), charged.get(row.city_code, 0)))
    return lines


def changes_of(project: Project, kinds: Sequence[str] | None = None) -> list[Op]:
    """The project's recorded changes, oldest first (optionally only some kinds)."""
    query = select(ProjectChange).where(ProjectChange.project_id == project.id).order_by(ProjectChange.seq)
    if kinds:
        query = query.where(ProjectChange.kind.in_(list(kinds)))
    return [Op.from_json(row.op) for row in db.session.execute(query).scalars()]


__all__ = ["LedgerError", "Outcome", "add_members", "withdraw_member", "set_budget", "set_rule", "import_ledger", "create_project", "shares"]

"""Every change to a project, each in one database transaction with its audit record and entries.

A change is a ``ledger.project.Op``. It takes the project's row lock first (see :func:`_lock`), so
two changes at the same moment are serialised and neither is lost; a change that cannot have the
lock within ``PORTAL_LOCK_SECONDS`` is refused as busy (``portal.errors.Busy``), nothing done.
Under the lock it catches the project's state up (only the changes this worker lacks), reads the
ledger's sums from SQL (``portal.projects.ledgers.read``: a few thousand rows, never the history),
lets the pure core apply the op and recalculate (``ledger.recalc.step``), and writes the op, the
audit record, the ledger posting and its sums; then it commits. Only after the commit does the
in-memory state (and the journal, if this worker has loaded it) take in the change: a refused or
failed change leaves the database and the ledger as they were.

The cost-sharing changes (budget, rules, charges, funding) are built in ``portal.costs.services``
and run through the same :func:`change`; here are the project's creation and its membership.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from ledger import checks
from ledger import entries as E
from ledger import funders as F
from ledger import municipalities as M
from ledger.cells import Books, Cell, Key, totals_of
from ledger.changes import apply
from ledger.collector import without_collection
from ledger.errors import Conflict, InvalidInput, NotFound
from ledger.journal import Journal
from ledger.money import fmt, from_fmt
from ledger.params import population_params, rule_params, spread
from ledger.project import Op, ProjectState, version_for
from ledger.recalc import CellRow, Recalculation, ShareRow, step
from portal import audit
from portal.audit import AuditEvent
from portal.clock import now, today
from portal.errors import Busy
from portal.extensions import db, is_lock_timeout, lock_timeout
from portal.projects import previews
from portal.projects.ledgers import Rows, add_books, books, ledgers, named_members, read
from portal.projects.models import LedgerPosting, Project, ProjectChange
from portal.projects.populations import Figures

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class Outcome(NamedTuple):
    """What a change did: its audit record, the recalculation and the posting number."""

    event: AuditEvent
    recalculation: Recalculation | None
    seq: int | None


def get_project(slug: str) -> Project:
    project: Project | None = db.session.execute(select(Project).where(Project.slug == slug)).scalar_one_or_none()
    if project is None:
        raise NotFound("no project %(slug)r", slug=slug)
    return project


def journal_for(project: Project) -> Journal:
    return ledgers.get(project)


def sums_for(project: Project) -> Books:
    """The project's sums from SQL (assessments, charges and fees by member and year; the open accounts):
    what the shares and a recalculation read, without the journal."""
    return books(project)


def assessed_cells(project: Project) -> dict[Cell, int]:
    """Each member's assessed cents per budget year ``(year, code)``, as the ledger holds them."""
    return E.assessed_cells(books(project, accounts=False))


def state_for(project: Project) -> ProjectState:
    state = ledgers.state(project)
    if state is None:
        raise NotFound("project %(slug)r has no recorded changes", slug=project.slug)
    return state


def rule_label(project: Project) -> str:
    """The rule in force today (or for the nearest project year), as a short label."""
    return version_for(state_for(project), today().year).describe()


def changes_of(project: Project, kinds: Sequence[str] | None = None) -> list[Op]:
    """The project's recorded changes, oldest first (optionally only some kinds)."""
    query = select(ProjectChange).where(ProjectChange.project_id == project.id).order_by(ProjectChange.seq)
    if kinds:
        query = query.where(ProjectChange.kind.in_(list(kinds)))
    return [Op.from_json(row.op) for row in db.session.execute(query).scalars()]


# -- the change machinery ------------------------------------------------------------------------
def _lock(slug: str) -> Project:
    """Take the project's write lock: the first statement of the transaction is an UPDATE of its row.

    PostgreSQL holds the row lock, SQLite its database write lock, until commit or rollback;
    a concurrent change waits here, at most ``PORTAL_LOCK_SECONDS``, and then reads what this one
    committed. Waiting longer is refused as :class:`portal.errors.Busy` ("try again"), never
    left to the web server's timeout, which would kill the worker mid-request.
    """
    lock_timeout(float(current_app.config.get("PORTAL_LOCK_SECONDS", 5)))
    try:
        project: Project | None = db.session.execute(
            update(Project).where(Project.slug == slug).values(lock_version=Project.lock_version + 1).returning(Project),
            execution_options={"populate_existing": True}).scalar_one_or_none()
    except OperationalError as exc:
        if not is_lock_timeout(exc):
            raise
        db.session.rollback()
        raise Busy("project %(slug)r is busy with another change; nothing was changed, try again in a moment",
                   slug=slug) from None
    if project is None:
        raise NotFound("no project %(slug)r", slug=slug)
    return project


def _warm(slug: str, *, journal: bool = False) -> None:
    """Catch this worker's state (and ``journal``) of the project up before taking its lock, so that
    under the lock only what was committed in between remains (usually nothing); reads only, no lock is held."""
    project = db.session.execute(select(Project).where(Project.slug == slug)).scalar_one_or_none()
    if project is not None:
        ledgers.state(project)
        if journal:
            ledgers.get(project)


def _rows(rows: Sequence[ShareRow]) -> list[dict[str, str]]:
    return [{"city": r.code, "name": r.name, "before": fmt(r.before), "after": fmt(r.after), "difference": fmt(r.difference)}
            for r in rows]


@without_collection  # thousands of postings' sums and text: ledger.collector
def _post(project: Project, entries: Sequence[Any], known: Rows | None = None) -> tuple[int, Books, dict[Key, int]]:
    """Store ``entries`` as the project's next posting, and add their sums to its ``ledger_cells``;
    its number, its sums and the ids of the rows they added."""
    seq = project.ledger_seq + 1
    delta = Books.of(entries)
    added = add_books(project, delta, known)
    db.session.add(LedgerPosting(project_id=project.id, seq=seq, text="\n".join(E.format_entry(e) for e in entries)))
    project.ledger_seq = seq
    return seq, delta, added


def _record(project: Project, op: Op, ledger_seq: int | None) -> int:
    seq = project.change_seq + 1
    row = ProjectChange(project_id=project.id, seq=seq, kind=op.kind, ledger_seq=ledger_seq)
    row.op = op.to_json()
    db.session.add(row)
    project.change_seq = seq
    return seq


@without_collection
def _details(op: Op, result: Recalculation) -> dict[str, Any]:
    state = result.state
    details: dict[str, Any] = {"summary": op.summary, "decision": op.decision, "effective": op.effective.isoformat(),
                               "shares": _rows(result.rows), "op": op.to_json()}
    details |= {"rule": version_for(state, op.effective.year).describe(), "policy": state.policy,
                "members": len(state.current()), "allocated": fmt(state.total), "budget": fmt(state.total)}
    if result.assessment is not None and result.assessment.funding:
        # The change page shows the budget, minus each funding, = what the members share (issue 12).
        details["funding"] = [{"year": f.year, "text": f.text, "target": f.target, "amount": fmt(f.cents)}
                              for f in result.assessment.funding]
    if result.cells:
        details["year_cells"] = [[c.year, c.code, c.before, c.after] for c in result.cells]  # read by year_cells()
    if result.blocked:
        details["blocked"] = [{"year": b.year, "city": b.code, "kept": fmt(b.kept), "would_be": fmt(b.would_be)} for b in result.blocked]
    if result.charges:
        details["charges"] = [{"city": c.code, "date": c.date.isoformat(), "amount": fmt(c.cents), "text": c.text} for c in result.charges]
    return details


def year_cells(details: Mapping[str, Any]) -> list[CellRow]:
    """The cells a recorded change moved, before and after, in cents (year None: before budget years).

    Recorded as ``[year, city, before, after]`` in cents: a city's first join moves some 3,000
    cells, and writing each as an object of formatted amounts was a tenth of the change. Records
    made before that hold ``cells``, objects of amounts written by ``fmt``; both are read here.
    """
    if "year_cells" in details:
        return [CellRow(year, city, before, after) for year, city, before, after in details["year_cells"]]
    return [CellRow(c["year"], c["city"], from_fmt(c["before"]), from_fmt(c["after"])) for c in details.get("cells", [])]


def change(slug: str, build: Callable[[ProjectState, Project], Op]) -> Outcome:
    """Run one change: lock, build the op from the current state, apply, post, record, commit.

    What the recalculation needs of the ledger (each member's assessed cents and joining fees per
    year, the open accounts) comes from the project's sums in SQL (:func:`portal.projects.ledgers.books`),
    never from the journal: a change costs the same on a project of 100,000 entries as on a new one.
    """
    if previews.previewing():
        _dry_run(slug, build)
    _warm(slug)
    try:
        project = _lock(slug)
        previews.check(project.change_seq)
        before = ledgers.state(project)
        op = build(before, project)  # type: ignore[arg-type]  # None only while creating
        rows = ledgers.sums(project)
        result = _step(before, op, rows.books)
        built = result.entries()
        seq, delta, added = _post(project, built, rows) if built else (None, None, {})
        change_seq = _record(project, op, seq)
        event = audit.record(op.actor, op.kind, _details(op, result), project_id=project.id, ledger_seq=seq)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if seq is not None and delta is not None:
        ledgers.posted(project, seq, built)
        ledgers.summed(project, seq, delta, added)
    ledgers.changed(project, change_seq, result.state)
    return Outcome(event, result, seq)


def _step(before: ProjectState | None, op: Op, sums: Books) -> Recalculation:
    """The core's recalculation over the ledger's sums: the one call a posting and its preview share."""
    return step(before, op, assessed=E.assessed_cells(sums), open_accounts=sums.accounts(), fees=E.fee_cells(sums),
                funded=F.ledger_cells(sums))


def _dry_run(slug: str, build: Callable[[ProjectState, Project], Op]) -> None:
    """The change as :func:`change` would make it, up to its recalculation; raises ``Previewed``.

    No lock is taken and nothing is written (a project being created is flushed only, and rolled
    back): the confirmation re-runs the change under the lock and is refused if the project moved.
    """
    _warm(slug)
    try:
        project = get_project(slug)
        before = ledgers.state(project)
        op = build(before, project)  # type: ignore[arg-type]  # None only while creating
        sums = read(project).books
        result = _step(before, op, sums)
        preview = previews.Preview(op, result, _details(op, result), E.assessed_cells(sums), project.change_seq)
    finally:
        db.session.rollback()
    raise previews.Previewed(preview)


def post_entries(slug: str, build: Callable[[Project, Journal], tuple[Op, list[Any], dict[str, Any]]]) -> Outcome:
    """Append entries that no recalculation makes (an import) as one posting with its op and audit record.

    ``build`` gets the project's journal: it is caught up before the lock is taken (a cold worker
    parses the history then, holding up no one), so under the lock only postings committed in
    between are read. Their sums are kept like every posting's.
    """
    _warm(slug, journal=True)
    try:
        project = _lock(slug)
        journal = ledgers.get(project)
        op, entries, details = build(project, journal)
        seq, delta, added = _post(project, entries)
        change_seq = _record(project, op, seq)
        event = audit.record(op.actor, op.kind, {**details, "summary": op.summary, "shares": []},
                             project_id=project.id, ledger_seq=seq)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    ledgers.posted(project, seq, entries)
    ledgers.summed(project, seq, delta, added)
    ledgers.changed(project, change_seq, None)
    return Outcome(event, None, seq)


def make_op(kind: str, effective: dt.date, actor: str, summary: str, decision: str = "", **params: Any) -> Op:
    return Op(kind, effective, actor, now(), summary, (decision or "").strip(), params)


def city_label(code: str) -> str:
    return f"{M.lookup(code).name} ({code})"


# -- the project and its members -----------------------------------------------------------------
def create_project(slug: str, *, name: str, start: dt.date, end: dt.date, rule: str = "equal", population_year: int | None = None,
                   budget: int | None = None, years: Mapping[int, int] | None = None, policy: str = "whole-term",
                   actor: str, decision: str = "", settings: Mapping[str, str] | None = None, **rule_kw: Any) -> Outcome:
    """A new project; ``budget`` (a total, spread over the years by days) or ``years`` (cents per year)."""
    slug = (slug or "").strip()
    if not SLUG.match(slug):
        raise InvalidInput("project id %(slug)r must be 2 to 63 lower-case letters, digits or dashes", slug=slug)
    if (budget is None) == (years is None):
        raise InvalidInput("give the budget either as a total or by years")
    if end <= start:
        raise InvalidInput("the end date %(end)s must come after the start date %(start)s", end=end, start=start)
    by_year = spread(budget, start, end) if budget is not None else dict(years or {})
    version = rule_params(rule, effective=start, decision=decision, population_year=population_year, figures=Figures(), **rule_kw)
    op = make_op("project-created", start, actor, f"Project {(name or '').strip()} created", decision, name=name,
                 start=start.isoformat(), end=end.isoformat(), policy=policy, budget={str(y): c for y, c in by_year.items()},
                 rule=version, settings={k: v for k, v in (settings or {}).items() if v})
    apply(None, op)  # validate before touching the database
    if db.session.execute(select(Project.id).where(Project.slug == slug)).first():
        raise Conflict("a project %(slug)r exists already", slug=slug)
    try:
        db.session.add(Project(slug=slug, name=name.strip(), ledger_seq=0, lock_version=0, change_seq=0))
        db.session.flush()
    except BaseException:
        db.session.rollback()
        raise
    return change(slug, lambda state, p: op)


def add_members(slug: str, codes: Sequence[str], *, joined: dt.date, decision: str, actor: str,
                percentages: Mapping[str, Any] | None = None, rule_effective: dt.date | None = None) -> Outcome:
    """Several cities joining in one change: one recalculation, one entry (and joining fees, if any).

    ``percentages``: where a fixed-percentage rule governs the years they share, the new rule version
    that names every member, set with the join; from ``rule_effective``, by default the first day of
    the first such year they share (``ledger.checks.percentages_from``), else the join date.
    """
    wanted = [M.lookup(c).code for c in codes if str(c).strip()]

    def build(state: ProjectState, project: Project) -> Op:
        verb = "joins" if len(wanted) == 1 else "join"
        extra: dict[str, Any] = {}
        if percentages:
            # Under whole-term a first-time joiner shares open years before its join date: the new
            # percentages take effect from the first year it shares that a fixed version governs.
            effective = rule_effective or checks.percentages_from(state, wanted, joined) or joined
            extra["version"] = rule_params("fixed", effective=effective, decision=decision, percentages=percentages)
        return make_op("members-added", joined, actor, f"{', '.join(map(city_label, wanted))} {verb} on {joined}", decision,
                       cities=wanted, populations=population_params(state, wanted, figures=Figures()), **extra)

    return change(slug, build)


def withdraw_member(slug: str, code: str, *, left: dt.date, decision: str, actor: str) -> Outcome:
    code = M.lookup(code).code
    return change(slug, lambda s, p: make_op("member-withdrawn", left, actor, f"{city_label(code)} leaves on {left}", decision,
                                             city=code))


# -- reading -------------------------------------------------------------------------------------
class ShareLine(NamedTuple):
    code: str
    name: str
    population: int
    joined: dt.date | None       # the latest period's join date
    left: dt.date | None         # its leave date: set for a member that has withdrawn
    share: int                   # cents, the assessed share as the ledger says
    charged: int = 0             # cents, direct charges (own costs, joining fees)
    periods: tuple[tuple[dt.date, dt.date | None], ...] = ()   # every membership period, oldest first

    @property
    def total(self) -> int:
        return self.share + self.charged

    @property
    def withdrawn(self) -> bool:
        return self.left is not None


def shares(project: Project) -> list[ShareLine]:
    """Every member with anything assessed or charged, and every current member, by code.

    A member that has withdrawn stays listed, marked with its dates, for as long as the ledger
    holds anything for it: its share of the years it took part in, its charges.
    """
    state = state_for(project)
    sums = books(project, accounts=False)
    assessed, charged = totals_of(E.assessed_cells(sums)), totals_of(E.charged_cells(sums))
    version = version_for(state, state.term_year(today().year))
    frozen = version.population_map  # the figures of the year the rule in force names (bundled or loaded)
    current = set(state.current())
    named = named_members(project) if set(state.codes()) - current else set()  # former members the ledger still names
    lines = []
    for code in state.codes():
        if code not in current and not assessed.get(code) and not charged.get(code) and code not in named:
            continue
        city, periods = M.lookup(code), state.periods(code)
        residents = frozen.get(code) or state.population(version.population_year, code) if version.population_year else None
        lines.append(ShareLine(code, city.name, residents or city.population, periods[-1].joined, periods[-1].left,
                               assessed.get(code, 0), charged.get(code, 0), tuple((p.joined, p.left) for p in periods)))
    return lines

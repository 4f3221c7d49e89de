"""Read-only views of a project's shares: what-if scenarios and the explanation of one share.

Nothing here writes to the database or the ledger: both functions compute with the pure core
(``ledger.recalc``, ``ledger.explain``) from what the project and its journal say now.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple, Sequence

from sqlalchemy import select

from ledger import municipalities as M
from ledger.allocation import Member
from ledger.errors import Conflict, InvalidInput
from ledger.explain import Step, eur, explain_allocation
from ledger.journal import ShareEvent
from ledger.money import fmt
from ledger.recalc import Change, Recalculation, recalculate
from ledger.rules import RuleVersion, freeze_populations, make_version
from portal.changes import current_members, journal_for, project_rule
from portal.extensions import db
from portal.models import AuditEvent, Project


def _year(project: Project) -> int | None:
    return project.population_year if project.rule == "population" else None


def _unique(codes: Sequence[str]) -> list[str]:
    wanted = [M.normalise_code(c) for c in codes if str(c).strip()]
    for code in wanted:
        M.lookup(code)
    return wanted


def parse_scenario(text: str) -> tuple[list[str], list[str]]:
    """``"+286,-638"`` as (joins, leaves); every item needs its sign."""
    joins: list[str] = []
    leaves: list[str] = []
    for item in (part.strip() for part in (text or "").split(",")):
        if not item:
            continue
        if item[0] not in "+-":
            raise InvalidInput(f"{item!r}: write +CODE for a city joining or -CODE for a city leaving")
        (joins if item[0] == "+" else leaves).append(item[1:])
    return joins, leaves


def describe(joins: Sequence[str], leaves: Sequence[str], on: dt.date) -> str:
    """``"Kouvola (286) joins, Porvoo (638) leaves on 2026-01-01"``."""
    parts = [f"{M.lookup(c).name} ({c}) joins" for c in joins] + [f"{M.lookup(c).name} ({c}) leaves" for c in leaves]
    return ", ".join(parts) + f" on {on.isoformat()}"


def what_if(project: Project, joins: Sequence[str], leaves: Sequence[str], on: dt.date) -> Recalculation:
    """Every share if ``joins`` joined and ``leaves`` left on ``on``; nothing is posted."""
    joining, leaving = _unique(joins), _unique(leaves)
    if not joining and not leaving:
        raise InvalidInput("name at least one city to join or to leave")
    named = joining + leaving
    if len(set(named)) != len(named):
        raise InvalidInput("a city is named twice")
    rows = {m.city_code: m for m in current_members(project)}
    already = [c for c in joining if c in rows]
    if already:
        raise Conflict("already a member: " + ", ".join(f"{M.lookup(c).name} ({c})" for c in already))
    absent = [c for c in leaving if c not in rows]
    if absent:
        raise Conflict("not a member: " + ", ".join(f"{M.lookup(c).name} ({c})" for c in absent))
    early = [c for c in leaving if on < rows[c].joined]
    if early:
        raise InvalidInput(f"the date {on} is before {', '.join(early)} joined")
    if on > project.end:
        raise InvalidInput(f"the date {on} is after the project ends ({project.end})")
    codes = sorted((set(rows) - set(leaving)) | set(joining))
    if not codes:
        raise InvalidInput("no member would remain to share the cost")
    year = _year(project)
    members = [Member(c, M.lookup(c, year).name, M.lookup(c, year).population) for c in codes]
    journal = journal_for(project)
    assessed = journal.assessed()
    names = {c: M.lookup(c).name for c in set(codes) | set(assessed)}
    change = Change("what-if", on, "what-if", describe(joining, leaving, on))
    return recalculate(total=project.budget_cents, rule=project_rule(project), members=members, assessed=assessed,
                       names=names, change=change, start=project.start, open_accounts=journal.accounts())


# -- explain -------------------------------------------------------------------------------------
class Explanation(NamedTuple):
    """One city's share: the steps that compute it, what the ledger says and its entries."""

    code: str
    name: str
    steps: list[Step]
    share: int                  # cents, as the explanation computes it
    assessed: int               # cents, as the ledger has assessed it
    history: list[ShareEvent]   # the city's ledger entries, oldest first


def _version(project: Project, codes: Sequence[str]) -> RuleVersion:
    """The project's current rule as a rule version, dated and referenced by its last rule change."""
    query = (select(AuditEvent).where(AuditEvent.project_id == project.id, AuditEvent.action == "rule-changed")
             .order_by(AuditEvent.id.desc()).limit(1))
    event = db.session.execute(query).scalar_one_or_none()
    effective, decision = project.start, ""
    if event is not None:
        effective = dt.date.fromisoformat(event.details.get("effective") or project.start.isoformat())
        decision = event.details.get("decision", "")
    year = _year(project)
    pops = freeze_populations(codes, year) if year is not None else None
    return make_version(project.rule, effective, decision, population_year=year, populations=pops)


def explain_share(project: Project, code: str) -> Explanation:
    """Inputs, every step and the rounding of one city's share, and its ledger entries."""
    code = M.lookup(code).code
    name = M.lookup(code).name
    rows = current_members(project)
    codes = [r.city_code for r in rows]
    journal = journal_for(project)
    steps = [
        Step("members", "Members: " + ", ".join(
            f"{r.city_code} {M.lookup(r.city_code).name} from {r.joined.isoformat()}" for r in rows) if rows else "Members: none",
            {"members": [{"code": r.city_code, "joined": r.joined, "left": r.left} for r in rows]}),
        Step("budget", f"Budget: {fmt(project.budget_cents)} EUR for {project.start.isoformat()} – {project.end.isoformat()}, "
                       f"shared by the rule {project_rule(project).describe()}", {"total": project.budget_cents}),
    ]
    share = 0
    if codes:
        version = _version(project, codes)
        computed = explain_allocation(project.budget_cents, version, codes)
        steps.extend(computed)
        rounding = computed[-1].data
        share = rounding["shares"].get(code, 0)
        if code in rounding["shares"]:
            exact = next(s.data["exact"][code] for s in computed if s.kind == "exact")
            text = f"{code} {name}: exact share {eur(exact)} EUR, rounded down to {fmt(rounding['rounded_down'][code])}"
            if code in rounding["extra_cent"]:
                text += f", plus one cent ({rounding['reasons'][code]})"
            elif rounding["remaining"]:
                text += f", none of the {rounding['remaining']} remaining cent(s): its remainder did not rank high enough"
            steps.append(Step("result", text + f": {fmt(share)} EUR", {"code": code, "exact": exact, "share": share}))
    if code not in codes:
        steps.append(Step("result", f"{code} {name} is not a member now: its share is {fmt(0)} EUR", {"code": code, "share": 0}))
    return Explanation(code, name, steps, share, journal.assessed().get(code, 0), journal.history(code))


__all__ = ["Explanation", "describe", "explain_share", "parse_scenario", "what_if"]

"""Project pages: the members' shares (open to every member city), their history and the changes.

Views are thin: they check the role, parse the form, call :mod:`portal.changes` and render. A
change the service refuses (``LedgerError``) is shown on the form it came from, with the
error's status, and nothing has been changed.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select

from ledger import municipalities as M
from ledger.errors import LedgerError, NotFound
from ledger.money import fmt, fmt_human, parse_amount
from portal import changes
from portal.extensions import db
from portal.forms import AddMembersForm, BudgetForm, WithdrawForm
from portal.models import AuditEvent, Project

bp = Blueprint("projects", __name__)

VIEWERS = ("contact", "lead", "accountant")
RECENT_CHANGES = 20


@bp.app_template_filter("eur")
def eur(cents: int) -> str:
    """``30 588,24 €``: amounts on pages are written the Finnish way."""
    return fmt_human(cents) + "\u00a0€"


@bp.app_template_filter("signed_eur")
def signed_eur(cents: int) -> str:
    return ("+" if cents > 0 else "") + eur(cents)


@bp.app_template_filter("cents")
def cents(text: str) -> int:
    """An audit record's decimal string (``"-1799.31"``) as cents, for display and comparison."""
    return parse_amount(text, allow_negative=True)


def require(*roles: str) -> None:
    """403 unless the user has one of ``roles`` (admin has them all)."""
    if not current_user.has_role(*roles):
        abort(403)


def may_see_history(code: str) -> bool:
    """Leads, accountants and admins see every city's history; a contact only its own."""
    return current_user.has_role("lead", "accountant") or (
        current_user.has_role("contact") and current_user.city_code == code
    )


def city_page(slug: str, code: str) -> tuple[Project, M.Municipality]:
    """The project and the city whose share a page shows, after the access check of a city's pages."""
    require(*VIEWERS)
    project = changes.get_project(slug)
    municipality = M.lookup(code)
    if not may_see_history(municipality.code):
        abort(403)
    return project, municipality


def _recent(project: Project, limit: int = RECENT_CHANGES) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.project_id == project.id).order_by(AuditEvent.id.desc()).limit(limit)
    return list(db.session.execute(query).scalars())


def _change_url(project: Project, event: AuditEvent) -> str:
    return url_for("projects.change", slug=project.slug, event_id=event.id)


def _attempt(call: Callable[[], changes.Outcome]) -> tuple[changes.Outcome | None, str | None, int]:
    """Run a change; a refusal becomes (None, message, status) for the form to show."""
    try:
        return call(), None, 200
    except LedgerError as exc:
        details = "; ".join(exc.details)
        return None, exc.message + (f" ({details})" if details else ""), exc.status


# -- reading ---------------------------------------------------------------------------------------
@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    require(*VIEWERS)
    projects = db.session.execute(select(Project).order_by(Project.name)).scalars()
    rows = []
    own = current_user.city_code if current_user.has_role("contact") else None
    for project in projects:
        lines = changes.shares(project)
        mine = next((line for line in lines if line.code == own), None)
        rows.append({"project": project, "members": len(lines), "rule": changes.rule_label(project), "mine": mine})
    city = M.lookup(own).name if own else None
    return render_template("projects/index.html", rows=rows, own=own, city=city)


@bp.get("/p/<slug>/")
@login_required
def show(slug: str) -> ResponseReturnValue:
    require(*VIEWERS)
    project = changes.get_project(slug)
    lines = changes.shares(project)
    return render_template(
        "projects/show.html",
        project=project,
        lines=lines,
        total=sum(line.share for line in lines),
        charged=sum(line.charged for line in lines),
        rule=changes.rule_label(project),
        recent=_recent(project),
        may_see_history=may_see_history,
    )


@bp.get("/p/<slug>/cities/<code>")
@login_required
def city(slug: str, code: str) -> ResponseReturnValue:
    project, municipality = city_page(slug, code)
    history = changes.journal_for(project).history(municipality.code)
    seqs = {event.seq for event in history}
    by_seq = {
        e.ledger_seq: e
        for e in db.session.execute(
            select(AuditEvent).where(AuditEvent.project_id == project.id, AuditEvent.ledger_seq.in_(seqs))
        ).scalars()
    } if seqs else {}
    return render_template("projects/city.html", project=project, city=municipality, history=history, by_seq=by_seq)


@bp.get("/p/<slug>/changes/<int:event_id>")
@login_required
def change(slug: str, event_id: int) -> ResponseReturnValue:
    require(*VIEWERS)
    project = changes.get_project(slug)
    event = db.session.get(AuditEvent, event_id)
    if event is None or event.project_id != project.id:
        raise NotFound(f"no change {event_id} in project {slug!r}")
    details = event.details
    shares = details.get("shares", [])
    return render_template(
        "projects/change.html",
        project=project,
        event=event,
        details=details,
        shares=shares,
        changed=sum(1 for row in shares if parse_amount(row["difference"], allow_negative=True)),
        total_after=sum(parse_amount(row["after"]) for row in shares),
    )


# -- changing --------------------------------------------------------------------------------------
@bp.route("/p/<slug>/members/add", methods=["GET", "POST"])
@login_required
def add_members(slug: str) -> ResponseReturnValue:
    require("lead")
    project = changes.get_project(slug)
    present = {line.code for line in changes.shares(project)}
    form = AddMembersForm()
    form.cities.choices = [
        (m.code, f"{m.name} ({m.code})") for m in sorted(M.municipalities().values(), key=lambda m: m.name) if m.code not in present
    ]
    if request.method == "GET" and form.joined.data is None:
        form.joined.data = dt.date.today()
    error, status = None, 200
    if form.validate_on_submit():
        outcome, error, status = _attempt(lambda: changes.add_members(
            slug, form.cities.data, joined=form.joined.data, decision=form.decision.data or "", actor=current_user.actor))
        if outcome:
            return redirect(_change_url(project, outcome.event))
    elif form.is_submitted():
        status = 400
    return render_template("projects/add_members.html", project=project, form=form, error=error), status


@bp.route("/p/<slug>/members/<code>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(slug: str, code: str) -> ResponseReturnValue:
    require("lead")
    project = changes.get_project(slug)
    line = next((line for line in changes.shares(project) if line.code == M.normalise_code(code)), None)
    if line is None:
        raise NotFound(f"{M.lookup(code).name} ({M.normalise_code(code)}) is not a member of {project.name}")
    form = WithdrawForm()
    error, status = None, 200
    if form.validate_on_submit():
        outcome, error, status = _attempt(lambda: changes.withdraw_member(
            slug, line.code, left=form.left.data, decision=form.decision.data or "", actor=current_user.actor))
        if outcome:
            return redirect(_change_url(project, outcome.event))
    elif form.is_submitted():
        status = 400
    return render_template("projects/withdraw.html", project=project, line=line, form=form, error=error), status


@bp.route("/p/<slug>/settings", methods=["GET", "POST"])
@login_required
def settings(slug: str) -> ResponseReturnValue:
    """The total budget, spread over the open years by days; the rule and the years have their own pages."""
    require("lead")
    project = changes.get_project(slug)
    posted = request.method == "POST"
    form = BudgetForm(prefix="budget", **({} if posted else {"formdata": None, "budget": fmt(project.budget_cents)}))
    error, status = None, 200
    if posted:
        if form.validate():
            outcome, error, status = _attempt(lambda: changes.set_budget(
                slug, budget=parse_amount(form.budget.data, what="the budget"), actor=current_user.actor,
                decision=form.decision.data or "", effective=form.effective.data))
            if outcome:
                return redirect(_change_url(project, outcome.event))
        else:
            status = 400
    return render_template("projects/settings.html", project=project, budget_form=form, error=error,
                           rule=changes.rule_label(project)), status

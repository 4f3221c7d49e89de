"""Project pages: the members' shares (open to every member city), their history, the changes,
adding and withdrawing members, what-if scenarios and one share explained; and their JSON.

Views are thin: they check the role, parse the form, call :mod:`portal.projects.services` and
render. A refusal is shown on the form it came from, with its status (``portal.errors``), and
nothing has been changed. The JSON API's amounts are decimal strings (``"30588.24"``), never JSON
numbers, so no client ever sees a float.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ledger import municipalities as M
from ledger import parse
from ledger.errors import NotFound, Word
from ledger.money import fmt, from_fmt, parse_amount
from ledger.project import KINDS as CHANGE_KINDS
from portal.audit import AuditEvent
from portal.clock import today
from portal.errors import REFUSALS, status_of
from portal.extensions import db
from portal.projects import charts, confirmation, dashboard, privacy, projections, wording
from portal.projects import services as projects
from portal.projects.forms import AddMembersForm, CreateProjectForm, WithdrawForm
from portal.projects.models import Project
from portal.web import VIEWERS, chosen, day, require, text

bp = Blueprint("projects", __name__)
api = Blueprint("projects_api", __name__, url_prefix="/api/v1")
RECENT_CHANGES = 20


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(api)
    app.add_template_filter(actor_name, "actor_name")
    wording.init_app(app)


def actor_name(actor: str) -> str:
    """The readable name of an audit record's actor: the stored text is ``Name <sub@issuer>``
    (``User.actor``), and an official reading the trail wants the name; the technical identity is
    kept in the record and shown only as the cell's title."""
    name, sep, _ = actor.partition(" <")
    return name if sep and name else actor


def may_see_history(code: str) -> bool:
    """Leads, accountants and admins see every city's history; a contact only its own."""
    return bool(current_user.has_role("lead", "accountant") or (
        current_user.has_role("contact") and current_user.city_code == code))


def city_page(slug: str, code: str) -> tuple[Project, M.Municipality]:
    """The project and the city whose share a page shows, after the access check of a city's pages."""
    require(*VIEWERS)
    project = projects.get_project(slug)
    municipality = M.lookup(code)
    if not may_see_history(municipality.code):
        abort(403)
    return project, municipality


def _recent(project: Project, limit: int = RECENT_CHANGES) -> list[AuditEvent]:
    """The latest recorded changes the current user may see (``portal.projects.privacy``); documents
    and signatures have their own lists."""
    query = (select(AuditEvent).where(AuditEvent.project_id == project.id, AuditEvent.action.in_(CHANGE_KINDS))
             .order_by(AuditEvent.id.desc()).limit(limit * 10))
    return privacy.events(privacy.viewer(), db.session.execute(query).scalars(), projects.state_for(project))[:limit]


def change_url(project: Project, event: AuditEvent) -> str:
    return url_for("projects.change", slug=project.slug, event_id=event.id)


# -- reading ---------------------------------------------------------------------------------------
@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    require(*VIEWERS)
    rows = []
    own = current_user.city_code if current_user.has_role("contact") else None
    for project in db.session.execute(select(Project).order_by(Project.name)).scalars():
        lines = projects.shares(project)
        mine = next((line for line in lines if line.code == own), None)
        rows.append({"project": project, "state": projects.state_for(project), "members": sum(not s.withdrawn for s in lines),
                     "rule": projects.rule_label(project), "mine": mine})
    city = M.lookup(own).name if own else None
    return render_template("projects/index.html", rows=rows, own=own, city=city)


@bp.get("/p/<slug>/")
@login_required
def show(slug: str) -> ResponseReturnValue:
    require(*VIEWERS)
    project = projects.get_project(slug)
    lines = projects.shares(project)
    viewer = privacy.viewer()
    return render_template("projects/show.html", project=project, state=projects.state_for(project), lines=lines,
                           total=sum(line.share for line in lines), viewer=viewer,
                           charged=sum(line.charged for line in lines) if viewer.sees_all else None,
                           rule=projects.rule_label(project), recent=_recent(project), may_see_history=may_see_history)


@bp.get("/p/<slug>/cities/<code>")
@login_required
def city(slug: str, code: str) -> ResponseReturnValue:
    project, municipality = city_page(slug, code)
    history = projects.journal_for(project).history(municipality.code)
    moves, charged = dashboard.share_history(history)
    seqs = {event.seq for event in history}
    by_seq = {  # the changes behind the history's postings that the viewer may open (``privacy``)
        e.ledger_seq: e
        for e in privacy.events(privacy.viewer(), db.session.execute(
            select(AuditEvent).where(AuditEvent.project_id == project.id, AuditEvent.ledger_seq.in_(seqs))
        ).scalars(), projects.state_for(project))
    } if seqs else {}
    years, name = dashboard.years(project, municipality.code), municipality.name
    chart = charts.stacked_chart(
        _("%(city)s: what it pays per budget year", city=name),
        _("A bar per budget year: its share, its direct charges and what funding took off its share; "
          "the same figures are in the table below the chart."),
        [_("Share"), _("Its direct charges"), _("Taken off by funding")],
        [(str(r.year), (r.share, r.charged, r.funding), _("pays %(amount)s", amount=dashboard.eur(r.total))) for r in years],
        ident="years-chart")
    moves_chart = charts.bar_chart(
        _("%(city)s: share after each change", city=name),
        _("A bar per change, in the order they were posted: the share after it; "
          "the same figures are in the table below the chart."),
        [(dashboard.date(e.date), e.share) for e in moves], ident="history-chart")
    line = projects.state_for(project).member(municipality.code)  # its latest period: marked withdrawn even at a zero share
    return render_template("projects/city.html", project=project, city=municipality, history=history, by_seq=by_seq,
                           moves=moves, charged=charged, years=years, line=line, chart=chart, moves_chart=moves_chart)


# Every page that lists a project's members marks the withdrawn ones (the change page among them).
bp.add_app_template_global(dashboard.withdrawn, "withdrawn_members")


@bp.get("/p/<slug>/changes/<int:event_id>")
@login_required
def change(slug: str, event_id: int) -> ResponseReturnValue:
    require(*VIEWERS)
    project = projects.get_project(slug)
    event = db.session.get(AuditEvent, event_id)
    viewer = privacy.viewer()
    if event is None or event.project_id != project.id or not viewer.sees(privacy.owner(event, projects.state_for(project))):
        raise NotFound("no change %(number)s in project %(slug)r", number=event_id, slug=slug)
    details = privacy.details(viewer, event.details)
    shares = details.get("shares", [])
    return render_template("projects/change.html", project=project, event=event, details=details, shares=shares,
                           cells=projects.year_cells(details),
                           changed=sum(1 for row in shares if from_fmt(row["difference"])),
                           funding=details.get("funding", []),
                           total_after=sum(from_fmt(row["after"]) for row in shares))


# -- changing --------------------------------------------------------------------------------------
@bp.route("/p/<slug>/members/add", methods=["GET", "POST"])
@login_required
def add_members(slug: str) -> ResponseReturnValue:
    require("lead")
    project = projects.get_project(slug)
    present = set(projects.state_for(project).current())
    form = AddMembersForm()
    form.cities.choices = [
        (m.code, f"{m.name} ({m.code})") for m in sorted(M.municipalities().values(), key=lambda m: m.name) if m.code not in present
    ]
    if request.method == "GET" and form.joined.data is None:
        form.joined.data = today()
    error, status = None, 200
    if form.validate_on_submit():
        step = confirmation.submit(lambda: projects.add_members(
            slug, chosen(form.cities), joined=day(form.joined), decision=text(form.decision), actor=current_user.actor,
            percentages=parse.percentages(parse.line_items("percentages", form.percentages.data)) or None))
        if step.outcome:
            return redirect(change_url(project, step.outcome.event))
        if step.preview:
            return confirmation.render(project, step, back=request.path, title=_("Add members"))
        error, status = step.error, step.status
    elif form.is_submitted():
        status = 400
    fixed = any(v.kind == "fixed" for v in projects.state_for(project).versions)
    return render_template("projects/add_members.html", project=project, form=form, error=error, fixed=fixed), status


@bp.route("/p/<slug>/members/<code>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(slug: str, code: str) -> ResponseReturnValue:
    require("lead")
    project = projects.get_project(slug)
    line = next((line for line in projects.shares(project) if line.code == M.normalise_code(code) and not line.withdrawn), None)
    if line is None:
        raise NotFound("%(city)s is not a member of %(project)s", city=f"{M.lookup(code).name} ({M.normalise_code(code)})",
                       project=project.name)
    form = WithdrawForm()
    error, status = None, 200
    if form.validate_on_submit():
        step = confirmation.submit(lambda: projects.withdraw_member(
            slug, line.code, left=day(form.left), decision=text(form.decision), actor=current_user.actor))
        if step.outcome:
            return redirect(change_url(project, step.outcome.event))
        if step.preview:
            return confirmation.render(project, step, back=request.path, title=_("Withdraw %(city)s", city=line.name))
        error, status = step.error, step.status
    elif form.is_submitted():
        status = 400
    return render_template("projects/withdraw.html", project=project, line=line, form=form, error=error), status


# -- what if, and one share explained (read-only: nothing is posted) --------------------------------
@bp.get("/p/<slug>/what-if")
@login_required
def what_if(slug: str) -> ResponseReturnValue:
    require("lead", "contact")
    project = projects.get_project(slug)
    members = {line.code: line.name for line in projects.shares(project) if not line.withdrawn}
    joins, leaves = request.args.getlist("join"), request.args.getlist("leave")
    on_text = request.args.get("on", "")
    result, summary, error, status = None, "", None, 200
    if joins or leaves or "on" in request.args:
        try:
            on = parse.date(on_text, repr(on_text)) if on_text else today()
            result = projections.what_if(project, joins, leaves, on)
            summary = projections.describe([M.normalise_code(c) for c in joins if c.strip()],
                                           [M.normalise_code(c) for c in leaves if c.strip()], on)
        except REFUSALS as exc:
            error, status = exc.message, status_of(exc)
    choices = sorted((m for m in M.municipalities().values() if m.code not in members), key=lambda m: m.name)
    return render_template("projections/what_if.html", project=project, members=members, choices=choices,
                           joins=set(joins), leaves=set(leaves), on=on_text or today().isoformat(),
                           result=result, summary=summary, error=error), status


@bp.get("/p/<slug>/cities/<code>/explain")
@login_required
def explain(slug: str, code: str) -> ResponseReturnValue:
    project, municipality = city_page(slug, code)
    explained = projections.explain_share(project, municipality.code)
    explained = explained._replace(steps=projections.named(privacy.steps(privacy.viewer(), explained.steps), explained.names))
    return render_template("projections/explain.html", project=project, city=municipality, explained=explained,
                           exact_eur=projections.exact_eur, percent=projections.percent)


# -- JSON ------------------------------------------------------------------------------------------
@api.get("/projects")
@login_required
def api_projects() -> ResponseReturnValue:
    require(*VIEWERS)
    rows = []
    for project in db.session.execute(select(Project).order_by(Project.slug)).scalars():
        state = projects.state_for(project)
        rows.append({"slug": project.slug, "name": project.name, "budget": fmt(state.total),
                     "rule": projects.rule_label(project), "members": len(state.current())})
    return jsonify(rows)


@api.get("/projects/<slug>/shares")
@login_required
def api_shares(slug: str) -> ResponseReturnValue:
    """Every member's share: transparent to all member cities, as on the project page; another city's
    direct charges (and so its total) are ``null`` for a city contact (``portal.projects.privacy``)."""
    require(*VIEWERS)
    project = projects.get_project(slug)
    cells = projects.assessed_cells(project)
    viewer = privacy.viewer()
    return jsonify([{"city": s.code, "name": s.name, "share": fmt(s.share),
                     "charged": fmt(s.charged) if viewer.sees(s.code) else None,
                     "total": fmt(s.total) if viewer.sees(s.code) else None,
                     "withdrawn": s.withdrawn, "joined": s.joined.isoformat() if s.joined else None,
                     "left": s.left.isoformat() if s.left else None,
                     "years": {str(y): fmt(c) for (y, code), c in sorted(cells.items(), key=lambda kv: kv[0][0] or 0)
                               if code == s.code and y is not None}}
                    for s in projects.shares(project)])



# -- creating a project (admins) -------------------------------------------------------------------
def _create(form: CreateProjectForm) -> projects.Outcome:
    """The CLI's ``portal project create``, from the form: the same service, the same parsers."""
    budget, years = text(form.budget).strip(), parse.budget_years(parse.line_items("years", form.years.data)) or None
    return projects.create_project(
        text(form.slug).strip(), name=text(form.name), start=day(form.start), end=day(form.end), rule=text(form.rule),
        population_year=form.population_year.data, budget=parse_amount(budget, what=Word("the budget")) if budget else None,
        years=years, policy=text(form.policy), actor=current_user.actor, decision=text(form.decision),
        settings={"leaver": text(form.leaver), "joiner": text(form.joiner)},
        base_percent=parse.percent(text(form.base_percent), "the base percentage") if text(form.base_percent).strip() else None,
        percentages=parse.percentages(parse.line_items("percentages", form.percentages.data)) or None)


def _create_preview(step: confirmation.Step) -> ResponseReturnValue:
    """A new project's preview: the project does not exist yet, so the page names it from the form."""
    name = step.preview.op.params.get("name", "") if step.preview else ""
    return confirmation.render(None, step, back=request.path, title=_("Create the project %(name)s", name=name))


@bp.route("/projects/new", methods=["GET", "POST"])
@login_required
def create_project() -> ResponseReturnValue:
    require("admin")
    form = CreateProjectForm()
    error, status = None, 200
    if form.validate_on_submit():
        step = confirmation.submit(lambda: _create(form))
        if step.outcome is not None:
            return redirect(url_for("projects.show", slug=text(form.slug).strip()), code=303)
        if step.preview:
            return _create_preview(step)
        error, status = step.error, step.status
    elif form.is_submitted():
        status = 400
    return render_template("projects/create.html", form=form, error=error), status

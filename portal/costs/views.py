"""Cost-sharing pages: rule versions, budget years and policy, direct charges and joining fees,
funding, the total budget; and the cost-sharing set-up as JSON.

Each page lists what the project holds now (open to every member city's contact and to the
accountants) and carries the forms that change it, shown only to the roles that may use them
(``portal.costs.pages``). A form posts to ``/p/<slug>/<page>/<form>``; the view checks the role
and the form's shape, and the form's change parses the text fields (lines of ``CODE=VALUE``,
amounts in EUR) and calls :mod:`portal.costs.services`. A refusal, the parser's or the core's,
is shown on the page beside the form it came from, with its status (400 for bad input, 409 for a
conflict such as a closed year), and nothing is changed. A change that went through redirects to
its change page, which shows every share before and after and any amount a closed year kept.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ledger.errors import Word
from ledger.funding import subsidy_amount
from ledger.money import fmt, parse_amount
from ledger.project import governed_years, subsidies, version_to_json
from portal.costs import services as costs
from portal.costs.forms import BudgetForm
from portal.costs.pages import PAGES
from portal.projects import confirmation, privacy
from portal.projects import services as projects
from portal.web import VIEWERS, require, text

bp = Blueprint("costs", __name__)
api = Blueprint("costs_api", __name__, url_prefix="/api/v1")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(api)


def _title(form: FlaskForm) -> str:
    """The preview's heading: what the form's button says it does."""
    submit = getattr(form, "submit", None)
    return str(submit.label.text) if submit is not None else ""


def serve(slug: str, page: str, which: str | None = None) -> ResponseReturnValue:
    """The page with its forms; with ``which``, the POST of that form (a change, or the page with its error)."""
    spec = PAGES[page]
    require(*VIEWERS)
    if which is not None:
        if which not in spec.forms:
            abort(404)
        require(*spec.forms[which].roles)
    project = projects.get_project(slug)
    state = projects.state_for(project)
    forms: dict[str, FlaskForm] = {}
    for name, f in spec.forms.items():
        if not current_user.has_role(*f.roles):
            continue
        if name == which:
            form = f.cls(prefix=name)
        else:  # a form not posted shows the project as it is, not another form's request data
            form = f.cls(prefix=name, formdata=None, **(f.defaults(project, state) if f.defaults else {}))
        if f.setup:
            f.setup(form, state)
        forms[name] = form
    errors: dict[str, str | None] = dict.fromkeys(forms)
    status = 200
    if which is not None:
        form = forms[which]
        if form.validate_on_submit():
            step = confirmation.submit(lambda: spec.forms[which].action(slug, form))
            if step.outcome:
                return redirect(url_for("projects.change", slug=project.slug, event_id=step.outcome.event.id))
            if step.preview:
                return confirmation.render(project, step, back=url_for(f"costs.{page}", slug=slug), title=_title(form))
            errors[which], status = step.error, step.status
        else:
            status = 400
    return render_template(spec.template, project=project, state=state, forms=forms, errors=errors, posted=which,
                           **spec.context(project, state)), status


@bp.get("/p/<slug>/rules")
@login_required
def rules(slug: str) -> ResponseReturnValue:
    return serve(slug, "rules")


@bp.get("/p/<slug>/budget")
@login_required
def budget(slug: str) -> ResponseReturnValue:
    return serve(slug, "budget")


@bp.get("/p/<slug>/charges")
@login_required
def charges(slug: str) -> ResponseReturnValue:
    return serve(slug, "charges")


@bp.get("/p/<slug>/funding")
@login_required
def funding(slug: str) -> ResponseReturnValue:
    return serve(slug, "funding")


@bp.post("/p/<slug>/<any(rules, budget, charges, funding):page>/<which>")
@login_required
def post(slug: str, page: str, which: str) -> ResponseReturnValue:
    return serve(slug, page, which)


@bp.route("/p/<slug>/settings", methods=["GET", "POST"])
@login_required
def settings(slug: str) -> ResponseReturnValue:
    """The total budget, spread over the open years by days; the rule and the years have their own pages."""
    require("lead")
    project = projects.get_project(slug)
    posted = request.method == "POST"
    state = projects.state_for(project)
    form = BudgetForm(prefix="budget", **({} if posted else {"formdata": None, "budget": fmt(state.total)}))
    error, status = None, 200
    if posted:
        if form.validate():
            step = confirmation.submit(lambda: costs.set_budget(
                slug, budget=parse_amount(text(form.budget), what=Word("the budget")), actor=current_user.actor,
                decision=text(form.decision), effective=form.effective.data))
            if step.outcome:
                return redirect(url_for("projects.change", slug=project.slug, event_id=step.outcome.event.id))
            if step.preview:
                return confirmation.render(project, step, back=request.path, title=_title(form))
            error, status = step.error, step.status
        else:
            status = 400
    return render_template("projects/settings.html", project=project, state=state, budget_form=form, error=error,
                           rule=projects.rule_label(project)), status


@api.get("/projects/<slug>/costs")
@login_required
def api_costs(slug: str) -> ResponseReturnValue:
    """The cost-sharing set-up: budget years, policy, closed years, rule versions, funding and charges.

    A city contact gets its own city's charges, catch-ups and targeted funding only (``portal.projects.privacy``).
    """
    require(*VIEWERS)
    state = projects.state_for(projects.get_project(slug))
    viewer = privacy.viewer()
    versions = []
    for v, years in zip(state.versions, governed_years(state), strict=True):
        data = version_to_json(v)
        data |= {"label": v.describe(), "years": [y for y in years if y in state.budget_map],
                 "caps": {c: fmt(x) for c, x in v.caps}, "floors": {c: fmt(x) for c, x in v.floors}}
        versions.append(data)
    return jsonify({
        "policy": state.policy,
        "budget": {str(y): fmt(c) for y, c in state.budget},
        "total": fmt(state.total),
        "closed": list(state.closed),
        "rules": versions,
        "grants": [{"year": g.year, "amount": fmt(g.cents), "text": g.text, "city": g.target}
                   for g in privacy.grants(viewer, state.grants)],
        "subsidies": [{"key": x.key, "rate": fmt(x.rate_cents), "text": x.text, "city": x.target,
                       "hours": str(subsidy_amount(subsidy).hours)} for x, subsidy in privacy.schemes(viewer, subsidies(state))],
        "charges": [{"city": c.code, "date": c.date.isoformat(), "amount": fmt(c.cents), "text": c.text}
                    for c in privacy.charges(viewer, state.charges)],
        "catch_ups": [{"city": c.code, "date": c.date.isoformat(), "amount": fmt(c.cents), "text": c.text}
                      for c in privacy.charges(viewer, state.catch_ups)],
        "joining_fee": {"population_year": state.fee_year,
                        "tiers": [{"until": t.until.isoformat() if t.until else None, "per_resident": fmt(t.cents_per_resident)}
                                  for t in state.tiers]},
    })

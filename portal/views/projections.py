"""Read-only pages: what-if scenarios of joining and leaving, and one share explained step by step.

Both are GET forms or pages: they compute from the ledger as it is and change nothing.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from ledger import municipalities as M
from ledger.errors import InvalidInput, LedgerError
from portal import changes, projections
from portal.views.projects import city_page, require

bp = Blueprint("projections", __name__)


def _date(text: str | None) -> dt.date:
    if not text:
        return changes.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date (YYYY-MM-DD)") from None


@bp.get("/p/<slug>/what-if")
@login_required
def what_if(slug: str) -> ResponseReturnValue:
    require("lead", "contact")
    project = changes.get_project(slug)
    members = {line.code: line.name for line in changes.shares(project)}
    joins, leaves = request.args.getlist("join"), request.args.getlist("leave")
    on_text = request.args.get("on", "")
    result, error, status = None, None, 200
    if joins or leaves or "on" in request.args:
        try:
            on = _date(on_text)
            result = projections.what_if(project, joins, leaves, on)
            summary = projections.describe([M.normalise_code(c) for c in joins if c.strip()],
                                           [M.normalise_code(c) for c in leaves if c.strip()], on)
        except LedgerError as exc:
            error, status = exc.message, exc.status
    choices = sorted((m for m in M.municipalities().values() if m.code not in members), key=lambda m: m.name)
    return render_template(
        "projections/what_if.html", project=project, members=members, choices=choices,
        joins=set(joins), leaves=set(leaves), on=on_text or changes.today().isoformat(),
        result=result, summary=summary if result else "", error=error,
    ), status


@bp.get("/p/<slug>/cities/<code>/explain")
@login_required
def explain(slug: str, code: str) -> ResponseReturnValue:
    project, municipality = city_page(slug, code)
    explained = projections.explain_share(project, municipality.code)
    return render_template("projections/explain.html", project=project, city=municipality, explained=explained)

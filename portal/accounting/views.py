"""The accountant's pages: read-only BQL over the ledger, its CSV, the whole ledger as a file, imports.

Thin views over :mod:`portal.accounting.services`; a refused query is shown on its form with its
status, and nothing has been changed. An import and its reversal run as jobs: the form queues
one and the job's page (``portal.jobs.views``) shows its progress, its result or its errors.
"""

from __future__ import annotations

from decimal import Decimal

from beancount.core.amount import Amount
from beancount.core.inventory import Inventory
from beancount.core.position import Position
from flask import Blueprint, Flask, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from ledger.query import QueryResult
from portal import formats
from portal.accounting import services as accounting
from portal.accounting.forms import ImportForm, QueryForm, RevertForm
from portal.errors import REFUSALS
from portal.i18n import current_language
from portal.projects import services as projects
from portal.web import attachment, attempt, csv_attachment, require, text

bp = Blueprint("accounting", __name__)
api = Blueprint("accounting_api", __name__, url_prefix="/api/v1")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(api)

NUMERIC = (int, Decimal, Amount, Position, Inventory)  # result columns aligned right


def numeric_columns(result: QueryResult | None) -> list[bool]:
    return [isinstance(c.datatype, type) and issubclass(c.datatype, NUMERIC) for c in result.columns] if result else []


def _run(slug: str, form: QueryForm) -> tuple[QueryResult | None, str | None]:
    """Run the form's query; a refused or failing query becomes its message."""
    try:
        return accounting.query(slug, text(form.query)), None
    except REFUSALS as exc:
        return None, exc.message


@bp.route("/p/<slug>/query", methods=["GET", "POST"])
@login_required
def query(slug: str) -> ResponseReturnValue:
    require("accountant")
    project = projects.get_project(slug)
    form = QueryForm()
    result, error, status = None, None, 200
    if form.validate_on_submit():
        result, error = _run(slug, form)
        status = 400 if error else 200
    elif form.is_submitted():
        status = 400
    return render_template("accounting/query.html", project=project, form=form, result=result, error=error,
                           numeric=numeric_columns(result)), status


@bp.post("/p/<slug>/query.csv")
@login_required
def query_csv(slug: str) -> ResponseReturnValue:
    """The query's result as CSV (posted, so the query text travels with a CSRF token), as a spreadsheet in
    the page's language reads it: amounts as numbers, in Finnish and Swedish with ``;`` and decimal commas."""
    require("accountant")
    project = projects.get_project(slug)
    form = QueryForm()
    if form.validate_on_submit():
        result, error = _run(slug, form)
        if result is not None:
            body = formats.spreadsheet_csv(result.names, result.rows, current_language())
            return csv_attachment(body, f"{project.slug}-query.csv")
        return render_template("accounting/query.html", project=project, form=form, result=None, error=error), 400
    return render_template("accounting/query.html", project=project, form=form, result=None, error=None), 400


@bp.get("/p/<slug>/export.beancount")
@login_required
def export(slug: str) -> ResponseReturnValue:
    """The whole ledger as one beancount file that opens in bean-check, bean-query and Fava."""
    require("accountant")
    project = projects.get_project(slug)
    text = accounting.export(project)
    return attachment(text, f"{project.slug}.beancount", "text/plain")  # Werkzeug adds charset=utf-8


@bp.route("/p/<slug>/import", methods=["GET", "POST"])
@login_required
def import_ledger(slug: str) -> ResponseReturnValue:
    """The upload goes to the job queue; the job's page shows its progress and its result."""
    require("accountant")
    project = projects.get_project(slug)
    form = ImportForm()
    error, status = None, 200
    if form.validate_on_submit():
        upload = form.ledger.data
        job, error, status = attempt(lambda: accounting.enqueue_import(slug, upload.read(), filename=upload.filename or "",
                                                                       actor=current_user.actor, user_id=current_user.id))
        if job is not None:
            return redirect(url_for("jobs.show", job_id=job.id))
    elif form.is_submitted():
        status = 400
    return render_template("accounting/import.html", project=project, form=form, error=error,
                           imports=accounting.imports_of(project)), status


@bp.route("/p/<slug>/imports/<int:number>/revert", methods=["GET", "POST"])
@login_required
def revert_import(slug: str, number: int) -> ResponseReturnValue:
    """Confirm, with a reason, the reversal of an import; it runs as a job."""
    require("accountant")
    project = projects.get_project(slug)
    record = accounting.find_import(project, number)
    form = RevertForm()
    error, status = None, 200
    if form.validate_on_submit():
        job, error, status = attempt(lambda: accounting.enqueue_revert(slug, number, reason=text(form.reason),
                                                                       actor=current_user.actor, user_id=current_user.id))
        if job is not None:
            return redirect(url_for("jobs.show", job_id=job.id))
    elif form.is_submitted():
        status = 400
    return render_template("accounting/revert.html", project=project, record=record, form=form, error=error), status


@api.get("/projects/<slug>/query")
@login_required
def api_query(slug: str) -> ResponseReturnValue:
    """``?q=SELECT …``: the result's columns and its cells as text; a refused or failing query is a 400 problem.

    A GET: a query reads and changes nothing. Its refusal (``QueryError``) is answered by
    ``portal.errors`` as an ``application/problem+json`` document with the query's message.
    """
    require("accountant")
    projects.get_project(slug)
    result = accounting.query(slug, request.args.get("q", ""))
    return jsonify({"columns": result.names, "rows": result.cells()})

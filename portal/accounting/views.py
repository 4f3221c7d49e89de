"""The accountant's pages: read-only BQL over the ledger, its CSV, the whole ledger as a file, import.

Thin views over :mod:`portal.accounting.services`; a refused query or import is shown on its
form with its status, and nothing has been changed.
"""

from __future__ import annotations

from decimal import Decimal

from beancount.core.amount import Amount
from beancount.core.inventory import Inventory
from beancount.core.position import Position
from flask import Blueprint, Flask, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from ledger.query import QueryResult
from portal.accounting import services as accounting
from portal.accounting.forms import ImportForm, QueryForm
from portal.errors import REFUSALS, status_of
from portal.projects import services as projects
from portal.web import attachment, require, text

bp = Blueprint("accounting", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

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
    """The query's result as CSV (posted, so the query text travels with a CSRF token)."""
    require("accountant")
    project = projects.get_project(slug)
    form = QueryForm()
    if form.validate_on_submit():
        result, error = _run(slug, form)
        if result is not None:
            return attachment(result.to_csv(), f"{project.slug}-query.csv", "text/csv")
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
    require("accountant")
    project = projects.get_project(slug)
    form = ImportForm()
    error, details, status = None, [], 200
    if form.validate_on_submit():
        upload = form.ledger.data
        filename = (upload.filename or "upload.beancount").rsplit("/", 1)[-1]
        try:
            text = upload.read().decode("utf-8-sig")
            outcome = accounting.import_ledger(slug, text, filename=filename, actor=current_user.actor)
        except UnicodeDecodeError:
            error, status = f"{filename} is not UTF-8 text; save it as UTF-8 and try again", 400
        except REFUSALS as exc:  # ImportRejected lists the errors line by line in .details
            error, details, status = exc.message, exc.details, status_of(exc)
        else:
            count = outcome.event.details.get("transactions", 0)
            flash(f"Imported {count} transactions from {filename} (posting {outcome.seq})", "success")
            return redirect(url_for("projects.change", slug=project.slug, event_id=outcome.event.id))
    elif form.is_submitted():
        status = 400
    return render_template("accounting/import.html", project=project, form=form, error=error, details=details), status

"""The accountant's tools: read-only BQL over the ledger, CSV, the whole ledger as a file, import.

Everything here works on the same in-memory journal the shares come from, so a query, an
export and the members table always agree. What a query may do is decided by ``ledger.query``
(only reading statements); an import is validated by ``ledger.importer`` (all or nothing).
"""

from __future__ import annotations

from decimal import Decimal

from beancount.core.amount import Amount
from beancount.core.inventory import Inventory
from beancount.core.position import Position
from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from ledger.errors import LedgerError
from ledger.export import render
from ledger.query import QueryResult
from portal import changes
from portal.forms import ImportForm, QueryForm
from portal.views.projects import require

bp = Blueprint("accounting", __name__)

NUMERIC = (int, Decimal, Amount, Position, Inventory)  # result columns aligned right


def numeric_columns(result: QueryResult | None) -> list[bool]:
    return [isinstance(c.datatype, type) and issubclass(c.datatype, NUMERIC) for c in result.columns] if result else []


def _attachment(body: str, filename: str, mimetype: str) -> Response:
    """A download; text mimetypes get ``charset=utf-8`` from Werkzeug."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _run(slug: str, form: QueryForm) -> tuple[QueryResult | None, str | None]:
    """Run the form's query; a refused or failing query becomes its message."""
    project = changes.get_project(slug)
    try:
        return changes.journal_for(project).query(form.query.data), None
    except LedgerError as exc:
        return None, exc.message


@bp.route("/p/<slug>/query", methods=["GET", "POST"])
@login_required
def query(slug: str) -> ResponseReturnValue:
    require("accountant")
    project = changes.get_project(slug)
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
    project = changes.get_project(slug)
    form = QueryForm()
    if form.validate_on_submit():
        result, error = _run(slug, form)
        if result is not None:
            return _attachment(result.to_csv(), f"{project.slug}-query.csv", "text/csv")
        return render_template("accounting/query.html", project=project, form=form, result=None, error=error), 400
    return render_template("accounting/query.html", project=project, form=form, result=None, error=None), 400


@bp.get("/p/<slug>/export.beancount")
@login_required
def export(slug: str) -> ResponseReturnValue:
    """The whole ledger as one beancount file that opens in bean-check, bean-query and Fava."""
    require("accountant")
    project = changes.get_project(slug)
    text = render(changes.journal_for(project).entries, title=project.name)
    return _attachment(text, f"{project.slug}.beancount", "text/plain")  # Werkzeug adds charset=utf-8


@bp.route("/p/<slug>/import", methods=["GET", "POST"])
@login_required
def import_ledger(slug: str) -> ResponseReturnValue:
    require("accountant")
    project = changes.get_project(slug)
    form = ImportForm()
    error, details, status = None, [], 200
    if form.validate_on_submit():
        upload = form.ledger.data
        filename = (upload.filename or "upload.beancount").rsplit("/", 1)[-1]
        try:
            text = upload.read().decode("utf-8-sig")
            outcome = changes.import_ledger(slug, text, filename=filename, actor=current_user.actor)
        except UnicodeDecodeError:
            error, status = f"{filename} is not UTF-8 text; save it as UTF-8 and try again", 400
        except LedgerError as exc:  # ImportRejected lists the errors line by line in .details
            error, details, status = exc.message, exc.details, exc.status
        else:
            count = outcome.event.details.get("transactions", 0)
            flash(f"Imported {count} transactions from {filename} (posting {outcome.seq})", "success")
            return redirect(url_for("projects.change", slug=project.slug, event_id=outcome.event.id))
    elif form.is_submitted():
        status = 400
    return render_template("accounting/import.html", project=project, form=form, error=error, details=details), status

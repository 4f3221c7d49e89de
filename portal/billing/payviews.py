"""Payment pages: the payments with the bank file upload, the manual payment form and the allocate form;
a city's statement with its year-end confirmation; the aging list with overdue invoices and reminders.

Accountants import, add and allocate payments and issue reminders; the lead and the accountants see
everything; a city contact sees its own statement (403 for another city's). A bank file is imported
in the request (the files a consortium gets are small); a refusal is shown beside the form, with
its status, and nothing is posted.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ledger import municipalities as M
from ledger import parse
from ledger.errors import Word
from ledger.money import parse_amount
from portal.billing import forms, letters, payjobs, statements
from portal.billing import payments as pay
from portal.clock import today
from portal.projects import services as projects
from portal.web import BOOKKEEPERS, VIEWERS, attachment, attempt, day, require, text

bp = Blueprint("payments", __name__)
MAX_BANK_FILE = 50 * 1024 * 1024


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def _page(slug: str, status: int = 200, error: str | None = None, result: pay.Imported | None = None,
          upload: forms.BankFileForm | None = None, manual: forms.PaymentForm | None = None) -> ResponseReturnValue:
    project = projects.get_project(slug)
    rows = pay.payments(project)
    return render_template("billing/payments.html", project=project, rows=rows, error=error, result=result,
                           upload=upload or forms.BankFileForm(formdata=None), manual=manual or forms.PaymentForm(formdata=None),
                           allocate=forms.AllocateForm(formdata=None),
                           unallocated=[r for r in rows if r.status == "unallocated"]), status


@bp.get("/p/<slug>/payments")
@login_required
def payments(slug: str) -> ResponseReturnValue:
    require(*BOOKKEEPERS)
    return _page(slug)


@bp.post("/p/<slug>/payments/import")
@login_required
def import_file(slug: str) -> ResponseReturnValue:
    require("accountant")
    form = forms.BankFileForm()
    if not form.validate_on_submit():
        return _page(slug, 400, upload=form)
    body = form.file.data.read(MAX_BANK_FILE + 1)
    if len(body) > payjobs.INLINE_BYTES:
        job, error, status = attempt(lambda: payjobs.enqueue_import(slug, body, filename=form.file.data.filename or "",
                                                                    actor=current_user.actor, user_id=current_user.id))
        if job is not None:
            return redirect(url_for("jobs.show", job_id=job.id), code=303)
        return _page(slug, status, error=error, upload=form)
    result, error, status = attempt(lambda: pay.import_file(slug, body, actor=current_user.actor))
    return _page(slug, status, error=error, result=result, upload=form)


@bp.post("/p/<slug>/payments/add")
@login_required
def add(slug: str) -> ResponseReturnValue:
    require("accountant")
    form = forms.PaymentForm()
    if not form.validate_on_submit():
        return _page(slug, 400, manual=form)
    row, error, status = attempt(lambda: pay.add_payment(
        slug, city=text(form.city), cents=parse_amount(text(form.amount), what=Word("the amount")), date=day(form.date),
        reference=text(form.reference) or None, text=text(form.text) or None, actor=current_user.actor))
    if row is None:
        return _page(slug, status, error=error, manual=form)
    flash(_("Payment %(id)s added.", id=row.id), "success")
    return redirect(url_for("payments.payments", slug=slug))


@bp.post("/p/<slug>/payments/<int:payment_id>/allocate")
@login_required
def allocate(slug: str, payment_id: int) -> ResponseReturnValue:
    require("accountant")
    form = forms.AllocateForm()
    if not form.validate_on_submit():
        return _page(slug, 400)
    row, error, status = attempt(lambda: pay.allocate(slug, payment_id, invoice_number=form.invoice.data,
                                                      city=text(form.city) or None, actor=current_user.actor))
    if row is None:
        return _page(slug, status, error=error)
    flash(_("Payment %(id)s allocated.", id=row.id), "success")
    return redirect(url_for("payments.payments", slug=slug))


def _own_city(city: str | None) -> str:
    """The city asked for; a contact's own, and 403 for another."""
    require(*VIEWERS)
    if current_user.has_role(*BOOKKEEPERS):
        if not city:
            abort(404)
        return M.lookup(city).code
    if city and M.lookup(city).code != current_user.city_code:
        abort(403)
    return str(current_user.city_code)


@bp.get("/p/<slug>/statement")
@login_required
def statement(slug: str) -> ResponseReturnValue:
    project = projects.get_project(slug)
    wanted = (request.args.get("city") or "").strip() or None
    if wanted is None and current_user.has_role(*BOOKKEEPERS):
        codes = projects.state_for(project).codes()
        wanted = codes[0] if codes else None
    code = _own_city(wanted)
    found = statements.statement(project, code)
    cities = projects.state_for(project).codes() if current_user.has_role(*BOOKKEEPERS) else []
    return render_template("billing/statement.html", project=project, statement=found, cities=cities,
                           years=[y.year for y in found.years])


@bp.get("/p/<slug>/statement/<city>/confirmation-<int:year>.pdf")
@login_required
def confirmation(slug: str, city: str, year: int) -> ResponseReturnValue:
    project = projects.get_project(slug)
    code = _own_city(city)
    body = letters.confirmation_pdf(project, code, parse.year(str(year)))
    return attachment(body, f"{project.slug}-{code}-saldovahvistus-{year}.pdf", "application/pdf")


@bp.get("/p/<slug>/aging")
@login_required
def aging(slug: str) -> ResponseReturnValue:
    require(*BOOKKEEPERS)
    project = projects.get_project(slug)
    rows = statements.aging(project)
    return render_template("billing/aging.html", project=project, rows=rows, totals=statements.totals(rows),
                           buckets=statements.BUCKETS, remind=forms.RemindForm(formdata=None),
                           reminders=letters.reminders(project), error=None), 200


@bp.post("/p/<slug>/invoices/<int:number>/remind")
@login_required
def remind(slug: str, number: int) -> ResponseReturnValue:
    require("accountant")
    form = forms.RemindForm()
    if not form.validate_on_submit():
        abort(400)
    fee = text(form.fee)
    reminder, error, status = attempt(lambda: letters.issue_reminder(
        slug, number, actor=current_user.actor, on=today(), fee_cents=parse_amount(fee, what=Word("the reminder fee")) if fee else 0))
    if reminder is None:
        project = projects.get_project(slug)
        rows = statements.aging(project)
        return render_template("billing/aging.html", project=project, rows=rows, totals=statements.totals(rows),
                               buckets=statements.BUCKETS, remind=forms.RemindForm(formdata=None),
                               reminders=letters.reminders(project), error=error), status
    flash(_("Reminder %(id)s of invoice %(number)s issued.", id=reminder.id, number=number), "success")
    return redirect(url_for("payments.aging", slug=slug))


@bp.get("/p/<slug>/reminders/<int:reminder_id>.pdf")
@login_required
def reminder_pdf(slug: str, reminder_id: int) -> ResponseReturnValue:
    require(*BOOKKEEPERS)
    project = projects.get_project(slug)
    return attachment(letters.reminder_pdf(project, reminder_id), f"{project.slug}-reminder-{reminder_id}.pdf", "application/pdf")


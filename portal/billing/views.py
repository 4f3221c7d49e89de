"""Billing pages and JSON: the parties and settings, issuing a year's invoices with their preview,
the invoice list, an invoice with its PDF and Finvoice; ``/api/v1/projects/<slug>/invoices``.

Who sees what: the lead and the accountants every invoice and the parties page; only accountants
issue; a city contact sees its own city's invoices and their PDFs, and gets 403 for another city's.
Views parse the input, call a service and render; a refusal is shown beside the form that was
sent, with its status (``portal.errors``), and nothing has been changed.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Flask, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ledger import municipalities as M
from ledger import parse
from ledger.errors import InvalidInput, Word
from portal.billing import documents, forms, issuing, payviews, pdf, statements, texts
from portal.billing import services as billing
from portal.billing.models import Invoice
from portal.clock import today
from portal.errors import REFUSALS, message_of, status_of
from portal.projects import services as projects
from portal.projects.models import Project
from portal.web import BOOKKEEPERS, VIEWERS, attachment, attempt, csv_attachment, require, text, whole

bp = Blueprint("billing", __name__)
SAVED = {"seller": lambda: _("Saved the seller details."), "settings": lambda: _("Saved the settings details."),
         "member": lambda: _("Saved the member details.")}  # called per request: the page's language
api = Blueprint("billing_api", __name__, url_prefix="/api/v1")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(api)
    payviews.init_app(app)
    app.add_template_global(city_billing, "city_billing")  # the city's dashboard (portal.projects never imports billing)


def city_billing(project: Project, code: str) -> tuple[list[statements.BilledYear], dt.date | None] | None:
    """The city's invoiced, paid and open per budget year and its next due date, for whoever may see its
    invoices (the lead, the accountants, the city's own contacts); ``None`` for anyone else."""
    if not (sees_all() or current_user.city_code == code):
        return None
    return statements.billed_years(project, code)


def sees_all() -> bool:
    """The lead and the accountants see every city's invoices; a contact only its own."""
    return bool(current_user.has_role(*BOOKKEEPERS))


def _city_filter() -> str | None:
    """The ``city`` the list is asked for; a contact's own city, and 403 for another."""
    wanted = (request.args.get("city") or "").strip() or None
    code = M.lookup(wanted).code if wanted else None
    if sees_all():
        return code
    if code is not None and code != current_user.city_code:
        abort(403)
    return str(current_user.city_code)


def _year_filter() -> int | None:
    raw = (request.args.get("year") or "").strip()
    return parse.year(raw) if raw else None


def _visible(project: Project, number: int) -> Invoice:
    require(*VIEWERS)
    invoice = billing.find_invoice(project, number)
    if not sees_all() and invoice.code != current_user.city_code:
        abort(403)
    return invoice


# -- the parties and settings --------------------------------------------------------------------
def _party_forms(project: Project, posted: str | None, city: str | None) -> dict[str, FlaskForm]:
    seller = billing.seller_of(project)
    members = billing.members(project)
    chosen = next((m for m in members if m.code == city), members[0] if members else None)
    defaults = {
        "seller": {k: getattr(seller, k) for k in billing.SELLER_FIELDS} if seller else {},
        "settings": {k: getattr(seller, k) for k in billing.SETTING_FIELDS} if seller else {},
        "member": chosen.to_json() | {"city": chosen.code} if chosen else {},
    }
    classes = {"seller": forms.SellerForm, "settings": forms.SettingsForm, "member": forms.MemberForm}
    built: dict[str, FlaskForm] = {}
    for name, cls in classes.items():
        built[name] = cls(prefix=name) if name == posted else cls(prefix=name, formdata=None, **defaults[name])
    return built


def _save(slug: str, which: str, form: FlaskForm) -> object:
    data = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
    actor = current_user.actor
    if which == "seller":
        return billing.set_seller(slug, actor=actor, name=data["name"], business_id=data["business_id"], iban=data["iban"],
                                  bic=data["bic"], einvoice_address=data["einvoice_address"], operator=data["operator"],
                                  address=data["address"], contact=data["contact"])
    if which == "settings":
        return billing.set_settings(slug, actor=actor, instalments=data["instalments"], terms_days=data["terms_days"],
                                    vat=data["vat_rate"], vat_reason=data["vat_reason"] or "", reference_kind=data["reference_kind"],
                                    reference_prefix=data["reference_prefix"])
    city = data.pop("city")
    return billing.set_member(slug, city=city, actor=actor, **{k: str(v or "") for k, v in data.items()})


@bp.route("/p/<slug>/billing", methods=["GET"])
@bp.route("/p/<slug>/billing/<any(seller, settings, member):which>", methods=["POST"])
@login_required
def parties(slug: str, which: str | None = None) -> ResponseReturnValue:
    """The seller, how the project invoices, and every member's billing details."""
    require(*BOOKKEEPERS)
    project = projects.get_project(slug)
    city = request.form.get("member-city") if which == "member" else request.args.get("city")
    built = _party_forms(project, which, city)
    errors: dict[str, str | None] = dict.fromkeys(built)
    status = 200
    if which is not None:
        form = built[which]
        if form.validate_on_submit():
            saved, errors[which], status = attempt(lambda: _save(slug, which, form))
            if saved is not None:
                flash(SAVED[which](), "success")
                return redirect(url_for("billing.parties", slug=slug, city=city if which == "member" else None))
        else:
            status = 400
    members = billing.members(project)
    chosen = next((m for m in members if m.code == built["member"].city.data), None)
    return render_template("billing/parties.html", project=project, forms=built, errors=errors, posted=which,
                           seller=billing.seller_of(project), members=members, chosen=chosen), status


# -- issuing -------------------------------------------------------------------------------------
def _issue_form(project: Project, posted: bool) -> forms.IssueForm:
    state = projects.state_for(project)
    form = forms.IssueForm() if posted else forms.IssueForm(formdata=None, year=str(state.term_year(today().year)))
    form.year.choices = [(str(y), str(y)) for y in state.years]
    return form


def _confirm(form: forms.IssueForm, run: issuing.Run) -> forms.ConfirmForm:
    return forms.ConfirmForm(formdata=None, year=str(run.year), date=run.dates.date.isoformat(),
                             due=form.due.data.isoformat() if form.due.data else "",
                             terms="" if form.due.data else str(run.dates.terms), seq=str(run.seq))


@bp.route("/p/<slug>/invoices/issue", methods=["GET", "POST"])
@login_required
def issue(slug: str) -> ResponseReturnValue:
    """Preview a year's invoices (nothing is issued); the preview's Confirm issues them."""
    require("accountant")
    project = projects.get_project(slug)
    form = _issue_form(project, request.method == "POST")
    run, error, status = None, None, 200
    if request.method == "POST":
        if form.validate_on_submit():
            run, error, status = attempt(lambda: issuing.preview(
                slug, year=parse.year(text(form.year)), date=form.date.data, due=form.due.data, terms=form.terms.data,
                actor=current_user.actor))
        else:
            status = 400
    confirm = _confirm(form, run) if run and run.invoices else None
    return render_template("billing/issue.html", project=project, form=form, run=run, error=error, confirm=confirm), status


def _confirmed(slug: str, form: forms.ConfirmForm) -> issuing.Run:
    terms = text(form.terms).strip()
    if terms and whole(terms) is None:
        raise InvalidInput("payment terms %(terms)s must be a whole number of days", terms=repr(terms))
    seq = whole(text(form.seq))  # the ledger the preview was made from; -1, none, is refused as moved
    return issuing.issue(slug, year=parse.year(text(form.year)), actor=current_user.actor,
                         date=parse.date(text(form.date), Word("the invoice date")) if text(form.date) else None,
                         due=parse.date(text(form.due), Word("the due date")) if text(form.due) else None,
                         terms=whole(terms), expect_seq=-1 if seq is None else seq)


@bp.post("/p/<slug>/invoices/confirm")
@login_required
def confirm(slug: str) -> ResponseReturnValue:
    require("accountant")
    project = projects.get_project(slug)
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        return render_template("error.html", status=400, message=_("the confirmation is incomplete: preview again"), details=[]), 400
    try:
        run = _confirmed(slug, form)
    except REFUSALS as exc:
        return render_template("billing/issue.html", project=project, form=_issue_form(project, False), run=None,
                               error=message_of(exc), confirm=None), status_of(exc)
    numbers = [p.invoice.number for p in run.invoices]
    flash(ngettext("Issued %(num)s invoice for %(year)s: numbers %(first)s–%(last)s.",
                   "Issued %(num)s invoices for %(year)s: numbers %(first)s–%(last)s.", len(numbers),
                   year=run.year, first=numbers[0], last=numbers[-1]), "success")
    return redirect(url_for("billing.invoices", slug=slug, year=run.year))


# -- the invoices --------------------------------------------------------------------------------
@bp.get("/p/<slug>/invoices")
@login_required
def invoices(slug: str) -> ResponseReturnValue:
    require(*VIEWERS)
    project = projects.get_project(slug)
    city, year = _city_filter(), _year_filter()
    rows = documents.listing(project, year=year, city=city)
    state = projects.state_for(project)
    return render_template("billing/invoices.html", project=project, rows=rows, year=year, city=city, years=list(state.years),
                           cities=state.codes() if sees_all() else [], sees_all=sees_all(),
                           total=sum(r.invoice.total_cents for r in rows))


@bp.get("/p/<slug>/invoices.csv")
@login_required
def invoices_csv(slug: str) -> ResponseReturnValue:
    """The list for a city's own accounting, in its invoice language's conventions (``?language=`` to choose)."""
    require(*VIEWERS)
    project = projects.get_project(slug)
    city, year = _city_filter(), _year_filter()
    language = request.args.get("language") or (billing.details(project, city).language if city else "fi")
    body = documents.to_csv(documents.listing(project, year=year, city=city), texts.check_language(language))
    return csv_attachment(body, f"{project.slug}-invoices{'-' + city if city else ''}.csv")  # with the BOM Excel needs


@bp.get("/p/<slug>/invoices/<int:number>")
@login_required
def invoice(slug: str, number: int) -> ResponseReturnValue:
    project = projects.get_project(slug)
    found = _visible(project, number)
    listed = next(r for r in documents.listing(project, year=found.year, city=found.code) if r.invoice.id == found.id)
    return render_template("billing/invoice.html", listed=listed, sees_all=sees_all(),
                           **pdf.context(project, found))


@bp.get("/p/<slug>/invoices/<int:number>.pdf")
@login_required
def invoice_pdf(slug: str, number: int) -> ResponseReturnValue:
    project = projects.get_project(slug)
    found = _visible(project, number)
    return attachment(pdf.pdf(project, found), f"{project.slug}-invoice-{number}.pdf", "application/pdf")


@bp.get("/p/<slug>/invoices/<int:number>.xml")
@login_required
def invoice_finvoice(slug: str, number: int) -> ResponseReturnValue:
    require(*BOOKKEEPERS)
    project = projects.get_project(slug)
    found = billing.find_invoice(project, number)
    return attachment(documents.finvoice(project, found), f"{project.slug}-finvoice-{number}.xml", "application/xml")


@api.get("/projects/<slug>/invoices")
@login_required
def api_invoices(slug: str) -> ResponseReturnValue:
    """The invoice list as JSON (the issue's contract); a contact gets its own city's invoices only."""
    require(*VIEWERS)
    project = projects.get_project(slug)
    return jsonify([row.to_json() for row in documents.listing(project, year=_year_filter(), city=_city_filter())])

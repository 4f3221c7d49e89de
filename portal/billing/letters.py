"""Billing's letters: payment reminders of overdue invoices and the year-end confirmation of balance (saldovahvistus).

A reminder is recorded (``billing_reminders``: what was open on the day, no fee unless one is
given; a fee is posted with it as a direct charge to the city, so the year's next invoicing bills
it and the ledger knows what the letter asks) and printed in the member's invoice language; the
confirmation is read only: the city's balance at 31.12. of the year with the open invoices behind it, for its auditors. Both are HTML
from one template made a PDF by WeasyPrint with no URL fetcher, like the invoices (``pdf.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import render_template
from sqlalchemy import select

from ledger import municipalities as M
from ledger.errors import Conflict, InvalidInput, NotFound
from ledger.project import Op, ProjectState
from portal import audit
from portal.billing import texts
from portal.billing.documents import listing, reference_texts
from portal.billing.models import Invoice, Reminder
from portal.billing.services import details, find_invoice, required_seller
from portal.billing.statements import statement
from portal.clock import today
from portal.costs.services import charge_op
from portal.extensions import db
from portal.projects.models import Project
from portal.projects.services import change, get_project

TEMPLATE = "billing/letter_pdf.html"
_WORDS: dict[str, dict[str, str]] = {
    "fi": {"reminder": "Maksumuistutus", "confirmation": "Saldovahvistus",
           "reminder_text": "Kirjanpitomme mukaan alla oleva lasku on erääntynyt ja maksamatta. Pyydämme maksamaan avoimen määrän "
                            "viipymättä laskun viitenumerolla. Jos olette jo maksaneet, tämä muistutus on aiheeton.",
           "no_fee": "Muistutuksesta ei peritä maksua.", "fee": "Muistutusmaksu {fee} € laskutetaan erikseen.", "fee_text": "Muistutusmaksu, lasku {number}",
           "confirmation_text": "Kirjanpitomme mukaan {name} oli {date} velkaa {amount} €. Avoimet laskut on lueteltu alla.",
           "confirmation_ask": "Pyydämme vahvistamaan saldon tai ilmoittamaan poikkeamasta tilintarkastajallenne ja meille.",
           "invoice": "Lasku", "due": "Eräpäivä", "reference": "Viitenumero", "open": "Avoinna", "total": "Avoinna yhteensä"},
    "sv": {"reminder": "Betalningspåminnelse", "confirmation": "Saldobekräftelse",
           "reminder_text": "Enligt vår bokföring har fakturan nedan förfallit och är obetald. Vi ber er betala det öppna beloppet "
                            "utan dröjsmål med fakturans referensnummer. Om ni redan har betalat är denna påminnelse obefogad.",
           "no_fee": "Ingen avgift tas ut för påminnelsen.", "fee": "Påminnelseavgiften {fee} € faktureras separat.", "fee_text": "Påminnelseavgift, faktura {number}",
           "confirmation_text": "Enligt vår bokföring var {name} skyldig {amount} € den {date}. De öppna fakturorna anges nedan.",
           "confirmation_ask": "Vi ber er bekräfta saldot eller meddela avvikelser till er revisor och till oss.",
           "invoice": "Faktura", "due": "Förfallodag", "reference": "Referensnummer", "open": "Öppet", "total": "Öppet totalt"},
    "en": {"reminder": "Payment reminder", "confirmation": "Confirmation of balance",
           "reminder_text": "According to our books the invoice below is overdue and unpaid. Please pay the open amount without "
                            "delay with the invoice's reference. If you have already paid, please disregard this reminder.",
           "no_fee": "No fee is charged for this reminder.", "fee": "A reminder fee of {fee} € will be invoiced separately.", "fee_text": "Reminder fee, invoice {number}",
           "confirmation_text": "According to our books {name} owed {amount} € on {date}. The open invoices are listed below.",
           "confirmation_ask": "Please confirm the balance, or report any difference, to your auditors and to us.",
           "invoice": "Invoice", "due": "Due date", "reference": "Reference", "open": "Open", "total": "Open in total"},
}


def word(language: str, key: str, **values: Any) -> str:
    return _WORDS.get(language, _WORDS["fi"])[key].format(**values)


def _pdf(html: str) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    document: bytes = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()
    return document


def _render(project: Project, language: str, **context: Any) -> str:
    seller = required_seller(project)
    return render_template(TEMPLATE, language=language, seller=seller, day=texts.day, **context)


# -- reminders -----------------------------------------------------------------------------------
def issue_reminder(slug: str, number: int, *, actor: str, fee_cents: int = 0, on: dt.date | None = None) -> Reminder:
    """Record a reminder of an overdue invoice (refused when nothing of it is open or it is not yet due)."""
    try:
        project = get_project(slug)
        invoice = find_invoice(project, number)
        day = on or today()
        found = next((r for r in listing(project) if r.invoice.id == invoice.id), None)
        if found is None or found.outstanding <= 0 or invoice.kind == "credit-note":
            raise Conflict("invoice %(number)s has nothing open to remind of", number=number)
        if invoice.due_date >= day:
            raise Conflict("invoice %(number)s is not overdue: it is due on %(due)s", number=number, due=texts.day(invoice.due_date))
        if isinstance(fee_cents, bool) or not isinstance(fee_cents, int) or fee_cents < 0:
            raise InvalidInput("the reminder fee must be zero or more")
        reminder = Reminder(project_id=project.id, invoice_id=invoice.id, reminder_date=day, outstanding_cents=found.outstanding,
                            fee_cents=fee_cents, language=invoice.language, issued_by=actor)
        if fee_cents:
            return _with_fee(slug, reminder, invoice, number)
        _record(reminder, slug, number, project.id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return reminder


def _record(reminder: Reminder, slug: str, number: int, project_id: int, charge: int | None = None) -> None:
    db.session.add(reminder)
    db.session.flush()
    audit.record(reminder.issued_by, "payment-reminder-issued",
                 {"project": slug, "invoice": number, "reminder": reminder.id, "outstanding": reminder.outstanding_cents,
                  "fee": reminder.fee_cents, **({"charge": charge} if charge is not None else {})}, project_id=project_id)


def _with_fee(slug: str, reminder: Reminder, invoice: Invoice, number: int) -> Reminder:
    """The reminder and its fee as one change: the fee a direct charge to the city dated the reminder's day
    (billed by the year's next invoicing), recorded under the project's lock and committed with it, so a
    refused charge (a closed year, say) leaves no reminder, and no reminder is without the fee it asks."""

    def build(state: ProjectState, project: Project) -> Op:
        _record(reminder, slug, number, project.id, charge=len(state.charges) + 1)
        text = word(reminder.language, "fee_text", number=number)
        return charge_op(invoice.code, reminder.fee_cents, reminder.reminder_date, text, reminder.issued_by)

    change(slug, build)
    return reminder


def reminders(project: Project) -> list[tuple[Reminder, Invoice]]:
    query = (select(Reminder, Invoice).join(Invoice, Invoice.id == Reminder.invoice_id)
             .where(Reminder.project_id == project.id).order_by(Reminder.id))
    return [(r, i) for r, i in db.session.execute(query)]


def reminder_pdf(project: Project, reminder_id: int) -> bytes:
    """A recorded reminder as a PDF in the member's language."""
    found = next(((r, i) for r, i in reminders(project) if r.id == reminder_id), None)
    if found is None:
        raise NotFound("project %(slug)s has no reminder %(id)s", slug=repr(project.slug), id=reminder_id)
    reminder, invoice = found
    language = reminder.language
    national, rf = reference_texts(invoice)
    ref = rf if invoice.reference_kind == "rf" else national
    fee = word(language, "fee", fee=texts.amount(reminder.fee_cents, language)) if reminder.fee_cents else word(language, "no_fee")
    html = _render(project, language, title=word(language, "reminder"), buyer=invoice.buyer["name"], date=reminder.reminder_date,
                   paragraphs=[word(language, "reminder_text")],
                   heads=[word(language, "invoice"), word(language, "due"), word(language, "reference"), word(language, "open")],
                   rows=[[str(invoice.number), texts.day(invoice.due_date), ref, texts.amount(reminder.outstanding_cents, language)]],
                   closing=[fee])
    return _pdf(html)


# -- the year-end confirmation of balance --------------------------------------------------------
def confirmation_pdf(project: Project, city: str, year: int) -> bytes:
    """The city's balance at the end of ``year`` and the invoices open then, in its invoice language."""
    code = M.lookup(city).code
    language = details(project, code).language
    end = dt.date(year, 12, 31)
    found = statement(project, code)
    balance = found.balance_at(end)
    rows = [[str(r.invoice.number), texts.day(r.invoice.due_date), reference_texts(r.invoice)[0], texts.amount(r.outstanding, language)]
            for r in listing(project, city=code, as_of=end) if r.outstanding and r.invoice.invoice_date <= end]
    rows.append([word(language, "total"), "", "", texts.amount(balance, language)])
    html = _render(project, language, title=f"{word(language, 'confirmation')} {texts.day(end)}",
                   buyer=details(project, code).name, date=today(),
                   paragraphs=[word(language, "confirmation_text", name=details(project, code).name,
                                    amount=texts.amount(balance, language), date=texts.day(end))],
                   heads=[word(language, "invoice"), word(language, "due"), word(language, "reference"), word(language, "open")],
                   rows=rows, closing=[word(language, "confirmation_ask")])
    return _pdf(html)

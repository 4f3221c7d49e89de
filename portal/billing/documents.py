"""An issued invoice as the documents it travels in: the invoice model, Finvoice 3.0, the list as JSON and CSV.

One model feeds every output (``portal.billing.invoice.Invoice``): :func:`model_of` builds it from
what the invoice row stored on the day it was issued (its parties, lines, dates, references), so a
Finvoice message or a PDF printed a year later says exactly what was issued. The same function
prices an invoice while it is being issued (``portal.billing.issuing``), so the totals stored, the
totals posted and the totals printed are one computation.

What has been paid of an invoice is what the ledger says (``ledger.invoicing.outstanding``: the
payments of :mod:`portal.billing.payments` carry the invoice's number), with each credit note
applied to the invoice it corrects (:func:`open_amounts`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ledger import municipalities as M
from ledger.errors import InvalidInput, Word
from ledger.invoicing import outstanding
from ledger.money import fmt
from portal.billing import texts
from portal.billing.finvoice import Transmission, build_finvoice
from portal.billing.invoice import Invoice as InvoiceModel
from portal.billing.invoice import InvoiceRow, Party, PaymentAccount, VatExemption, parse_address
from portal.billing.models import Invoice, InvoiceLine
from portal.billing.parties import vat_number_for
from portal.billing.references import format_national_reference, format_rf_reference
from portal.extensions import db
from portal.projects.models import Project
from portal.projects.services import journal_for

HELSINKI = ZoneInfo("Europe/Helsinki")
CSV_COLUMNS = ("number", "city", "name", "year", "kind", "date", "due", "amount", "vat", "reference", "rf", "paid",
               "outstanding", "status", "buyer_reference")


def lines_of(invoice: Invoice) -> list[InvoiceLine]:
    query = select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id).order_by(InvoiceLine.position)
    return list(db.session.execute(query).scalars())


def _party(data: dict[str, Any], *, seller: bool, vat: bool) -> Party:
    address = parse_address(data["address"]) if data.get("address") else None
    vat_number = vat_number_for(data["business_id"]) if seller and vat and data.get("business_id") else None
    return Party(data["name"], data.get("business_id"), address, vat_number, data.get("einvoice_address"), data.get("operator"))


def _original_date(invoice: Invoice) -> dt.date | None:
    if invoice.corrects is None:
        return None
    found: dt.date | None = db.session.execute(select(Invoice.invoice_date).where(
        Invoice.seller_key == invoice.seller_key, Invoice.number == invoice.corrects)).scalar_one_or_none()
    return found


def model_of(invoice: Invoice, lines: Sequence[InvoiceLine], *, project_name: str) -> InvoiceModel:
    """The invoice model of an invoice row and its lines (stored, or being issued): the one source of every output."""
    seller, buyer, language = invoice.seller, invoice.buyer, invoice.language
    rate = Decimal(invoice.vat_rate)
    credit = invoice.kind == "credit-note"
    free = [f"{project_name}: {invoice.year}"]
    if invoice.kind == "supplementary" and invoice.corrects is not None:
        free.append(f"{texts.word(language, 'corrects')}: {invoice.corrects}")
    return InvoiceModel(
        kind="credit_note" if credit else "invoice",
        number=str(invoice.number),
        invoice_date=invoice.invoice_date,
        due_date=invoice.due_date,
        seller=_party(seller, seller=True, vat=rate > 0),
        buyer=_party(buyer, seller=False, vat=False),
        rows=tuple(InvoiceRow(line.text, Decimal(1), line.cents, line.cents, rate) for line in lines),
        account=PaymentAccount(seller["iban"], seller["bic"]),
        reference=invoice.rf if invoice.reference_kind == "rf" else invoice.reference,
        payment_terms=texts.word(language, "terms_days", days=invoice.terms_days),
        buyer_reference=buyer.get("buyer_reference"),
        original_invoice_number=str(invoice.corrects) if credit and invoice.corrects is not None else None,
        original_invoice_date=_original_date(invoice) if credit else None,
        vat_exemption=VatExemption("O", invoice.vat_reason or texts.word(language, "no_vat")[:70]) if rate == 0 else None,
        free_text=tuple(free),
    )


def finvoice(project: Project, invoice: Invoice) -> bytes:
    """The invoice's Finvoice 3.0 message (refused, with what is missing, when a party has no e-invoice routing)."""
    for role, party in ((Word("seller"), invoice.seller), (Word("buyer"), invoice.buyer)):
        if not party.get("einvoice_address") or not party.get("operator"):
            raise InvalidInput("invoice %(number)s cannot be sent as Finvoice: the %(role)s %(name)s had no e-invoice address and"
                               " operator when it was issued; send its PDF (portal invoice pdf %(slug)s %(number)s)",
                               number=invoice.number, role=role, name=party["name"], slug=project.slug)
    model = model_of(invoice, lines_of(invoice), project_name=project.name)
    issued = invoice.issued_at.replace(tzinfo=dt.UTC).astimezone(HELSINKI).replace(microsecond=0)
    return build_finvoice(model, Transmission(f"{invoice.seller_key}-{invoice.number}", issued))


# -- the list ------------------------------------------------------------------------------------
class Listed(NamedTuple):
    """An invoice in the list, with what the ledger says is paid and open of it."""

    invoice: Invoice
    paid: int
    outstanding: int

    @property
    def status(self) -> str:
        if self.outstanding == 0:
            return "paid"
        return "open" if self.paid == 0 else "partly-paid"

    def to_json(self) -> dict[str, Any]:
        """The issue's contract: amounts as decimal strings, dates ISO, references without spaces."""
        i = self.invoice
        return {"number": i.number, "city": i.code, "name": i.buyer["name"], "year": i.year, "kind": i.kind,
                "date": i.invoice_date.isoformat(), "due": i.due_date.isoformat(), "amount": fmt(i.total_cents),
                "net": fmt(i.net_cents), "vat": fmt(i.vat_cents), "reference": i.reference, "rf": i.rf,
                "paid": fmt(self.paid), "outstanding": fmt(self.outstanding), "status": self.status,
                "corrects": i.corrects, "instalment": i.instalment, "instalments": i.instalments,
                "buyer_reference": i.buyer.get("buyer_reference")}


def listing(project: Project, *, year: int | None = None, city: str | None = None,
            as_of: dt.date | None = None) -> list[Listed]:
    """The project's invoices, by number, optionally of one year or one city; paid and open as at the end of
    ``as_of`` when given (only the ledger's entries dated up to that day count: the year-end confirmation)."""
    query = select(Invoice).where(Invoice.project_id == project.id).order_by(Invoice.number)
    if year is not None:
        query = query.where(Invoice.year == year)
    if city:
        query = query.where(Invoice.code == M.lookup(city).code)
    rows = list(db.session.execute(query).scalars())
    every = list(db.session.execute(select(Invoice).where(Invoice.project_id == project.id)).scalars()) if rows else []
    entries = [e for e in journal_for(project).entries if as_of is None or e.date <= as_of]
    if as_of is not None:
        every = [i for i in every if i.invoice_date <= as_of]
    owed = open_amounts(every, entries) if rows else {}
    return [Listed(row, row.total_cents - owed.get(row.number, 0), owed.get(row.number, 0)) for row in rows]


def open_amounts(invoices: Sequence[Invoice], entries: Sequence[Any]) -> dict[int, int]:
    """What is open of each invoice: the ledger's (``ledger.invoicing.outstanding``), each credit note applied.

    A credit note's (negative) open amount is applied to the invoice it corrects, as far as that
    invoice is open; what is left of it stays open on the credit note (the city's to use).
    """
    owed = outstanding(entries)
    for note in invoices:
        if note.kind != "credit-note" or note.corrects is None:
            continue
        applied = min(-owed.get(note.number, 0), max(owed.get(note.corrects, 0), 0))
        if applied > 0:
            owed[note.corrects] -= applied
            owed[note.number] = owed.get(note.number, 0) + applied
    return owed


def to_csv(rows: Sequence[Listed], language: str) -> str:
    """The list for a city's own accounting: in Finnish and Swedish semicolons, decimal commas and dates
    ``1.12.2026`` (as a spreadsheet in those locales reads them); in English commas, points and ISO dates."""
    english = language == "en"
    out = io.StringIO()
    writer = csv.writer(out, delimiter="," if english else ";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        data = row.to_json()
        for key in ("amount", "vat", "paid", "outstanding"):
            data[key] = data[key] if english else data[key].replace(".", ",")
        if not english:
            data["date"], data["due"] = texts.day(row.invoice.invoice_date), texts.day(row.invoice.due_date)
        writer.writerow(["" if data.get(c) is None else str(data[c]) for c in CSV_COLUMNS])
    return out.getvalue()


def reference_texts(invoice: Invoice) -> tuple[str, str]:
    """The two references as an invoice prints them: ``12 34561``, ``RF85 1234 5672``."""
    return format_national_reference(invoice.reference), format_rf_reference(invoice.rf)

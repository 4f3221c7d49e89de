"""The printed invoice: HTML from a template in the member's language, made a PDF by WeasyPrint.

The page carries what a Finnish invoice must (seller and buyer with their business IDs, number,
dates, payment terms, the references national and RF, the rows, VAT and the total) and, for an
invoice to pay, the virtual bank barcode: its 54 digits to type and the Code 128 bars to scan
(version 4 for a national reference, 5 for RF; ``portal.billing.barcode``). A credit note has
nothing to pay and carries no barcode.

WeasyPrint fetches nothing: the template has no external resources, and its URL fetcher allows no
scheme, so a text on the invoice can never make the renderer reach the network or the file system.
"""

from __future__ import annotations

from typing import Any

from flask import render_template
from markupsafe import Markup

from portal.billing import texts
from portal.billing.barcode import barcode_svg, virtual_barcode
from portal.billing.documents import lines_of, model_of, reference_texts
from portal.billing.models import Invoice
from portal.billing.parties import format_iban
from portal.projects.models import Project

TEMPLATE = "billing/invoice_pdf.html"


def barcode_of(invoice: Invoice) -> str | None:
    """The virtual barcode's 54 digits, for an invoice with something to pay (never a credit note)."""
    if invoice.total_cents <= 0:
        return None
    reference = invoice.rf if invoice.reference_kind == "rf" else invoice.reference
    return virtual_barcode(invoice.seller["iban"], invoice.total_cents, reference, invoice.due_date)


def context(project: Project, invoice: Invoice) -> dict[str, Any]:
    """What the template shows: the invoice model, its texts in the member's language, the barcode."""
    language = invoice.language
    lines = lines_of(invoice)
    model = model_of(invoice, lines, project_name=project.name)
    code = barcode_of(invoice)
    national, rf = reference_texts(invoice)
    return {
        "invoice": invoice, "model": model, "totals": model.totals(), "lines": lines, "language": language,
        "t": lambda key, **values: texts.word(language, key, **values), "money": lambda cents: texts.amount(cents, language),
        "day": texts.day, "percent": lambda rate: texts.percent(rate, language), "project": project,
        "national": national, "rf": rf, "iban": format_iban(invoice.seller["iban"]),
        "barcode": code, "barcode_svg": Markup(barcode_svg(code)) if code else None,  # noqa: S704 - digits we checked, drawn by python-barcode
    }


def render_html(project: Project, invoice: Invoice) -> str:
    return render_template(TEMPLATE, **context(project, invoice))


def pdf(project: Project, invoice: Invoice) -> bytes:
    """The invoice as a PDF, in the member's language (WeasyPrint is loaded on the first one: it takes a second)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = HTML(string=render_html(project, invoice), url_fetcher=URLFetcher(allowed_protocols=()))
    document: bytes = html.write_pdf()
    return document

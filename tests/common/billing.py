"""Billing set-ups shared by the billing tests: a seller for the demo project, members' details, counts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from portal.audit import AuditEvent
from portal.billing import services as billing
from portal.billing.models import Invoice, InvoiceLine, MemberBilling, Seller
from portal.extensions import db
from portal.projects.models import LedgerPosting

# Check digits valid (business IDs by the 7-9-10-5-8-4-2 rule; the IBAN is Finance Finland's example account).
SELLER = {"name": "Hämeenlinnan kaupunki", "business_id": "0139797-8", "iban": "FI21 1234 5600 0007 85", "bic": "NDEAFIHH",
          "einvoice_address": "003701397978", "operator": "003723327487", "address": "Wetterhoffinkatu 2, 13100 Hämeenlinna",
          "contact": "Talouspalvelut, laskutus@example.org"}
PORVOO = {"name": "Porvoon kaupunki", "business_id": "1061512-1", "einvoice_address": "003710615121", "operator": "NDEAFIHH",
          "buyer_reference": "KP 4410 ICT", "email": "laskut@porvoo.example", "language": "sv", "address": "Raatihuoneenkatu 5, 06100 Porvoo"}
D = dt.date


def with_seller(slug: str = "iam", **changes: str) -> None:
    """The project's seller (Hämeenlinna) and Porvoo's billing details, inside an app context."""
    billing.set_seller(slug, actor="test", **{**SELLER, **changes})
    billing.set_member(slug, city="638", actor="test", **PORVOO)


def counts() -> tuple[int, ...]:
    """(invoices, lines, postings, audit events, sellers, members' details): what a refusal must not move."""
    return tuple(int(db.session.scalar(select(func.count()).select_from(model)) or 0)
                 for model in (Invoice, InvoiceLine, LedgerPosting, AuditEvent, Seller, MemberBilling))


def invoices() -> list[Invoice]:
    return list(db.session.execute(select(Invoice).order_by(Invoice.number)).scalars())


def money_columns() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Every issued invoice's money and identity as stored, and its lines: an issued invoice never changes."""
    rows = db.session.execute(select(Invoice.number, Invoice.code, Invoice.kind, Invoice.net_cents, Invoice.vat_cents,
                                     Invoice.total_cents, Invoice.reference, Invoice.due_date).order_by(Invoice.number))
    lines = db.session.execute(select(InvoiceLine.invoice_id, InvoiceLine.position, InvoiceLine.cents, InvoiceLine.text)
                               .order_by(InvoiceLine.id))
    return [tuple(r) for r in rows], [tuple(r) for r in lines]

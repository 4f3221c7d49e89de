"""Billing's tables: the parties of a project's invoices, the invoice number series, the issued invoices.

- :class:`Seller`: the project's seller (the lead city) and how the project invoices (instalments,
  payment terms, VAT, the reference kind). Changed in place, every change audited.
- :class:`MemberBilling`: a member city's billing details for the project (business ID, e-invoice
  routing, the buyer's reference or cost centre, email, invoice language). Changed in place, audited.
- :class:`Counter`: the last invoice number of a seller's series (keyed on its business ID, so one
  city's invoices are numbered without gaps across all the projects it leads); its row is locked by
  the ``UPDATE`` that takes the next numbers, in the transaction that issues them.
- :class:`Invoice` and :class:`InvoiceLine`: what was issued, with the parties as they were on the
  day. Never updated or deleted (:func:`_never_changed`): a correction is a new supplementary invoice
  or credit note. What has been paid of an invoice is read from the ledger, not stored here.

- :class:`Payment`: a payment received (from a bank file or typed by hand), what it was allocated to
  when it was posted, and the ledger posting that booked it. Never updated or deleted.
- :class:`Allocation`: the later allocation of an unallocated payment (one per payment), with its
  own ledger posting. Never updated or deleted.
- :class:`Reminder`: a payment reminder of an overdue invoice, as issued. Never updated or deleted.

Money is integer cents (``BigInteger``: an invoice may pass 21 million euros).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db


class Seller(db.Model):  # type: ignore[name-defined]
    """A project's seller and its invoicing settings; identifiers are stored normalised (validated when set)."""

    __tablename__ = "billing_sellers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), unique=True)
    name: Mapped[str] = mapped_column(String(210))
    business_id: Mapped[str] = mapped_column(String(9))
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str] = mapped_column(String(11))
    einvoice_address: Mapped[str | None] = mapped_column(String(60), nullable=True)
    operator: Mapped[str | None] = mapped_column(String(20), nullable=True)
    address: Mapped[str | None] = mapped_column(String(200), nullable=True)   # "Street 1, 00100 Town"
    contact: Mapped[str | None] = mapped_column(String(200), nullable=True)
    instalments: Mapped[int] = mapped_column(Integer, default=1)
    terms_days: Mapped[int] = mapped_column(Integer, default=21)
    vat_rate: Mapped[str] = mapped_column(String(10), default="0")            # a decimal percentage, "25.5"
    vat_reason: Mapped[str | None] = mapped_column(String(70), nullable=True)  # why 0 %: printed on the invoice
    reference_kind: Mapped[str] = mapped_column(String(8), default="national")  # which reference the barcode and EPI carry
    reference_prefix: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(500))


class MemberBilling(db.Model):  # type: ignore[name-defined]
    """A member city's billing details in one project; what is not given is left empty."""

    __tablename__ = "billing_members"
    __table_args__ = (UniqueConstraint("project_id", "code", name="uq_billing_members_project_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    code: Mapped[str] = mapped_column(String(3))
    name: Mapped[str | None] = mapped_column(String(210), nullable=True)          # the official name, "Porvoon kaupunki"
    business_id: Mapped[str | None] = mapped_column(String(9), nullable=True)
    einvoice_address: Mapped[str | None] = mapped_column(String(60), nullable=True)
    operator: Mapped[str | None] = mapped_column(String(20), nullable=True)
    buyer_reference: Mapped[str | None] = mapped_column(String(70), nullable=True)  # the buyer's reference or cost centre
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)           # where PDF invoices go
    language: Mapped[str] = mapped_column(String(2), default="fi")
    address: Mapped[str | None] = mapped_column(String(200), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(500))


class Counter(db.Model):  # type: ignore[name-defined]
    """The last number issued in a seller's series; numbers are taken by an UPDATE that locks the row."""

    __tablename__ = "invoice_counters"

    seller_key: Mapped[str] = mapped_column(String(9), primary_key=True)   # the seller's business ID
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Invoice(db.Model):  # type: ignore[name-defined]
    """An issued invoice, supplementary invoice or credit note: written once, never changed."""

    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("seller_key", "number", name="uq_invoices_seller_number"),
                      UniqueConstraint("seller_key", "reference", name="uq_invoices_seller_reference"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    seller_key: Mapped[str] = mapped_column(String(9))
    number: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(3))
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))                  # invoice, supplementary, credit-note
    instalment: Mapped[int | None] = mapped_column(Integer, nullable=True)
    instalments: Mapped[int] = mapped_column(Integer)
    corrects: Mapped[int | None] = mapped_column(Integer, nullable=True)   # the number of the invoice it corrects
    invoice_date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    terms_days: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(20))             # national reference, digits
    rf: Mapped[str] = mapped_column(String(25))                    # the same as RF, compact
    reference_kind: Mapped[str] = mapped_column(String(8))         # which of the two the barcode and EPI carry
    net_cents: Mapped[int] = mapped_column(BigInteger)
    vat_cents: Mapped[int] = mapped_column(BigInteger)
    total_cents: Mapped[int] = mapped_column(BigInteger)
    vat_rate: Mapped[str] = mapped_column(String(10))
    vat_reason: Mapped[str | None] = mapped_column(String(70), nullable=True)
    language: Mapped[str] = mapped_column(String(2))
    seller_json: Mapped[str] = mapped_column(Text)                 # the seller as it was on the day
    buyer_json: Mapped[str] = mapped_column(Text)                  # the buyer as it was on the day
    ledger_seq: Mapped[int] = mapped_column(Integer)               # the posting that moved it to "invoiced, open"
    issued_by: Mapped[str] = mapped_column(String(500))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def seller(self) -> dict[str, Any]:
        return dict(json.loads(self.seller_json))

    @property
    def buyer(self) -> dict[str, Any]:
        return dict(json.loads(self.buyer_json))


class InvoiceLine(db.Model):  # type: ignore[name-defined]
    """One line of an issued invoice: a component of the year (its share, fees, one charge) or its correction."""

    __tablename__ = "invoice_lines"
    __table_args__ = (UniqueConstraint("invoice_id", "position", name="uq_invoice_lines_invoice_position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(80))        # the component it bills (ledger.invoicing.Component.key)
    kind: Mapped[str] = mapped_column(String(10))       # share, fee, charge
    correction: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(String(100))
    cents: Mapped[int] = mapped_column(BigInteger)


class Payment(db.Model):  # type: ignore[name-defined]
    """A payment received: the bank's archive reference is unique per project, so a repeated file changes nothing."""

    __tablename__ = "billing_payments"
    __table_args__ = (UniqueConstraint("project_id", "bank_reference", name="uq_billing_payments_project_bank_reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    bank_reference: Mapped[str] = mapped_column(String(80))              # AcctSvcrRef/NtryRef, or "manual-<id>"
    source: Mapped[str] = mapped_column(String(20))                      # camt.053, camt.054, manual
    file_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    payment_date: Mapped[dt.date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str | None] = mapped_column(String(40), nullable=True)   # the creditor reference as paid, compact
    debtor: Mapped[str | None] = mapped_column(String(140), nullable=True)
    text: Mapped[str | None] = mapped_column(String(500), nullable=True)
    code: Mapped[str | None] = mapped_column(String(3), nullable=True)          # the city it was allocated to, if any
    invoice_number: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the invoice it was matched to, if any
    credit_cents: Mapped[int] = mapped_column(BigInteger, default=0)            # what went to the city's credit
    ledger_seq: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Allocation(db.Model):  # type: ignore[name-defined]
    """The allocation of a payment that came in unallocated: a new ledger entry, the payment row left as it was."""

    __tablename__ = "billing_allocations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("billing_payments.id"), unique=True)
    code: Mapped[str] = mapped_column(String(3))
    invoice_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    credit_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    ledger_seq: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Reminder(db.Model):  # type: ignore[name-defined]
    """A payment reminder issued for an overdue invoice: what was open on the day; no fee unless one was given."""

    __tablename__ = "billing_reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    reminder_date: Mapped[dt.date] = mapped_column(Date)
    outstanding_cents: Mapped[int] = mapped_column(BigInteger)
    fee_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    language: Mapped[str] = mapped_column(String(2))
    issued_by: Mapped[str] = mapped_column(String(500))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


def _never_changed(mapper: Any, connection: Any, target: Any) -> None:
    raise RuntimeError(f"an issued {type(target).__name__} is never changed or deleted: issue a correction instead")


for _model in (Invoice, InvoiceLine, Payment, Allocation, Reminder):
    event.listen(_model, "before_update", _never_changed)
    event.listen(_model, "before_delete", _never_changed)

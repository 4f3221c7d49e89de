"""Payments received: imported from camt.054/053 bank files or typed by hand, matched to invoices, posted.

Each payment is one balanced ``#payment`` ledger entry, posted through
``portal.projects.services.post_entries`` (under the project's lock, with its op and audit record):

- matched by its structured creditor reference (national or RF) to an invoice: the bank account
  ``Assets:Bank`` takes the amount from the city's invoiced receivable
  ``Assets:Receivable:Invoiced:<member>`` (the posting carries the invoice's number, so
  ``ledger.invoicing.outstanding`` sees it paid); a partial payment leaves the rest open; what is
  paid over the open amount goes to the city's credit ``Liabilities:Credit:<member>``;
- no reference, or one that matches no invoice: to ``Liabilities:Unallocated:Payments``, listed
  until someone allocates it; the allocation is a new entry (unallocated → receivable/credit), and
  the payment row stays as it was (rows are never edited).

A bank file is recognised again by its SHA-256 and each payment by the bank's archive reference
(unique per project), so importing the same file twice, or a later file repeating a transaction,
changes nothing and says so. A malformed file is refused before anything is posted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from beancount.core import data
from beancount.core.amount import Amount
from sqlalchemy import select

from ledger import entries as E
from ledger import municipalities as M
from ledger.errors import Conflict, InvalidInput, NotFound
from ledger.journal import Journal
from ledger.money import CURRENCY, fmt, to_decimal
from portal.billing.bankfile import BankTransaction
from portal.billing.camt import parse_bank_file
from portal.billing.documents import open_amounts
from portal.billing.models import Allocation, Invoice, Payment
from portal.billing.references import ParsedReference, parse_reference
from portal.billing.services import required_seller, seller_of
from portal.extensions import db
from portal.projects.models import Project
from portal.projects.services import get_project, make_op, post_entries, state_for

BANK = "Assets:Bank"          # + ":<IBAN>", the account the payment came to
UNALLOCATED = "Liabilities:Unallocated:Payments"
CREDIT = "Liabilities:Credit:Members"
PAYMENT_TAG = "payment"


def credit_account(code: str) -> str:
    """``Liabilities:Credit:Members:Porvoo-638``: what the city has paid over its invoices, named as its member account."""
    return CREDIT + E.member_account(code, M.lookup(code).name)[len(E.RECEIVABLE):]


@dataclass
class Split:
    """Where one payment's cents go: invoices (number, year, cents), the city's credit, or unallocated."""

    code: str | None = None
    invoices: list[tuple[int, int, int]] = field(default_factory=list)
    credit: int = 0
    unallocated: int = 0

    @property
    def invoice(self) -> int | None:
        return self.invoices[0][0] if self.invoices else None

    def status(self, owed: int) -> str:
        """matched (exactly what was open), partial, over (some to credit) or unallocated."""
        if self.code is None:
            return "unallocated"
        if self.credit:
            return "over"
        return "matched" if sum(c for _, _, c in self.invoices) == owed else "partial"


@dataclass(frozen=True)
class Row:
    """One payment of an import or a list, as the CLI, the JSON and the pages show it."""

    status: str
    bank_reference: str
    date: dt.date
    cents: int
    reference: str | None
    debtor: str | None
    code: str | None
    invoice: int | None
    credit: int
    id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "bank_reference": self.bank_reference, "date": self.date.isoformat(),
                "amount": fmt(self.cents), "reference": self.reference, "debtor": self.debtor, "city": self.code,
                "invoice": self.invoice, "credit": fmt(self.credit)}


@dataclass
class Imported:
    """What an import did: every credit of the file with its status, and the posting (``None``: nothing new)."""

    rows: list[Row] = field(default_factory=list)
    seq: int | None = None
    repeated_file: bool = False

    def count(self, *statuses: str) -> int:
        return sum(1 for r in self.rows if r.status in statuses)

    def summary(self) -> dict[str, int]:
        return {"matched": self.count("matched", "partial", "over"), "partial": self.count("partial"),
                "over": self.count("over"), "unallocated": self.count("unallocated"),
                "already_imported": self.count("already-imported"), "skipped": self.count("skipped")}


# -- where a payment goes -----------------------------------------------------------------------
def _invoices(project: Project) -> list[Invoice]:
    return list(db.session.execute(select(Invoice).where(Invoice.project_id == project.id).order_by(Invoice.number)).scalars())


def _by_reference(invoices: Sequence[Invoice], reference: ParsedReference | None) -> Invoice | None:
    if reference is None:
        return None
    for invoice in invoices:
        if invoice.kind != "credit-note" and (invoice.reference if reference.kind == "national" else invoice.rf) == reference.digits:
            return invoice
    return None


def _to_invoice(split: Split, invoice: Invoice, cents: int, owed: dict[int, int]) -> int:
    """Put what is open of ``invoice`` (at most ``cents``) on it; returns what is left."""
    take = min(cents, max(owed.get(invoice.number, 0), 0))
    if take:
        split.invoices.append((invoice.number, invoice.year, take))
        owed[invoice.number] = owed.get(invoice.number, 0) - take
    return cents - take


def split_payment(cents: int, invoices: Sequence[Invoice], owed: dict[int, int], *, invoice: Invoice | None = None,
                  code: str | None = None) -> Split:
    """Where ``cents`` go: the given invoice, else the city's open invoices oldest due first; the rest to credit.

    ``owed`` (each invoice's open cents) is lowered by what is put on it, so the payments of one
    file are matched one after the other.
    """
    if invoice is None and code is None:
        return Split(unallocated=cents)
    split = Split(code=invoice.code if invoice is not None else code)
    left = cents
    targets = [invoice] if invoice is not None else sorted(
        (i for i in invoices if i.code == code and i.kind != "credit-note"), key=lambda i: (i.due_date, i.number))
    for target in targets:
        left = _to_invoice(split, target, left, owed)
    split.credit = left
    return split


# -- the entries -------------------------------------------------------------------------------
def _posting(account: str, cents: int, *, year: int | None = None, invoice: int | None = None) -> data.Posting:
    meta: dict[str, object] = {}
    if year is not None:
        meta["year"] = Decimal(year)
    if invoice is not None:
        meta["invoice"] = str(invoice)
    return data.Posting(account, Amount(to_decimal(cents), CURRENCY), None, None, None, meta or None)


def _narration(split: Split, bank_reference: str, *, allocation: bool) -> str:
    head = f"{'Allocation of payment' if allocation else 'Payment'} {bank_reference}"
    if split.code is None:
        return f"{head}: unallocated (no invoice matches its reference)"
    parts = [f"invoice {n} {fmt(c)} EUR" for n, _, c in split.invoices]
    if split.credit:
        parts.append(f"credit {fmt(split.credit)} EUR")
    return f"{head}: {M.lookup(split.code).name} ({split.code}), " + ", ".join(parts or ["credit"])


def bank_account(iban: str) -> str:
    """``Assets:Bank:FI2112345600000785``: the seller's account the payment came to."""
    return f"{BANK}:{iban}"


def payment_entry(split: Split, cents: int, date: dt.date, bank_reference: str, meta: dict[str, object], *,
                  iban: str | None = None) -> data.Transaction:
    """The balanced ``#payment`` entry: the bank (no ``iban``: allocating, unallocated) ← receivable, credit or unallocated."""
    allocation = iban is None
    postings = [_posting(UNALLOCATED if allocation else bank_account(iban or ""), cents)]
    for number, year, part in split.invoices:
        postings.append(_posting(E.invoiced_account(split.code or "", M.lookup(split.code or "").name), -part, year=year, invoice=number))
    if split.credit:
        postings.append(_posting(credit_account(split.code or ""), -split.credit))
    if split.unallocated:
        postings.append(_posting(UNALLOCATED, -split.unallocated))
    full = {**meta, "bank-reference": bank_reference}
    return data.Transaction(full, date, "*", None, _narration(split, bank_reference, allocation=allocation),
                            frozenset({PAYMENT_TAG}), frozenset(), postings)


def _opens(entries: Iterable[data.Transaction], journal: Journal, start: dt.date) -> list[data.Directive]:
    needed = {p.account for e in entries for p in e.postings}
    return [E.open_entry(start, account, {}) for account in sorted(needed - journal.accounts())]


# -- importing a bank file ----------------------------------------------------------------------
def _known(project: Project, references: Iterable[str]) -> set[str]:
    wanted = list(set(references))
    if not wanted:
        return set()
    found = db.session.execute(select(Payment.bank_reference).where(Payment.project_id == project.id,
                                                                     Payment.bank_reference.in_(wanted)))
    return set(found.scalars())


def _bank_reference(tx: BankTransaction, message_id: str) -> str:
    return (tx.bank_reference or f"{message_id}/{tx.location}")[:80]


def _payment_date(tx: BankTransaction, fallback: dt.date) -> dt.date:
    return tx.booking_date or tx.value_date or fallback


def _file_seen(project: Project, sha: str) -> bool:
    query = select(Payment.id).where(Payment.project_id == project.id, Payment.file_sha256 == sha).limit(1)
    return db.session.execute(query).first() is not None


def _row(status: str, tx: BankTransaction, ref: str, day: dt.date, split: Split | None = None) -> Row:
    return Row(status, ref, day, tx.amount_cents, tx.reference.digits if tx.reference else tx.reference_text, tx.debtor_name,
               split.code if split else None, split.invoice if split else None, split.credit if split else 0)


def import_file(slug: str, content: bytes, *, actor: str) -> Imported:
    """Import a camt.054/053 file's credits as payments: one posting for every new one, nothing for repeats."""
    bank = parse_bank_file(content)   # a malformed file is refused here, before anything is read or posted
    sha = hashlib.sha256(content).hexdigest()
    project = get_project(slug)
    seller = seller_of(project)
    if seller is not None and seller.iban not in bank.account_ibans:
        raise InvalidInput("the bank file is for account %(account)s, not the project's account %(iban)s", account=bank.account_iban, iban=seller.iban)
    result = Imported(repeated_file=_file_seen(project, sha))
    if _known(project, [_bank_reference(t, bank.message_id) for t in bank.credits]) >= {
            _bank_reference(t, bank.message_id) for t in bank.credits}:
        result.rows = [_row("already-imported", t, _bank_reference(t, bank.message_id), _payment_date(t, bank.created_at.date()))
                       for t in bank.credits]
        return result

    def build(project: Project, journal: Journal) -> tuple[Any, list[Any], dict[str, Any]]:
        result.rows.clear()
        payments = _plan_file(project, journal, bank.credits, bank.message_id, bank.created_at.date(), result)
        if not payments:
            raise Conflict("every payment of the file was imported meanwhile: nothing to import")
        entries = []
        for payment, split in payments:
            payment.source, payment.file_sha256, payment.created_by = bank.kind, sha, actor
            entries.append(_store(project, payment, split, seller.iban if seller else bank.account_iban))
        summary = (f"{len(payments)} payment(s) imported from {bank.kind} {bank.message_id},"
                   f" {fmt(sum(p.amount_cents for p, _ in payments))} EUR")
        op = make_op("payments-imported", max(p.payment_date for p, _ in payments), actor, summary, file=sha)
        return op, [*_opens(entries, journal, state_for(project).start), *entries], {**result.summary(), "file": sha}

    result.seq = post_entries(slug, build).seq
    return result


def _plan_file(project: Project, journal: Journal, credits: Sequence[BankTransaction], message_id: str, fallback: dt.date,
               result: Imported) -> list[tuple[Payment, Split]]:
    """The new payments of a file and where each goes; the rows of the result, repeats and skips included."""
    invoices = _invoices(project)
    owed = open_amounts(invoices, journal.entries)
    known = _known(project, [_bank_reference(t, message_id) for t in credits])
    planned: list[tuple[Payment, Split]] = []
    for tx in credits:
        ref, day = _bank_reference(tx, message_id), _payment_date(tx, fallback)
        if ref in known:
            result.rows.append(_row("already-imported", tx, ref, day))
            continue
        if tx.currency != CURRENCY:
            result.rows.append(_row("skipped", tx, ref, day))
            continue
        known.add(ref)
        invoice = _by_reference(invoices, tx.reference)
        before = max(owed.get(invoice.number, 0), 0) if invoice else 0
        split = split_payment(tx.amount_cents, invoices, owed, invoice=invoice)
        result.rows.append(_row(split.status(before), tx, ref, day, split))
        planned.append((Payment(project_id=project.id, bank_reference=ref, payment_date=day, amount_cents=tx.amount_cents,
                                reference=(tx.reference.digits if tx.reference else tx.reference_text or None),
                                debtor=(tx.debtor_name or None) and (tx.debtor_name or "")[:140],
                                text=(tx.remittance_text or None) and (tx.remittance_text or "")[:500]), split))
    return planned


def _store(project: Project, payment: Payment, split: Split, iban: str) -> data.Transaction:
    payment.code, payment.invoice_number, payment.credit_cents = split.code, split.invoice, split.credit
    payment.ledger_seq = project.ledger_seq + 1
    db.session.add(payment)
    db.session.flush()
    day = max(payment.payment_date, state_for(project).start)
    meta: dict[str, object] = {"payment": str(payment.id), "actor": payment.created_by}
    if payment.reference:
        meta["reference"] = payment.reference
    return payment_entry(split, payment.amount_cents, day, payment.bank_reference, meta, iban=iban)


# -- a payment typed by hand, and allocating one ------------------------------------------------
def add_payment(slug: str, *, city: str, cents: int, date: dt.date, reference: str | None = None, text: str | None = None,
                actor: str) -> Row:
    """A payment typed by hand (a cheque, a transfer without a bank file): to the referenced invoice, else the city's oldest."""
    code = M.lookup(city).code
    if isinstance(cents, bool) or not isinstance(cents, int) or cents <= 0:
        raise InvalidInput("the amount of a payment must be more than zero")
    parsed = parse_reference(reference) if reference and reference.strip() else None
    rows: list[Row] = []

    def build(project: Project, journal: Journal) -> tuple[Any, list[Any], dict[str, Any]]:
        if state_for(project).member(code) is None and not any(i.code == code for i in _invoices(project)):
            raise Conflict("%(city)s is not a member of %(project)s", city=f"{M.lookup(code).name} ({code})", project=project.name)
        invoices = _invoices(project)
        owed = open_amounts(invoices, journal.entries)
        invoice = _by_reference(invoices, parsed)
        if parsed is not None and (invoice is None or invoice.code != code):
            raise InvalidInput("reference %(reference)s is not one of %(city)s's invoices", reference=reference, city=M.lookup(code).name)
        before = max(owed.get(invoice.number, 0), 0) if invoice else sum(max(owed.get(i.number, 0), 0) for i in invoices if i.code == code)
        split = split_payment(cents, invoices, owed, invoice=invoice, code=code)
        payment = Payment(project_id=project.id, bank_reference=f"manual-{uuid.uuid4().hex[:16]}", source="manual", payment_date=date,
                          amount_cents=cents, reference=parsed.digits if parsed else None, text=(text or "").strip()[:500] or None,
                          created_by=actor)
        entry = _store(project, payment, split, required_seller(project).iban)
        rows.append(Row(split.status(before), payment.bank_reference, date, cents, payment.reference, None, code, split.invoice,
                        split.credit, payment.id))
        op = make_op("payment-added", date, actor, f"payment of {fmt(cents)} EUR from {M.lookup(code).name} ({code}) added")
        return op, [*_opens([entry], journal, state_for(project).start), entry], rows[0].to_json()

    post_entries(slug, build)
    return rows[0]


def allocate(slug: str, payment_id: int, *, invoice_number: int | None = None, city: str | None = None, actor: str) -> Row:
    """Allocate an unallocated payment to an invoice or a city (its open invoices, the rest to its credit): a new entry."""
    if (invoice_number is None) == (city is None):
        raise InvalidInput("give the invoice or the city to allocate the payment to, one of the two")
    code = M.lookup(city).code if city is not None else None
    rows: list[Row] = []

    def build(project: Project, journal: Journal) -> tuple[Any, list[Any], dict[str, Any]]:
        payment = _unallocated_payment(project, payment_id)
        invoices = _invoices(project)
        owed = open_amounts(invoices, journal.entries)
        invoice = next((i for i in invoices if i.number == invoice_number and i.kind != "credit-note"), None)
        if invoice_number is not None and invoice is None:
            raise NotFound("project %(slug)r has no invoice %(number)s to allocate to", slug=project.slug, number=invoice_number)
        if code is not None and state_for(project).member(code) is None and not any(i.code == code for i in invoices):
            raise Conflict("%(city)s is not a member of %(project)s", city=f"{M.lookup(code).name} ({code})", project=project.name)
        before = max(owed.get(invoice.number, 0), 0) if invoice else 0
        split = split_payment(payment.amount_cents, invoices, owed, invoice=invoice, code=code)
        assert split.code is not None
        db.session.add(Allocation(payment_id=payment.id, code=split.code, invoice_number=split.invoice, credit_cents=split.credit,
                                  ledger_seq=project.ledger_seq + 1, created_by=actor))
        day = max(payment.payment_date, state_for(project).start)
        entry = payment_entry(split, payment.amount_cents, day, payment.bank_reference,
                              {"payment": str(payment.id), "actor": actor})
        rows.append(Row(split.status(before) if invoice else ("over" if split.credit else "matched"), payment.bank_reference,
                        payment.payment_date, payment.amount_cents, payment.reference, payment.debtor, split.code, split.invoice,
                        split.credit, payment.id))
        op = make_op("payment-allocated", day, actor, _narration(split, payment.bank_reference, allocation=True))
        return op, [*_opens([entry], journal, state_for(project).start), entry], rows[0].to_json()

    post_entries(slug, build)
    return rows[0]


def _unallocated_payment(project: Project, payment_id: int) -> Payment:
    payment: Payment | None = db.session.get(Payment, payment_id) if isinstance(payment_id, int) else None
    if payment is None or payment.project_id != project.id:
        raise NotFound("project %(slug)r has no payment %(id)s", slug=project.slug, id=payment_id)
    allocated = db.session.execute(select(Allocation.id).where(Allocation.payment_id == payment.id)).first()
    if payment.code is not None or allocated is not None:
        raise Conflict("payment %(id)s is already allocated", id=payment_id)
    return payment


# -- the list ----------------------------------------------------------------------------------
def payments(project: Project, *, unallocated: bool = False, city: str | None = None) -> list[Row]:
    """The project's payments by date, with where each went (an allocation counts as where it went)."""
    query = (select(Payment, Allocation).outerjoin(Allocation, Allocation.payment_id == Payment.id)
             .where(Payment.project_id == project.id).order_by(Payment.payment_date, Payment.id))
    rows = []
    for payment, allocation in db.session.execute(query):
        code = payment.code or (allocation.code if allocation else None)
        invoice = payment.invoice_number if payment.code else (allocation.invoice_number if allocation else None)
        credit = payment.credit_cents if payment.code else (allocation.credit_cents if allocation else 0)
        status = "unallocated" if code is None else ("allocated" if allocation else payment.source)
        if (unallocated and code is not None) or (city and code != M.lookup(city).code):
            continue
        rows.append(Row(status, payment.bank_reference, payment.payment_date, payment.amount_cents, payment.reference,
                        payment.debtor, code, invoice, credit, payment.id))
    return rows

"""Issuing a year's invoices: a preview that posts nothing, then the issue itself, all or nothing.

What each member's next invoice is comes from the core (``ledger.invoicing.plan``): the year's
components as the ledger holds them, less what the member's invoices of the year already bill.
Here the drafts get their texts in the member's language, their numbers and references, their
parties as they are today and their totals from the invoice model (``documents.model_of``).

:func:`issue` runs through ``portal.projects.services.post_entries``: under the project's lock it
plans again from what is committed, takes the next numbers of the seller's series by an ``UPDATE``
of its counter row (which PostgreSQL holds locked, and SQLite's write lock covers, until commit),
stores the invoices and posts one ``#invoice`` entry per invoice in one posting, with the op and
the audit record, and commits. A refusal anywhere leaves the database and the ledger as they were,
and no number is lost: the counter rolls back with the rest.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import select, update

from ledger import checks
from ledger.errors import Conflict, InvalidInput
from ledger.invoicing import Draft, Issued, Line, basis, components, invoice_entry, opens, plan
from ledger.journal import Journal
from ledger.money import fmt
from ledger.project import Op, ProjectState
from portal.billing import texts
from portal.billing.documents import model_of
from portal.billing.models import Counter, Invoice, InvoiceLine, Seller
from portal.billing.references import reference_for, rf_from_national
from portal.billing.services import SELLER_FIELDS, details, required_seller
from portal.clock import now, today
from portal.extensions import db, rowcount
from portal.projects.models import Project
from portal.projects.services import Outcome, get_project, journal_for, make_op, post_entries, state_for


class Dates(NamedTuple):
    """The invoice date, the due date and the payment terms in days between them."""

    date: dt.date
    due: dt.date
    terms: int


class Priced(NamedTuple):
    """One invoice of a run: its row and lines (not yet stored in a preview) and its totals."""

    invoice: Invoice
    lines: tuple[InvoiceLine, ...]
    draft: Draft


class Run(NamedTuple):
    """A year's invoices, previewed or issued; ``seq`` is the ledger posting they were planned on."""

    year: int
    dates: Dates
    seq: int
    invoices: tuple[Priced, ...]
    outcome: Outcome | None = None

    @property
    def total(self) -> int:
        return sum(p.invoice.total_cents for p in self.invoices)


EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2099, 12, 31)  # the invoice and due dates an invoice may have


def dates(seller: Seller, date: dt.date | None, due: dt.date | None, terms: int | None) -> Dates:
    """The invoice's dates: ``due`` or ``terms`` days after ``date`` (default: the project's terms)."""
    day = date or today()
    if due is not None and terms is not None:
        raise InvalidInput("give the due date or the payment terms, not both")
    for value in (day, due):  # a typing slip (0001, 9999), not an invoice; and no date past what a date can hold
        if value is not None and not EARLIEST <= value <= LATEST:
            raise InvalidInput("an invoice's dates must be from %(first)s to %(last)s (got %(date)s)", first=EARLIEST.year,
                               last=LATEST.year, date=value.isoformat())
    if due is not None:
        if due < day:
            raise InvalidInput("the due date %(due)s is before the invoice date %(date)s", due=due.isoformat(), date=day.isoformat())
        return Dates(day, due, (due - day).days)
    days = seller.terms_days if terms is None else terms
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 365:
        raise InvalidInput("payment terms must be 0 to %(most)s days (got %(value)r)", most=365, value=days)
    return Dates(day, day + dt.timedelta(days=days), days)


def issued(project: Project) -> list[Issued]:
    """Every invoice of the project as the core plans the next ones from: its number, member, year and lines."""
    rows = list(db.session.execute(select(Invoice).where(Invoice.project_id == project.id).order_by(Invoice.number)).scalars())
    billed: dict[int, dict[str, int]] = {row.id: {} for row in rows}
    lines = db.session.execute(select(InvoiceLine.invoice_id, InvoiceLine.key, InvoiceLine.cents)
                               .join(Invoice, Invoice.id == InvoiceLine.invoice_id).where(Invoice.project_id == project.id))
    for invoice_id, key, cents in lines:
        billed[invoice_id][key] = billed[invoice_id].get(key, 0) + cents
    return [Issued(r.number, r.code, r.year, r.kind, r.instalment, billed[r.id]) for r in rows]


def _line_text(state: ProjectState, draft: Draft, line: Line, language: str) -> str:
    if line.kind == "share":
        found = basis(state, draft.year)
        text = texts.word(language, "share", year=draft.year, rule=texts.rule(found.rule, language), members=found.members)
        if draft.instalment is not None and draft.instalments > 1 and not line.correction:
            text += texts.word(language, "instalment", i=draft.instalment, n=draft.instalments)
    elif line.kind == "fee":
        text = texts.word(language, "fee", year=draft.year)
    else:
        text = f"{line.text} ({texts.day(line.date)})" if line.date else line.text
    return texts.fit(texts.word(language, "correction", text=text) if line.correction else text)


def _vat(seller: Seller, draft: Draft) -> tuple[str, str | None]:
    """The VAT rate and reason: the project's; a credit note credits VAT as the invoice it corrects charged it."""
    if draft.kind == "credit-note" and draft.corrects is not None:
        found = db.session.execute(select(Invoice.vat_rate, Invoice.vat_reason).where(
            Invoice.seller_key == seller.business_id, Invoice.number == draft.corrects)).first()
        if found is not None:
            return found.vat_rate, found.vat_reason
    return seller.vat_rate, seller.vat_reason


def _price(project: Project, state: ProjectState, seller: Seller, draft: Draft, number: int, when: Dates, actor: str) -> Priced:
    """The invoice row and lines of a draft under ``number``, with its totals from the invoice model."""
    buyer = details(project, draft.code)
    national = reference_for(seller.reference_prefix, number)
    rate, reason = _vat(seller, draft)
    invoice = Invoice(project_id=project.id, seller_key=seller.business_id, number=number, code=draft.code, year=draft.year,
                      kind=draft.kind, instalment=draft.instalment, instalments=draft.instalments, corrects=draft.corrects,
                      invoice_date=when.date, due_date=when.due, terms_days=when.terms, reference=national,
                      rf=rf_from_national(national), reference_kind=seller.reference_kind, vat_rate=rate,
                      vat_reason=reason, language=buyer.language, issued_by=actor, issued_at=now().replace(tzinfo=None),
                      seller_json=json.dumps({k: getattr(seller, k) for k in SELLER_FIELDS}, ensure_ascii=False, sort_keys=True),
                      buyer_json=json.dumps(buyer.to_json(), ensure_ascii=False, sort_keys=True), ledger_seq=project.ledger_seq + 1)
    lines = tuple(InvoiceLine(position=i, key=line.key, kind=line.kind, correction=line.correction, cents=line.cents,
                              text=_line_text(state, draft, line, buyer.language))
                  for i, line in enumerate(draft.lines, 1))
    totals = model_of(invoice, lines, project_name=project.name).totals()
    invoice.net_cents, invoice.vat_cents, invoice.total_cents = totals.vat_excluded_cents, totals.vat_cents, totals.total_cents
    return Priced(invoice, lines, draft)


def _drafts(project: Project, state: ProjectState, journal: Journal, seller: Seller, year: int) -> list[Draft]:
    checks.year(state, year)  # a year outside the project is refused
    return plan(year, components(journal.entries, year), issued(project), instalments=seller.instalments)


def _next_number(seller: Seller) -> int:
    counter = db.session.get(Counter, seller.business_id)
    return (counter.last_number if counter else 0) + 1


def preview(slug: str, *, year: int, date: dt.date | None = None, due: dt.date | None = None, terms: int | None = None,
            actor: str = "preview") -> Run:
    """Every invoice an issue would make now, priced and numbered as it would be; nothing is stored or posted."""
    project = get_project(slug)
    seller = required_seller(project)
    when = dates(seller, date, due, terms)
    state, journal = state_for(project), journal_for(project)
    drafts = _drafts(project, state, journal, seller, year)
    first = _next_number(seller)
    priced = tuple(_price(project, state, seller, d, first + i, when, actor) for i, d in enumerate(drafts))
    db.session.rollback()  # the preview reads only; nothing it made may reach the database
    return Run(year, when, project.ledger_seq, priced)


def _take_numbers(seller: Seller, count: int) -> int:
    """Take ``count`` numbers of the seller's series; the first of them. The UPDATE locks the counter row."""
    result = db.session.execute(update(Counter).where(Counter.seller_key == seller.business_id)
                                .values(last_number=Counter.last_number + count))
    if rowcount(result) == 0:
        db.session.add(Counter(seller_key=seller.business_id, last_number=count))
        db.session.flush()
        return 1
    last: int = db.session.execute(select(Counter.last_number).where(Counter.seller_key == seller.business_id)
                                   .execution_options(populate_existing=True)).scalar_one()
    return last - count + 1


def _store(project: Project, state: ProjectState, seller: Seller, drafts: Sequence[Draft], when: Dates,
           actor: str) -> list[Priced]:
    first = _take_numbers(seller, len(drafts))
    priced = [_price(project, state, seller, d, first + i, when, actor) for i, d in enumerate(drafts)]
    for item in priced:
        db.session.add(item.invoice)
        db.session.flush()
        for line in item.lines:
            line.invoice_id = item.invoice.id
            db.session.add(line)
    return priced


def _entries(state: ProjectState, journal: Journal, priced: Sequence[Priced], op: Op, when: Dates) -> list[Any]:
    meta = {"change": op.kind, "actor": op.actor, "recorded": op.recorded.isoformat(), "invoice-date": when.date, "due": when.due}
    posted = max(when.date, state.start)  # never before the ledger's accounts open
    built = [invoice_entry(p.draft, p.invoice.number, date=posted, vat_cents=p.invoice.vat_cents,
                           meta={**meta, "reference": p.invoice.reference, "rf": p.invoice.rf}) for p in priced]
    vat = any(p.invoice.vat_cents for p in priced)
    return [*opens([p.draft for p in priced], journal.accounts(), state.start, vat=vat), *built]


def _audit(year: int, priced: Sequence[Priced]) -> dict[str, Any]:
    return {"year": year, "total": fmt(sum(p.invoice.total_cents for p in priced)),
            "invoices": [{"number": p.invoice.number, "city": p.invoice.code, "kind": p.invoice.kind,
                          "amount": fmt(p.invoice.total_cents), "corrects": p.invoice.corrects} for p in priced]}


def issue(slug: str, *, year: int, actor: str, date: dt.date | None = None, due: dt.date | None = None,
          terms: int | None = None, expect_seq: int | None = None) -> Run:
    """Issue the year's invoices: one posting, every invoice stored, numbered without gaps.

    ``expect_seq``: the ledger posting a preview was made on; if the ledger has moved since, the
    issue is refused, so what is issued is what was shown.
    """
    stored: list[Priced] = []
    when_box: list[Dates] = []

    def build(project: Project, journal: Journal) -> tuple[Op, list[Any], dict[str, Any]]:
        if expect_seq is not None and project.ledger_seq != expect_seq:
            raise Conflict("the ledger has changed since the preview: preview the invoices again before issuing them")
        seller = required_seller(project)
        when = dates(seller, date, due, terms)
        state = state_for(project)
        drafts = _drafts(project, state, journal, seller, year)
        if not drafts:
            raise Conflict("nothing to invoice for %(year)s: every member's invoices already match what the ledger holds", year=year)
        stored.extend(_store(project, state, seller, drafts, when, actor))
        when_box.append(when)
        numbers = [p.invoice.number for p in stored]
        summary = (f"{len(stored)} invoice(s) for {year} issued, numbers {numbers[0]}–{numbers[-1]},"
                   f" {fmt(sum(p.invoice.total_cents for p in stored))} EUR")
        op = make_op("invoices-issued", when.date, actor, summary, year=year, numbers=numbers)
        return op, _entries(state, journal, stored, op, when), _audit(year, stored)

    outcome = post_entries(slug, build)
    return Run(year, when_box[0], outcome.seq or 0, tuple(stored), outcome)

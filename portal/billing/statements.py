"""What a city owes: its statement (invoices, credit notes, payments, balance, by year), the aging list, overdue invoices.

Read only. The open amount of each invoice is the ledger's, credit notes applied
(``portal.billing.documents.open_amounts``); the payments are the rows of
:mod:`portal.billing.payments`. A city's balance is what it was invoiced less what it paid: positive
is owed to the project, negative is the city's credit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from ledger import municipalities as M
from ledger.money import fmt
from portal.billing.documents import listing
from portal.billing.models import Invoice
from portal.billing.payments import payments
from portal.clock import today
from portal.extensions import db
from portal.projects.models import Project

BUCKETS = ("not-due", "1-30", "31-60", "over-60")


@dataclass(frozen=True)
class Line:
    """One line of a statement: an invoice or credit note (positive or negative cents) or a payment (negative)."""

    date: dt.date
    kind: str          # invoice, supplementary, credit-note, payment
    number: str        # the invoice's number, or the payment's bank reference
    cents: int
    balance: int

    def to_json(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "kind": self.kind, "number": self.number, "amount": fmt(self.cents),
                "balance": fmt(self.balance)}


@dataclass
class Year:
    """A calendar year of a statement: its lines, what was invoiced and paid, and the balance at its end."""

    year: int
    lines: list[Line] = field(default_factory=list)
    invoiced: int = 0
    paid: int = 0
    balance: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"year": self.year, "invoiced": fmt(self.invoiced), "paid": fmt(self.paid), "balance": fmt(self.balance),
                "lines": [line.to_json() for line in self.lines]}


@dataclass
class Statement:
    """A city's statement of account in one project."""

    code: str
    name: str
    years: list[Year] = field(default_factory=list)

    @property
    def balance(self) -> int:
        return self.years[-1].balance if self.years else 0

    def balance_at(self, day: dt.date) -> int:
        """The balance at the end of ``day`` (the year-end confirmation's figure)."""
        found = [line.balance for y in self.years for line in y.lines if line.date <= day]
        return found[-1] if found else 0

    def to_json(self) -> dict[str, Any]:
        return {"city": self.code, "name": self.name, "balance": fmt(self.balance), "years": [y.to_json() for y in self.years]}


def statement(project: Project, city: str) -> Statement:
    """Every invoice, credit note and payment of the city, by date, with the running balance, by calendar year."""
    code = M.lookup(city).code
    query = select(Invoice).where(Invoice.project_id == project.id, Invoice.code == code)
    items: list[tuple[dt.date, int, str, str, int]] = [
        (i.invoice_date, 0, i.kind, str(i.number), i.total_cents) for i in db.session.execute(query).scalars()]
    items += [(p.date, 1, "payment", p.bank_reference, -p.cents) for p in payments(project, city=code)]
    result = Statement(code, M.lookup(code).name)
    balance = 0
    for day, _, kind, number, cents in sorted(items):
        balance += cents
        if not result.years or result.years[-1].year != day.year:
            result.years.append(Year(day.year, balance=balance - cents))
        year = result.years[-1]
        year.lines.append(Line(day, kind, number, cents, balance))
        if kind == "payment":
            year.paid -= cents
        else:
            year.invoiced += cents
        year.balance = balance
    return result


def bucket(due: dt.date, on: dt.date) -> str:
    """The aging bucket of an open invoice due on ``due``, seen on ``on``."""
    late = (on - due).days
    if late <= 0:
        return "not-due"
    return "1-30" if late <= 30 else "31-60" if late <= 60 else "over-60"


@dataclass(frozen=True)
class Aged:
    """An open invoice in the aging list."""

    number: int
    code: str
    name: str
    due: dt.date
    outstanding: int
    days_late: int
    bucket: str

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "city": self.code, "name": self.name, "due": self.due.isoformat(),
                "outstanding": fmt(self.outstanding), "days_late": self.days_late, "bucket": self.bucket}


def aging(project: Project, *, on: dt.date | None = None, city: str | None = None) -> list[Aged]:
    """Every invoice with something open, oldest due first, with its bucket on ``on`` (default today)."""
    day = on or today()
    rows = [r for r in listing(project, city=city) if r.outstanding > 0]
    aged = [Aged(r.invoice.number, r.invoice.code, r.invoice.buyer["name"], r.invoice.due_date, r.outstanding,
                 max((day - r.invoice.due_date).days, 0), bucket(r.invoice.due_date, day)) for r in rows]
    return sorted(aged, key=lambda a: (a.due, a.number))


def totals(rows: list[Aged]) -> dict[str, int]:
    """The open cents of each bucket."""
    out = dict.fromkeys(BUCKETS, 0)
    for row in rows:
        out[row.bucket] += row.outstanding
    return out


def overdue(project: Project, *, on: dt.date | None = None) -> list[Aged]:
    """The open invoices past their due date."""
    return [a for a in aging(project, on=on) if a.bucket != "not-due"]


@dataclass(frozen=True)
class BilledYear:
    """What a city was invoiced for one budget year, what of it is paid and what is still open."""

    year: int
    invoiced: int
    paid: int
    outstanding: int


def billed_years(project: Project, city: str) -> tuple[list[BilledYear], dt.date | None]:
    """The city's invoices summed per budget year (credit notes included), and the next due date of
    an invoice with something open (``None``: nothing open) — the city's dashboard."""
    rows = listing(project, city=city)
    years: dict[int, list[int]] = {}
    for row in rows:
        sums = years.setdefault(row.invoice.year, [0, 0, 0])
        sums[0] += row.invoice.total_cents
        sums[1] += row.paid
        sums[2] += row.outstanding
    due = [r.invoice.due_date for r in rows if r.outstanding > 0]
    return [BilledYear(y, *sums) for y, sums in sorted(years.items())], min(due, default=None)

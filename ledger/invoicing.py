"""What invoicing computes: each member's next invoice, supplementary invoice or credit note for a
budget year, exactly in cents, and the balanced entries that issuing posts.

What a member owes for a budget year is what the ledger holds for that year: its assessed share
(``#assessment`` postings), its joining fees (``#fee``) and each direct charge (``#charge``: its own
costs, a catch-up, a cancellation), every one a *component* of the year (:func:`components`). An
invoice bills components. The first invoice of a year bills each in full (the share in instalments
when the project invoices in several); after a recalculation moves the year, the next issue bills
each component's difference from what its invoices hold: a *supplementary invoice* when the
difference is due from the member, a *credit note* naming the invoice it corrects when it is owed
back (:func:`plan`). Nothing issued is ever changed: the next invoice makes the sum of a member's
invoices of a year equal to what the ledger holds for it.

Issuing posts one balanced ``#invoice`` transaction per invoice (:func:`invoice_entry`): the net
amount leaves the member's receivable ``Assets:Receivable:Members:…`` (assessed, not yet invoiced),
the total with VAT enters ``Assets:Receivable:Invoiced:…`` (invoiced, open) and the VAT its
liability; a credit note moves the other way. How VAT is rounded is the invoice model's rule
(``portal.billing.invoice``), so the VAT is given to this module, never computed here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from beancount.core import data
from beancount.core.amount import Amount

from ledger import entries as E
from ledger import municipalities as M
from ledger.errors import InvalidInput
from ledger.money import CURRENCY, half_up, to_decimal
from ledger.project import ProjectState, version_for
from ledger.rules import RuleVersion
from ledger.sharing import periods_by_code, sharers

SHARE, FEE, CHARGE = "share", "fee", "charge"
KINDS = ("invoice", "supplementary", "credit-note")
MAX_INSTALMENTS = 12
_TAG_KINDS = ((E.ASSESSMENT_TAG, SHARE), (E.FEE_TAG, FEE), (E.CHARGE_TAG, CHARGE))
_ORDER = {SHARE: 0, FEE: 1, CHARGE: 2}
_CITY_PREFIX = re.compile(r"^.*?\(\d{3}\):\s*")


class Component(NamedTuple):
    """What the ledger holds for a member in a year, one part of it: its share, its fees or one charge."""

    key: str                      # "share", "fee", or "charge:<posting>:<date>:<digest>" (one per charge entry)
    kind: str                     # SHARE, FEE or CHARGE
    cents: int
    date: dt.date | None = None   # a charge: the date of its entry
    text: str = ""                # a charge: its text as it was charged (or cancelled)


class Issued(NamedTuple):
    """An invoice already issued, as far as invoicing the next one needs it."""

    number: int
    code: str
    year: int
    kind: str                     # one of KINDS
    instalment: int | None        # the instalment of the year it billed, if it was one
    lines: Mapping[str, int]      # component key -> cents billed


class Line(NamedTuple):
    """One line of a draft invoice: a component's amount, or its difference (``correction``)."""

    key: str
    kind: str
    cents: int
    correction: bool
    date: dt.date | None = None
    text: str = ""


class Draft(NamedTuple):
    """The next invoice of one member for one year, before it has a number."""

    code: str
    year: int
    kind: str                     # one of KINDS
    lines: tuple[Line, ...]
    instalment: int | None        # which instalment of the year's share it bills (kind "invoice")
    instalments: int
    corrects: int | None          # a supplementary invoice or credit note: the invoice it corrects

    @property
    def net(self) -> int:
        """The invoice's amount without VAT: what moves from the member's receivable."""
        return sum(line.cents for line in self.lines)


class Basis(NamedTuple):
    """What a year's share was assessed under, for the text of its invoice line."""

    rule: RuleVersion
    members: int


def basis(state: ProjectState, year: int) -> Basis:
    """The rule version that governs ``year`` and how many members share it."""
    shared = sharers(state.policy, year, periods_by_code(state.members), state.term, state.leaver)
    return Basis(version_for(state, year), len(shared))


# -- what the ledger holds -----------------------------------------------------------------------
def _tag_kind(entry: data.Transaction) -> str | None:
    return next((kind for tag, kind in _TAG_KINDS if tag in (entry.tags or ())), None)


def _charge(entry: data.Transaction, code: str, cents: int) -> Component:
    """One charge entry's component: keyed on its posting, date and narration, so it is billed once."""
    narration = entry.narration or ""
    digest = hashlib.sha256(narration.encode("utf-8")).hexdigest()[:12]
    key = f"{CHARGE}:{entry.meta.get('lineno', 0)}:{entry.date.isoformat()}:{digest}"
    return Component(key, CHARGE, cents, entry.date, _CITY_PREFIX.sub("", narration, count=1))


def components(entries: Iterable[data.Directive], year: int) -> dict[str, dict[str, Component]]:
    """Each member's components of budget ``year`` (code -> key -> component), from the ledger's entries."""
    out: dict[str, dict[str, Component]] = {}
    for entry in entries:
        if not isinstance(entry, data.Transaction) or (kind := _tag_kind(entry)) is None:
            continue
        for posting in entry.postings:
            code = E.code_of_account(posting.account)
            if code is None or posting.units is None or posting.units.currency != CURRENCY or E.posting_year(posting) != year:
                continue
            cents = E.posting_cents(posting)
            found = _charge(entry, code, cents) if kind == CHARGE else Component(kind, kind, cents)
            mine = out.setdefault(code, {})
            before = mine.get(found.key)
            mine[found.key] = found if before is None else before._replace(cents=before.cents + cents)
    return out


def held(targets: Mapping[str, Mapping[str, Component]]) -> dict[str, int]:
    """Each member's total of the year: what the sum of its invoices of the year must come to."""
    return {code: sum(c.cents for c in comps.values()) for code, comps in sorted(targets.items())}


# -- the next invoices ---------------------------------------------------------------------------
def check_instalments(value: object) -> int:
    """The number of instalments a year's share is invoiced in: a whole number from 1 to 12."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_INSTALMENTS:
        raise InvalidInput("instalments must be a whole number from 1 to %(most)s (got %(value)s)", most=MAX_INSTALMENTS,
                           value=repr(value))
    return value


def _due(component: Component | None, instalment: int | None, instalments: int) -> int:
    """What a component's invoices should hold after this invoice: all of it, or the share's instalments so far."""
    if component is None:
        return 0
    if component.kind != SHARE or instalment is None:
        return component.cents
    return half_up(Fraction(component.cents * instalment, instalments))


def _lines(components_: Mapping[str, Component], billed: Mapping[str, int], instalment: int | None,
           instalments: int) -> list[Line]:
    keys = sorted(set(components_) | set(billed), key=lambda k: (_ORDER[k.split(":", 1)[0]], k))
    lines = []
    for key in keys:
        component = components_.get(key)
        difference = _due(component, instalment, instalments) - billed.get(key, 0)
        if difference:
            kind = key.split(":", 1)[0]
            # A later instalment bills the share's next part (after a recalculation, of the new share): not a correction.
            correction = key in billed and not (kind == SHARE and instalment is not None)
            lines.append(Line(key, kind, difference, correction, component.date if component else None,
                              component.text if component else ""))
    return lines


def _latest(issued: Iterable[Issued]) -> int | None:
    """The latest invoice (not a credit note) among ``issued``: the one a correction names."""
    numbers = [i.number for i in issued if i.kind != "credit-note"]
    return max(numbers) if numbers else None


def _draft(code: str, year: int, components_: Mapping[str, Component], issued: Sequence[Issued], instalments: int) -> Draft | None:
    mine = [i for i in issued if i.code == code and i.year == year]
    billed: dict[str, int] = {}
    for invoice in mine:
        for key, cents in invoice.lines.items():
            billed[key] = billed.get(key, 0) + cents
    regular = sum(1 for i in mine if i.instalment is not None)
    instalment = regular + 1 if regular < instalments else None
    lines = _lines(components_, billed, instalment, instalments)
    if instalment is not None and sum(line.cents for line in lines) > 0:
        return Draft(code, year, "invoice", tuple(lines), instalment, instalments, None)
    # Nothing more is due for the instalments so far: only what the invoices hold beyond the whole year is corrected.
    lines = _lines(components_, billed, None, instalments)
    net = sum(line.cents for line in lines)
    if net > 0:
        return Draft(code, year, "supplementary", tuple(lines), None, instalments, _latest(mine))
    if net < 0:
        corrects = _latest(mine) or _latest(i for i in issued if i.code == code)
        # A credit note must name an invoice; with none issued to the member, the cents wait for its next invoice.
        return Draft(code, year, "credit-note", tuple(lines), None, instalments, corrects) if corrects else None
    return None


def plan(year: int, targets: Mapping[str, Mapping[str, Component]], issued: Sequence[Issued], *,
         instalments: int = 1) -> list[Draft]:
    """The next invoice of every member for ``year`` that has something to invoice, by code.

    ``targets`` are the year's components (:func:`components`), ``issued`` every invoice issued so
    far (all years: a credit note of a year never invoiced names the member's latest invoice).
    """
    check_instalments(instalments)
    codes = sorted(set(targets) | {i.code for i in issued if i.year == year})
    drafts = (_draft(code, year, targets.get(code, {}), issued, instalments) for code in codes)
    return [d for d in drafts if d is not None]


# -- the entries issuing posts -------------------------------------------------------------------
def _posting(account: str, cents: int, year: int, invoice: int | None = None) -> data.Posting:
    meta: dict[str, object] = {"year": Decimal(year)}
    if invoice is not None:
        meta["invoice"] = str(invoice)
    return data.Posting(account, Amount(to_decimal(cents), CURRENCY), None, None, None, meta)


def narration(draft: Draft, number: int) -> str:
    """``Invoice 12: Porvoo (638), 2026, instalment 1/2``: what the entry and the audit log say."""
    label = {"invoice": "Invoice", "supplementary": "Supplementary invoice", "credit-note": "Credit note"}[draft.kind]
    text = f"{label} {number}: {M.lookup(draft.code).name} ({draft.code}), {draft.year}"
    if draft.instalment is not None and draft.instalments > 1:
        text += f", instalment {draft.instalment}/{draft.instalments}"
    if draft.corrects is not None:
        text += f", corrects invoice {draft.corrects}"
    return text


def invoice_entry(draft: Draft, number: int, *, date: dt.date, vat_cents: int, meta: Mapping[str, object]) -> data.Transaction:
    """The balanced ``#invoice`` transaction of one invoice: members' receivable to invoiced (a credit note: back)."""
    if (draft.net > 0) != (draft.kind != "credit-note") or (vat_cents and (vat_cents > 0) != (draft.net > 0)):
        raise InvalidInput("%(invoice)s: a credit note and its VAT are negative, an invoice's positive",
                           invoice=narration(draft, number))
    name = M.lookup(draft.code).name
    postings = [_posting(E.member_account(draft.code, name), -draft.net, draft.year),
                _posting(E.invoiced_account(draft.code, name), draft.net + vat_cents, draft.year, number)]
    if vat_cents:
        postings.append(_posting(E.VAT_PAYABLE, -vat_cents, draft.year))
    full: dict[str, object] = {**meta, "invoice": str(number), "year": Decimal(draft.year), "kind": draft.kind}
    if draft.corrects is not None:
        full["corrects"] = str(draft.corrects)
    return data.Transaction(full, date, "*", None, narration(draft, number), frozenset({E.INVOICE_TAG}), frozenset(), postings)


def opens(drafts: Iterable[Draft], open_accounts: set[str], start: dt.date, *, vat: bool) -> list[data.Directive]:
    """The ``open`` directives the invoices' entries need that the ledger lacks, dated on the project's start."""
    needed: set[str] = {E.VAT_PAYABLE} if vat else set()
    for draft in drafts:
        name = M.lookup(draft.code).name
        needed |= {E.member_account(draft.code, name), E.invoiced_account(draft.code, name)}
    return [E.open_entry(start, account, {}) for account in sorted(needed - open_accounts)]


def outstanding(entries: Iterable[data.Directive]) -> dict[int, int]:
    """What is open of each invoice: the sum of the postings to invoiced receivables that carry its number.

    An invoice's own entry puts its total there; a payment or a settlement of it (posted with the
    same ``invoice`` metadata) takes from it, so what is left is what is still to be paid.
    """
    out: dict[int, int] = {}
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        for posting in entry.postings:
            number = (posting.meta or {}).get("invoice")
            if number is not None and posting.account.startswith(E.INVOICED + ":") and str(number).isdigit():
                out[int(number)] = out.get(int(number), 0) + E.posting_cents(posting)
    return out

"""Building, rendering and parsing the ledger's entries (beancount directives).

Accounts of a project ledger:

- ``Assets:Receivable:Members:<Name>-<code>``: what each member city has been assessed and
  not yet paid. Its postings in entries tagged ``#assessment`` are the city's share.
- ``Income:Contributions``: the members' contributions, recognised by budget year (below).
- ``Liabilities:Deferred:Contributions`` (and ``:JoiningFees``): what a change assessed for a
  budget year other than its own date's year, until the ``#recognition`` entry dated in that
  year moves it into income (:func:`recognitions`).
- ``Income:DirectCharges``: costs that concern one member only (``#charge`` entries).
- ``Income:JoiningFees``: joining fees, derived from the project's state (``#fee`` entries).
- ``Assets:Bank`` and others: whatever imported payments use.

Every posting to a member's receivable and to the income accounts carries the budget year it
belongs to as posting metadata (``year: 2026``), so BQL can group by ``meta('year')``.
Entries written before budget years existed have no ``year``: they count as the cell ``None``.

Income by budget year: an income account's postings for budget year Y are all in entries dated
within Y, so Fava's income statement for Y and ``... AND year = Y`` in BQL give exactly Y's
amounts. A change dated in Y posts Y's difference to income directly; the difference of any other
year Y' goes to ``Liabilities:Deferred:<income>`` and one ``#recognition`` entry per year moves
it into income, dated 1 January of Y' for a year not yet begun, 31 December of Y' for a past
(open) year. Closed years are never moved by a change, so no entry is dated in them.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from beancount.core import convert, data
from beancount.core.amount import Amount
from beancount.parser import parser, printer

from ledger import printing
from ledger.cells import Books, Cell
from ledger.cells import posting_cents as posting_cents  # re-exported: E.posting_cents, as before
from ledger.cells import posting_year as posting_year
from ledger.errors import InvalidInput, Phrase
from ledger.money import CURRENCY, to_decimal

RECEIVABLE = "Assets:Receivable:Members"
CONTRIBUTIONS = "Income:Contributions"
DIRECT_CHARGES = "Income:DirectCharges"
JOINING_FEES = "Income:JoiningFees"
ASSESSMENT_TAG = "assessment"
CHARGE_TAG = "charge"
FEE_TAG = "fee"
# Invoicing (``ledger.invoicing`` builds its entries; ``portal.billing`` issues the invoices).
#: "Invoiced, open": what a city has been invoiced and not yet paid, per budget year and invoice.
INVOICED = "Assets:Receivable:Invoiced"
#: Output VAT on invoices, when a project invoices with VAT (none by default).
VAT_PAYABLE = "Liabilities:VAT:Output"
INVOICE_TAG = "invoice"
#: Contributions and fees assessed for a budget year other than their entry's date's year.
DEFERRED = "Liabilities:Deferred"
RECOGNITION_TAG = "recognition"
#: What funders owe (``ledger.funders`` builds these entries): grants and subsidies until paid.
FUNDERS = "Assets:Receivable:Funders"
FUNDING_TAG = "funding"
# What the portal alone posts (``ledger.importer`` refuses them in an import). One line adds a name.
MANAGED_TAGS: tuple[str, ...] = (ASSESSMENT_TAG, CHARGE_TAG, FEE_TAG, INVOICE_TAG, RECOGNITION_TAG, FUNDING_TAG)
MANAGED_ACCOUNTS: tuple[str, ...] = (CONTRIBUTIONS, DIRECT_CHARGES, JOINING_FEES, VAT_PAYABLE)
# Whole branches of the chart of accounts the portal keeps, each ending in ":" (the branch's own
# name counts too). All income is the portal's: it recognises contributions, charges, fees and,
# with billing, budget years; a bank file has no income of its own to add, only payments.
MANAGED_PREFIXES: tuple[str, ...] = (
    "Income:",
    "Assets:Receivable:",   # what members owe (assessed, invoiced) and funders: the portal opens these accounts
    "Liabilities:Unallocated:",  # payments waiting to be allocated (billing, second half)
    "Liabilities:Credit:",       # members' credit from overpayments (billing, second half)
    "Liabilities:Deferred:",     # contributions assessed for budget years not yet begun (billing, second half)
)
# Managed accounts an import may still post a payment to, when the ledger already has them
# (a member's payment, a funder's payment of its grant or subsidy).
PAYABLE_PREFIXES: tuple[str, ...] = (f"{RECEIVABLE}:", f"{FUNDERS}:")
# beancount's own helpers carry no annotations; these names give them their types.
_format_error: Callable[[Any], str] = printer.format_error
_weight: Callable[[data.Posting], Amount] = convert.get_weight
_ACCOUNT_CODE = re.compile(rf"^{RECEIVABLE}:.*-(\d{{3}})$")


def is_managed(account: str) -> bool:
    """An account the portal itself opens and posts to (:data:`MANAGED_ACCOUNTS`, :data:`MANAGED_PREFIXES`)."""
    return account in MANAGED_ACCOUNTS or any(account.startswith(p) or account == p[:-1] for p in MANAGED_PREFIXES)


def is_payable(account: str) -> bool:
    """A managed account a payment may settle (a member's or a funder's receivable), if the ledger has it open."""
    return any(account.startswith(p) for p in PAYABLE_PREFIXES)


@functools.lru_cache(maxsize=4096)  # a recalculation names every member's account several times
def member_account(code: str, name: str) -> str:
    """``Assets:Receivable:Members:Porvoo-638``: readable in Fava, keyed on the code."""
    component = re.sub(r"[^\w]+", "-", name, flags=re.UNICODE).strip("-_")
    component = component[:1].upper() + component[1:]
    return f"{RECEIVABLE}:{component}-{code}"


@functools.lru_cache(maxsize=8192)  # the same few hundred accounts, once per posting of every change
def code_of_account(account: str) -> str | None:
    """The municipality code of a member receivable account, or None for any other account."""
    match = _ACCOUNT_CODE.match(account)
    return match.group(1) if match else None


def source_meta(source: str, seq: int) -> data.Meta:
    """Meta that orders entries of one date in the order they were posted (by ``seq``)."""
    return {"filename": source, "lineno": seq}


def open_entry(date: dt.date, account: str, meta: data.Meta) -> data.Open:
    return data.Open(meta, date, account, [CURRENCY], None)


@functools.lru_cache(maxsize=16384)  # a change's moves are mostly a few cents: the same amounts, thousands of times
def _units(cents: int) -> Amount:
    """``cents`` as an amount of EUR (immutable, so one object serves every posting of it)."""
    return Amount(to_decimal(cents), CURRENCY)


def _posting(account: str, cents: int, year: int | None) -> data.Posting:
    meta = {"year": Decimal(year)} if year is not None else None
    return data.Posting(account, _units(cents), None, None, None, meta)


def deferred_account(income: str) -> str:
    """``Liabilities:Deferred:Contributions``: where ``income`` of another budget year waits for its year."""
    return f"{DEFERRED}:{income.rsplit(':', 1)[-1]}"


def recognition_date(year: int, date: dt.date) -> dt.date:
    """The day income of budget ``year`` deferred on ``date`` is recognised: within ``year``, nearest to ``date``."""
    return dt.date(year, 1, 1) if year > date.year else dt.date(year, 12, 31)


def counterpart(income: str, year: int | None, date: dt.date) -> str:
    """The account a move of budget ``year`` dated ``date`` is balanced against: income within its year, else deferred."""
    return income if year is None or year == date.year else deferred_account(income)


def year_moves(date: dt.date, changes: Mapping[Cell, int], names: Mapping[str, str], narration: str, meta: data.Meta, *,
               tag: str, income: str) -> data.Transaction | None:
    """One balanced transaction moving each member's cents of each year by ``changes``.

    ``changes`` maps ``(year, code)`` to cents. The net change of a year is balanced against the
    ``income`` account when the year is the date's year (or None), else against its deferred
    account (:func:`counterpart`; :func:`recognitions` gives the entries that release it).
    Returns None when nothing moved: there is nothing to post.
    """
    moved = {cell: cents for cell, cents in sorted(changes.items(), key=lambda kv: (kv[0][1], kv[0][0] or 0)) if cents}
    if not moved:
        return None
    postings = [_posting(member_account(code, names[code]), cents, year) for (year, code), cents in moved.items()]
    nets: dict[int | None, int] = {}
    for (year, _), cents in moved.items():
        nets[year] = nets.get(year, 0) + cents
    for year, net in sorted(nets.items(), key=lambda kv: kv[0] or 0):
        if net:
            postings.append(_posting(counterpart(income, year, date), -net, year))
    return data.Transaction(meta, date, "*", None, narration, frozenset({tag}), frozenset(), postings)


def recognitions(entry: data.Transaction | None, income: str) -> list[data.Transaction]:
    """The ``#recognition`` entries releasing what ``entry`` deferred into ``income``, one per budget year.

    Each is dated within its budget year (:func:`recognition_date`), so the year's income
    statement holds it whatever day the change was posted.
    """
    if entry is None:
        return []
    deferred = deferred_account(income)
    out = []
    for posting in entry.postings:
        if posting.account != deferred or (year := posting_year(posting)) is None:
            continue
        cents = posting_cents(posting)
        meta = {**entry.meta, "recognises": Decimal(year)}
        postings = [_posting(deferred, -cents, year), _posting(income, cents, year)]
        out.append(data.Transaction(meta, recognition_date(year, entry.date), "*", None,
                                    f"{entry.narration}: {year} recognised in its year", frozenset({RECOGNITION_TAG}),
                                    frozenset(), postings))
    return out


def assessment(date: dt.date, changes: Mapping[Cell, int], names: Mapping[str, str], narration: str,
               meta: data.Meta) -> data.Transaction | None:
    """The ``#assessment`` transaction of a change: each share's move, against ``Income:Contributions``."""
    return year_moves(date, changes, names, narration, meta, tag=ASSESSMENT_TAG, income=CONTRIBUTIONS)


def charge(date: dt.date, code: str, name: str, cents: int, narration: str, meta: data.Meta,
           year: int | None = None) -> data.Transaction:
    """A direct charge to one member (negative: its reversal), against ``Income:DirectCharges``.

    The postings carry the year of the charge (``year``, default the entry's date's year).
    """
    year = date.year if year is None else year
    postings = [_posting(member_account(code, name), cents, year), _posting(DIRECT_CHARGES, -cents, year)]
    return data.Transaction(meta, date, "*", None, narration, frozenset({CHARGE_TAG}), frozenset(), postings)


def escape(text: str) -> str:
    """Text inside a beancount string literal (an option's value, a narration)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def format_entry(entry: data.Directive) -> str:
    """The entry as beancount text, metadata included (without filename/lineno): ``ledger.printing``."""
    return printing.format_entry(entry)


def parse_entries(text: str, source: str, first_seq: int = 0) -> list[data.Directive]:
    """Parse stored entry text; give each parsed entry our own ordering meta."""
    entries, errors, _ = parser.parse_string(text)
    if errors:
        # Beancount's own words for what does not parse, as it gives them (its English, on every page).
        raise InvalidInput("stored ledger text does not parse", details=[_format_error(e).strip() for e in errors])
    return [entry._replace(meta={**entry.meta, **source_meta(source, first_seq)}) for entry in entries]


def add_cells(cells: dict[Cell, int], entry: data.Directive, tag: str = ASSESSMENT_TAG) -> None:
    """Fold one entry's member postings into ``cells`` by (year, code), for entries tagged ``tag``."""
    if not isinstance(entry, data.Transaction) or tag not in (entry.tags or ()):
        return
    for posting in entry.postings:
        code = code_of_account(posting.account)
        if code is not None and posting.units is not None and posting.units.currency == CURRENCY:
            cell = (posting_year(posting), code)
            cells[cell] = cells.get(cell, 0) + posting_cents(posting)


def check_balanced(entries: Sequence[data.Directive]) -> list[str]:
    """Errors for any transaction whose postings do not sum to zero exactly, per currency (each a
    :class:`~ledger.errors.Phrase`, a refusal's detail line)."""
    problems: list[str] = []
    for entry in entries:
        if isinstance(entry, data.Transaction):
            sums: dict[str, Decimal] = {}
            for posting in entry.postings:
                if posting.units is None or not isinstance(posting.units.number, Decimal):
                    problems.append(Phrase("%(day)s %(narration)s: a posting has no amount", day=str(entry.date),
                                           narration=repr(entry.narration)))
                    break
                weight = _weight(posting)
                sums[weight.currency] = sums.get(weight.currency, Decimal(0)) + (weight.number or Decimal(0))
            unbalanced = {c: s for c, s in sums.items() if s != 0}
            if unbalanced:
                problems.append(Phrase("%(day)s %(narration)s does not balance: %(sums)s", day=str(entry.date),
                                       narration=repr(entry.narration), sums=str(unbalanced)))
    return problems


# -- invoicing (``ledger.invoicing`` builds its entries; ``portal.billing`` issues the invoices) ----
def invoiced_account(code: str, name: str) -> str:
    """``Assets:Receivable:Invoiced:Porvoo-638``: the city's invoiced, open amounts, named as its member account."""
    return INVOICED + member_account(code, name)[len(RECEIVABLE):]


# -- what a ledger's sums (ledger.cells.Books) hold for the members --------------------------------
SUMMED_TAGS = (ASSESSMENT_TAG, CHARGE_TAG, FEE_TAG, FUNDING_TAG)  # the tags a change and the shares read


def assessed_cells(books: Books) -> dict[Cell, int]:
    """Each member's assessed cents per year: what ``add_cells`` gives over ``#assessment`` entries."""
    return books.cells(ASSESSMENT_TAG, under=RECEIVABLE)


def fee_cells(books: Books) -> dict[Cell, int]:
    """Each member's joining fees per year: what a recalculation diffs the fees against."""
    return books.cells(FEE_TAG, under=RECEIVABLE)


def charged_cells(books: Books) -> dict[Cell, int]:
    """Each member's direct charges and joining fees per year."""
    return books.cells(CHARGE_TAG, FEE_TAG, under=RECEIVABLE)

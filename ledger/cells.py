"""A member's amount of one budget year is a *cell*: ``(year, municipality code)`` to cents.

Assessments, ledger sums and closed-year checks all speak in cells. Entries written before
budget years existed have no year: their cells have ``None`` for the year.

:class:`Books` is what the ledger sums to without its entries: the cents of every EUR posting
by ``(tag, account, budget year)`` and the accounts opened with their dates. :meth:`Books.of`
folds any entries into it, whatever their tags and accounts, so the change service can keep
the sums in SQL beside each posting (and read them instead of the history), and a new tag or
account needs nothing new here. The cells of one tag (:meth:`Books.cells`) are then what
``ledger.entries.add_cells`` gives from the entries themselves; the tests check that they agree.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import NamedTuple

from beancount.core import data

from ledger.errors import InvalidInput
from ledger.money import CURRENCY

Cell = tuple[int | None, str]  # (budget year or None, municipality code)
YearCell = tuple[int, str]     # a cell of a budget year
Key = tuple[str, str, int | None]  # (tag, account, budget year or None) of :class:`Books`
UNTAGGED = ""                  # the tag under which a transaction without tags is summed
_MEMBER = re.compile(r"-(\d{3})$")  # a member's account ends with its municipality code: ``…:Porvoo-638``


def totals_of(cells: Mapping[Cell, int] | Mapping[YearCell, int]) -> dict[str, int]:
    """Each member's sum over all its cells, by code in ascending order."""
    totals: dict[str, int] = {}
    for (_, code), cents in cells.items():
        totals[code] = totals.get(code, 0) + cents
    return dict(sorted(totals.items()))


def of_member(cells: Mapping[Cell, int], code: str) -> dict[Cell, int]:
    """The cells of one member."""
    return {cell: cents for cell, cents in cells.items() if cell[1] == code}


# -- postings --------------------------------------------------------------------------------------
def posting_year(posting: data.Posting) -> int | None:
    """The budget year a posting counts in (its ``year`` metadata), None without one.

    A value that is not a whole year (text, a fraction, beyond 9999) counts as no year: an imported
    file's metadata must not break the sums.
    """
    meta = posting.meta
    if not meta:
        return None
    value = meta.get("year")
    if type(value) is Decimal:  # what the portal writes and beancount parses: the usual case, first
        if not value.is_finite() or not 0 < value <= 9999:
            return None
        year = int(value)
        return year if year == value else None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return None
    if isinstance(value, Decimal) and not value.is_finite():
        return None
    return int(value) if value == int(value) and 0 < value <= 9999 else None


def posting_cents(posting: data.Posting) -> int:
    """A posting's amount in cents (postings of the portal's own accounts are whole cents of EUR)."""
    if posting.units is None or not isinstance(posting.units.number, Decimal):
        raise InvalidInput("a posting to %(account)s has no amount", account=posting.account)
    return int(posting.units.number * 100)


@functools.lru_cache(maxsize=65536)  # a change asks it of every one of ~3,000 sums; a ledger has few accounts
def member_code(account: str) -> str | None:
    """The municipality code a member's account ends with (``Assets:Receivable:Members:Porvoo-638``), else None."""
    match = _MEMBER.search(account.rsplit(":", 1)[-1])
    return match.group(1) if match else None


# -- the sums of a ledger --------------------------------------------------------------------------
class Books(NamedTuple):
    """A ledger's sums: cents by ``(tag, account, year)`` and each opened account's date.

    A transaction counts once under each of its tags (``""`` when it has none), so the sums of one
    tag are exact; adding sums across tags counts a transaction with two tags twice.
    """

    sums: Mapping[Key, int]
    opened: Mapping[str, dt.date]

    @staticmethod
    def of(entries: Iterable[data.Directive]) -> Books:
        """The sums of ``entries``: every EUR posting of every transaction, and every ``open``."""
        sums: dict[Key, int] = {}
        opened: dict[str, dt.date] = {}
        for entry in entries:
            if isinstance(entry, data.Open):
                opened[entry.account] = min(entry.date, opened.get(entry.account, entry.date))
            elif isinstance(entry, data.Transaction):
                tags = sorted(entry.tags or ()) or (UNTAGGED,)
                for posting in entry.postings:
                    if posting.units is None or posting.units.currency != CURRENCY:
                        continue
                    cents, year = posting_cents(posting), posting_year(posting)
                    for tag in tags:
                        key = (tag, posting.account, year)
                        sums[key] = sums.get(key, 0) + cents
        return Books(sums, opened)

    def plus(self, other: Books) -> Books:
        """These sums and ``other``'s together (an account opened in both keeps the earlier date)."""
        sums = dict(self.sums)
        for key, cents in other.sums.items():
            sums[key] = sums.get(key, 0) + cents
        opened = dict(self.opened)
        for account, day in other.opened.items():
            opened[account] = min(day, opened.get(account, day))
        return Books(sums, opened)

    def cells(self, *tags: str, under: str) -> dict[Cell, int]:
        """The members' cells of the transactions tagged ``tags`` (summed), on accounts under ``under``."""
        out: dict[Cell, int] = {}
        prefix = under + ":"
        for (tag, account, year), cents in self.sums.items():
            if tag in tags and account.startswith(prefix) and (code := member_code(account)) is not None:
                out[(year, code)] = out.get((year, code), 0) + cents
        return out

    def accounts(self) -> set[str]:
        """Every account opened."""
        return set(self.opened)

"""Beancount text of the entries the portal stores: a small, exact printer for the usual shapes.

Why hand-written: every change stores its entries as beancount text (``ledger_postings``), and a
change of a 300-member project writes one transaction of some 3,000 postings. beancount's own
printer (``beancount.parser.printer``) renders each posting's position through its display
context and aligns them in several passes over all the strings: about a third of a whole change
was spent there. What the portal builds is much simpler: EUR amounts without cost or price,
metadata of strings, numbers, dates and amounts. :func:`format_entry` writes those in one pass,
in the same layout as beancount's printer (the header, then the metadata, then each posting with
its accounts padded to one width and its amounts right-aligned, its metadata below it), so the
text parses back to the same entry and prints again to the same text. Anything else (an open,
a balance, an imported posting at cost or with a price, a metadata value of another type) is
left to beancount's printer, so nothing is ever written in a form beancount does not load.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from beancount.core import data
from beancount.core.amount import Amount
from beancount.parser import printer

_printer: Callable[[data.Directive], str] = printer.format_entry
_IGNORED = frozenset({"filename", "lineno"})  # what beancount's printer leaves out too


def _quoted(text: str) -> str:
    """A beancount string literal (what ``beancount.utils.misc_utils.escape_string`` escapes)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _value(value: object) -> str | None:
    """A metadata value as beancount's printer writes it; None for a type left to that printer."""
    if isinstance(value, str):
        return _quoted(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, Decimal | dt.date | Amount):
        return str(value)
    if value is None:
        return ""
    return None


def _meta_lines(meta: Mapping[str, Any] | None, indent: str, out: list[str]) -> bool:
    """Append ``meta``'s lines to ``out``; False if a value is of a type this printer leaves alone."""
    for key, value in (meta or {}).items():
        if key in _IGNORED or key.startswith("__"):
            continue
        text = str(value) if type(value) is Decimal else _value(value)
        if text is None:
            return False
        out.append(f"{indent}{key}: {text}")
    return True


def _postings(postings: list[data.Posting], lines: list[str]) -> bool:
    """Append the postings' lines to ``lines``; False if one has a part this printer does not write.

    A posting is written only with plain units (a finite ``Decimal`` and a currency), no cost, no
    price and no flag; its number as ``str`` gives it (``format(…, "f")`` where that would be an exponent).
    """
    numbers: list[tuple[str, str]] = []  # each posting's number and currency
    for posting in postings:
        units = posting.units
        if (posting.cost is not None or posting.price is not None or posting.flag or type(units) is not Amount
                or type(units.number) is not Decimal or not units.number.is_finite() or type(units.currency) is not str):
            return False
        number = str(units.number)
        numbers.append((format(units.number, "f") if "E" in number else number, units.currency))
    width = max((len(p.account) for p in postings), default=1)
    digits = max((len(n) for n, _ in numbers), default=1)
    for posting, (number, currency) in zip(postings, numbers, strict=True):
        lines.append(f"  {posting.account:{width}}  {number:>{digits}} {currency}")
        if posting.meta and not _meta_lines(posting.meta, "    ", lines):
            return False
    return True


def _transaction(entry: data.Transaction) -> str | None:
    """The transaction's text, or None when it has a part this printer does not write."""
    if entry.flag not in ("*", "!"):
        return None
    head = [_quoted(entry.payee)] if entry.payee else []
    if entry.narration:
        head.append(_quoted(entry.narration))
    elif entry.payee:
        head.append('""')
    head += [f"#{tag}" for tag in sorted(entry.tags or ())] + [f"^{link}" for link in sorted(entry.links or ())]
    lines = [f"{entry.date} {entry.flag} {' '.join(head)}"]
    if not _meta_lines(entry.meta, "  ", lines) or not _postings(entry.postings, lines):
        return None
    return "\n".join(lines) + "\n"


def format_entry(entry: data.Directive) -> str:
    """The entry as beancount text, metadata included (without filename/lineno)."""
    if isinstance(entry, data.Transaction):
        text = _transaction(entry)
        if text is not None:
            return text
    return _printer(entry)

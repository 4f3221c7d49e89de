"""Building, rendering and parsing the ledger's entries (beancount directives).

Accounts of a project ledger:

- ``Assets:Receivable:Members:<Name>-<code>``: what each member city has been assessed and
  not yet paid. Its postings in entries tagged ``#assessment`` are the city's share.
- ``Income:Contributions``: the members' contributions, the counterpart of every assessment.
- ``Assets:Bank`` and others: whatever imported payments use.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Iterable, Mapping, Sequence

from beancount.core import convert, data
from beancount.core.amount import Amount
from beancount.parser import parser, printer

from ledger.errors import InvalidInput
from ledger.money import CURRENCY, to_decimal

RECEIVABLE = "Assets:Receivable:Members"
CONTRIBUTIONS = "Income:Contributions"
ASSESSMENT_TAG = "assessment"
_ACCOUNT_CODE = re.compile(rf"^{RECEIVABLE}:.*-(\d{{3}})$")


def member_account(code: str, name: str) -> str:
    """``Assets:Receivable:Members:Porvoo-638``: readable in Fava, keyed on the code."""
    component = re.sub(r"[^\w]+", "-", name, flags=re.UNICODE).strip("-_")
    component = component[:1].upper() + component[1:]
    return f"{RECEIVABLE}:{component}-{code}"


def code_of_account(account: str) -> str | None:
    """The municipality code of a member receivable account, or None for any other account."""
    match = _ACCOUNT_CODE.match(account)
    return match.group(1) if match else None


def source_meta(source: str, seq: int) -> data.Meta:
    """Meta that orders entries of one date in the order they were posted (by ``seq``)."""
    return {"filename": source, "lineno": seq}


def open_entry(date: dt.date, account: str, meta: data.Meta) -> data.Open:
    return data.Open(meta, date, account, [CURRENCY], None)


def assessment(
    date: dt.date,
    changes: Mapping[str, int],
    names: Mapping[str, str],
    narration: str,
    meta: data.Meta,
) -> data.Transaction | None:
    """One balanced transaction moving each member's assessed share by ``changes[code]`` cents.

    The net change (non-zero only when the allocated total changed) is balanced against
    ``Income:Contributions``. Returns None when no share changed: there is nothing to post.
    """
    moved = {code: cents for code, cents in sorted(changes.items()) if cents}
    if not moved:
        return None
    postings = [
        data.Posting(member_account(code, names[code]), Amount(to_decimal(cents), CURRENCY), None, None, None, None)
        for code, cents in moved.items()
    ]
    net = sum(moved.values())
    if net:
        postings.append(data.Posting(CONTRIBUTIONS, Amount(to_decimal(-net), CURRENCY), None, None, None, None))
    return data.Transaction(meta, date, "*", None, narration, frozenset({ASSESSMENT_TAG}), frozenset(), postings)


def format_entry(entry: data.Directive) -> str:
    """The entry as beancount text, metadata included (without filename/lineno)."""
    return printer.format_entry(entry)


def parse_entries(text: str, source: str, first_seq: int = 0) -> list[data.Directive]:
    """Parse stored entry text; give each parsed entry our own ordering meta."""
    entries, errors, _ = parser.parse_string(text)
    if errors:
        raise InvalidInput("stored ledger text does not parse", details=[printer.format_error(e).strip() for e in errors])
    return [entry._replace(meta={**entry.meta, **source_meta(source, first_seq)}) for entry in entries]


def assessed_by_city(entries: Iterable[data.Directive]) -> dict[str, int]:
    """Sum of assessment postings per municipality code, in cents: each city's current share."""
    totals: dict[str, int] = {}
    for entry in entries:
        add_assessed(totals, entry)
    return totals


def add_assessed(totals: dict[str, int], entry: data.Directive) -> None:
    """Fold one entry into ``totals`` (the incremental form of :func:`assessed_by_city`)."""
    if not isinstance(entry, data.Transaction) or ASSESSMENT_TAG not in (entry.tags or ()):
        return
    for posting in entry.postings:
        code = code_of_account(posting.account)
        if code is not None and posting.units.currency == CURRENCY:
            totals[code] = totals.get(code, 0) + int(posting.units.number * 100)


def check_balanced(entries: Sequence[data.Directive]) -> list[str]:
    """Errors for any transaction whose postings do not sum to zero exactly, per currency."""
    problems = []
    for entry in entries:
        if isinstance(entry, data.Transaction):
            sums: dict[str, Decimal] = {}
            for posting in entry.postings:
                if posting.units is None or not isinstance(posting.units.number, Decimal):
                    problems.append(f"{entry.date} {entry.narration!r}: a posting has no amount")
                    break
                weight = convert.get_weight(posting)
                sums[weight.currency] = sums.get(weight.currency, Decimal(0)) + weight.number
            unbalanced = {c: s for c, s in sums.items() if s != 0}
            if unbalanced:
                problems.append(f"{entry.date} {entry.narration!r} does not balance: {unbalanced}")
    return problems

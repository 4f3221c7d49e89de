"""Reading what people type: ``CODE=VALUE`` pairs, joining-fee tiers, hours, years, percentages,
whole numbers, dates and texts.

Every rule of what a typed value may be lives here (amounts in :mod:`ledger.money`): digits are
ASCII digits only (never another script's, never superscripts, never ``1_000`` or ``1e5``), every
number has its range, every text is free of control characters and within its length. The portal's
forms and command line options call these functions, so one text is refused with one message
wherever it is typed.

One parser for every interface: the command line gives pairs as repeated options
(``--percent 638=75``), the web pages as lines of a text field (``638=75``, or ``638: 75``,
blank lines and ``# comments`` skipped). Both turn them into :class:`Item` values, so the same
text is accepted or refused, with the same message, wherever it is typed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import NamedTuple, TypeVar

from ledger import municipalities as M
from ledger.errors import InvalidInput, Phrase, Word
from ledger.money import parse_amount, shown

K = TypeVar("K")
V = TypeVar("V")
OPEN_ENDED = ("after", "later", "*")  # how the last, open-ended joining-fee tier is written
# The largest whole number an id or a count may be: PostgreSQL's ``integer`` (SQLite's is wider),
# so a number typed anywhere is refused here rather than by the database.
MAX_INT = 2**31 - 1
PERCENT_DECIMALS = 6  # a millionth of a percent: finer than a cent of any budget the portal takes
_DECIMAL = re.compile(r"(?P<sign>[-+]?)(?P<whole>[0-9]+)(?:[.,](?P<frac>[0-9]+))?")  # ASCII digits only
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")       # Unicode's control characters (category Cc)
_LINE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # the same, less tab and line ends
_SURROGATE = re.compile(r"[\ud800-\udfff]")         # what invalid UTF-8 becomes (surrogateescape)


class Item(NamedTuple):
    """One typed pair and where it was typed, for the message if it is refused."""

    field: str      # "--percent", "percentages"
    where: str      # "--percent", "percentages, line 2"
    text: str       # "638=75"


def option_items(option: str, values: Iterable[str]) -> list[Item]:
    """Repeated command-line options, each one pair."""
    return [Item(option, option, value) for value in values]


def line_items(field: str, text: str | None) -> list[Item]:
    """The lines of a text field, each one pair; blank lines and ``#`` comments are skipped."""
    items = []
    for number, raw in enumerate((text or "").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if line:
            items.append(Item(field, f"{field}, line {number}", line))
    return items


def split_pair(item: Item, shape: str, example: str) -> tuple[str, str]:
    """``"638=75"`` or ``"638: 75"`` as ``("638", "75")``; anything else is refused."""
    sep = "=" if "=" in item.text else ":" if ":" in item.text else None
    left, right = item.text.split(sep, 1) if sep else ("", "")
    if not left.strip() or not right.strip():
        raise InvalidInput("%(where)s: %(text)s is not CODE=VALUE; write it as %(shape)s, e.g. %(example)s", where=item.where,
                           text=repr(item.text.strip()), shape=shape, example=example)
    return left.strip(), right.strip()


def pairs(items: Iterable[Item], *, shape: str, example: str, key: Callable[[str], K],
          value: Callable[[K, str], V]) -> dict[K, V]:
    """Pairs as a mapping; a malformed pair or a key given twice is refused, naming it."""
    out: dict[K, V] = {}
    for item in items:
        left, right = split_pair(item, shape, example)
        k = key(left)
        if k in out:
            raise InvalidInput("%(field)s: %(left)s is given twice", field=item.field, left=left)
        out[k] = value(k, right)
    return out


def city(text: str) -> str:
    """A municipality code that exists, normalised (``"97"`` is ``"097"``)."""
    return M.lookup(text).code


def year(text: str | int) -> int:
    """A four-digit year in ASCII digits (``2025``); superscripts and other digits are refused."""
    raw = str(text).strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) == 4):
        raise InvalidInput("%(text)s is not a year (write it like 2025)", text=shown(text))
    return int(raw)


def number(text: str | int, what: str, *, minimum: int = 0, maximum: int = MAX_INT) -> int:
    """A whole number in ASCII digits, from ``minimum`` to ``maximum`` (an id, a count of days, a port)."""
    raw = str(text).strip()
    if not (raw.isascii() and raw.isdigit()):
        raise InvalidInput("%(what)s %(text)s is not a whole number (write digits only, like 12)", what=what, text=shown(text))
    if len(raw.lstrip("0")) > len(str(maximum)) or not minimum <= int(raw) <= maximum:  # no int() of a thousand digits
        raise InvalidInput("%(what)s must be from %(minimum)s to %(maximum)s (got %(text)s)", what=what, minimum=minimum,
                           maximum=maximum, text=shown(text))
    return int(raw)


def percent(text: str, what: str = Word("the percentage")) -> str:
    """``"33,5 %"`` as ``"33.5"``: from 0 to 100, at most six decimals, left as text so the rule reads it
    exactly (never as a float)."""
    raw = str(text).strip().removesuffix("%").strip()
    found = _DECIMAL.fullmatch(raw) if len(raw) <= 100 else None
    if found is None or found["sign"]:
        raise InvalidInput("%(what)s %(text)s is not a number (write it like 40 or 33.5)", what=what, text=shown(text))
    whole, frac = found["whole"].lstrip("0") or "0", found["frac"]
    if len(frac or "") > PERCENT_DECIMALS:
        raise InvalidInput("%(what)s %(text)s has more than %(decimals)s decimals", what=what, text=shown(text),
                           decimals=PERCENT_DECIMALS)
    if len(whole) > 3 or Decimal(f"{whole}.{frac or 0}") > 100:
        raise InvalidInput("%(what)s must be between 0 and 100 (got %(text)s)", what=what, text=shown(text))
    return whole + (f".{frac}" if frac is not None else "")


def amount_of(what: str) -> Callable[[str, str], int]:
    """A value parser for amounts per city: ``the cap of 638``."""
    return lambda code, text: parse_amount(text, what=Phrase("%(what)s of %(code)s", what=what, code=code))


def percentages(items: Iterable[Item]) -> dict[str, str]:
    return pairs(items, shape="CODE=PERCENT", example="638=75", key=city,
                 value=lambda code, text: percent(text, Phrase("the percentage of %(code)s", code=code)))


def amounts(items: Iterable[Item], what: str) -> dict[str, int]:
    """Caps or floors: ``what`` is ``"the cap"`` or ``"the floor"``."""
    return pairs(items, shape="CODE=AMOUNT", example="638=40000.00", key=city, value=amount_of(what))


def budget_years(items: Iterable[Item]) -> dict[int, int]:
    return pairs(items, shape="YEAR=AMOUNT", example="2025=80000.00", key=year,
                 value=lambda _, text: parse_amount(text, what=Word("the budget")))


def tiers(items: Iterable[Item]) -> list[tuple[dt.date | None, int]]:
    """Joining-fee tiers: ``2010-10-31=1.00`` (last joining date, price per resident), ``after=6.00``."""
    result: list[tuple[dt.date | None, int]] = []
    for item in items:
        until_text, price = split_pair(item, "DATE=AMOUNT", "2010-10-31=1.00 or after=6.00")
        until = None if until_text.lower() in OPEN_ENDED else date(until_text, Phrase("%(where)s: %(text)r", where=item.where, text=until_text),
                                                                   open_ended=True)
        result.append((until, parse_amount(price, what=Phrase("the price per resident in %(where)s", where=item.where))))
    if not result:
        raise InvalidInput("give at least one tier")
    return result


def date(text: str, what: str = Word("the date"), *, open_ended: bool = False) -> dt.date:
    """An ISO date in ASCII digits, ``2026-12-01`` (nothing else ISO 8601 allows: no week dates, no ``20261201``).

    ``open_ended``: the text may also have been “after” (a joining-fee tier's), and the refusal says so."""
    raw = str(text).strip()
    try:
        if not _DATE.fullmatch(raw):
            raise ValueError(raw)
        return dt.date.fromisoformat(raw)
    except ValueError:
        if open_ended:
            raise InvalidInput("%(what)s is not a date (YYYY-MM-DD) or “after”", what=what) from None
        raise InvalidInput("%(what)s is not a date (YYYY-MM-DD)", what=what) from None


def hours(value: object, what: str = Word("the hours")) -> Decimal:
    """Hours of one row of work: above 0 and at most 24, at most two decimals."""
    if isinstance(value, Decimal) and value.is_finite():
        value = format(value, "f")
    raw = str(value).strip()
    found = _DECIMAL.fullmatch(raw) if len(raw) <= 100 else None
    if found is None or isinstance(value, (bool, float)):
        raise InvalidInput("%(what)s %(text)s is not a number of hours", what=what, text=shown(value))
    result = Decimal(raw.replace(",", "."))
    if result <= 0 or result > 24 or len(found["frac"] or "") > 2:
        raise InvalidInput("%(what)s must be above 0 and at most 24 hours, with at most two decimals (got %(text)s)",
                           what=what, text=shown(value)[1:-1])
    return result


def text(value: str, what: str, *, max_length: int, multiline: bool = False) -> str:
    """``value`` as it is, if it is text a person may type: at most ``max_length`` characters, no
    control characters (NUL included; tabs and line ends only where ``multiline``), and no lone
    surrogates, which is what bytes that are not UTF-8 become in a command line argument.
    """
    raw = str(value)
    if len(raw) > max_length:
        raise InvalidInput("%(what)s is longer than %(max_length)s characters (%(given)s given)", what=what,
                           max_length=max_length, given=len(raw))
    if found := _SURROGATE.search(raw):
        raise InvalidInput("%(what)s is not valid text: character %(at)s is not UTF-8 (save or type it as UTF-8)",
                           what=what, at=found.start() + 1)
    if found := (_LINE_CONTROL if multiline else _CONTROL).search(raw):
        raise InvalidInput("%(what)s holds a control character (%(char)s) at character %(at)s; remove it", what=what,
                           char=repr(found[0]), at=found.start() + 1)
    return raw

"""Reading what people type: ``CODE=VALUE`` pairs, joining-fee tiers, hours, years, percentages.

One parser for every interface: the command line gives pairs as repeated options
(``--percent 638=75``), the web pages as lines of a text field (``638=75``, or ``638: 75``,
blank lines and ``# comments`` skipped). Both turn them into :class:`Item` values, so the same
text is accepted or refused, with the same message, wherever it is typed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import NamedTuple, TypeVar

from ledger import municipalities as M
from ledger.errors import InvalidInput
from ledger.money import parse_amount

K = TypeVar("K")
V = TypeVar("V")
OPEN_ENDED = ("after", "later", "*")  # how the last, open-ended joining-fee tier is written


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
        raise InvalidInput(f"{item.where}: {item.text.strip()!r} is not CODE=VALUE; write it as {shape}, e.g. {example}")
    return left.strip(), right.strip()


def pairs(items: Iterable[Item], *, shape: str, example: str, key: Callable[[str], K],
          value: Callable[[K, str], V]) -> dict[K, V]:
    """Pairs as a mapping; a malformed pair or a key given twice is refused, naming it."""
    out: dict[K, V] = {}
    for item in items:
        left, right = split_pair(item, shape, example)
        k = key(left)
        if k in out:
            raise InvalidInput(f"{item.field}: {left} is given twice")
        out[k] = value(k, right)
    return out


def city(text: str) -> str:
    """A municipality code that exists, normalised (``"97"`` is ``"097"``)."""
    return M.lookup(text).code


def year(text: str) -> int:
    """A four-digit year."""
    raw = str(text).strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) == 4):
        raise InvalidInput(f"{text!r} is not a year (write it like 2025)")
    return int(raw)


def percent(text: str) -> str:
    """``"33,5 %"`` as ``"33.5"``: left as text, so the rule reads it exactly (never as a float)."""
    return text.rstrip("%").strip().replace(",", ".")


def amount_of(what: str) -> Callable[[str, str], int]:
    """A value parser for amounts per city: ``the cap of 638``."""
    return lambda code, text: parse_amount(text, what=f"{what} of {code}")


def percentages(items: Iterable[Item]) -> dict[str, str]:
    return pairs(items, shape="CODE=PERCENT", example="638=75", key=city, value=lambda _, text: percent(text))


def amounts(items: Iterable[Item], what: str) -> dict[str, int]:
    """Caps or floors: ``what`` is ``"the cap"`` or ``"the floor"``."""
    return pairs(items, shape="CODE=AMOUNT", example="638=40000.00", key=city, value=amount_of(what))


def budget_years(items: Iterable[Item]) -> dict[int, int]:
    return pairs(items, shape="YEAR=AMOUNT", example="2025=80000.00", key=year,
                 value=lambda _, text: parse_amount(text, what="the budget"))


def tiers(items: Iterable[Item]) -> list[tuple[dt.date | None, int]]:
    """Joining-fee tiers: ``2010-10-31=1.00`` (last joining date, price per resident), ``after=6.00``."""
    result: list[tuple[dt.date | None, int]] = []
    for item in items:
        until_text, price = split_pair(item, "DATE=AMOUNT", "2010-10-31=1.00 or after=6.00")
        until = None if until_text.lower() in OPEN_ENDED else date(until_text, f"{item.where}: {until_text!r}",
                                                                   hint=" or “after”")
        result.append((until, parse_amount(price, what=f"the price per resident in {item.where}")))
    if not result:
        raise InvalidInput("give at least one tier")
    return result


def date(text: str, what: str = "the date", *, hint: str = "") -> dt.date:
    """An ISO date, ``2026-12-01``."""
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise InvalidInput(f"{what} is not a date (YYYY-MM-DD){hint}") from None


def hours(value: object, what: str = "the hours") -> Decimal:
    """Hours of one row of work: above 0 and at most 24, at most two decimals."""
    try:
        result = Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(f"{what} {value!r} is not a number of hours") from None
    if not result.is_finite() or result <= 0 or result > 24 or result != result.quantize(Decimal("0.01")):
        raise InvalidInput(f"{what} must be above 0 and at most 24 hours, with at most two decimals (got {value})")
    return result

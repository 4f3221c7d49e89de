"""Rows of inputs and pasted text, combined into the pairs ``ledger.parse`` reads.

A rule's percentages, caps and floors, and the joining fee's tiers, may be typed as rows of a
table (a city and a value; a last joining date and a price), pasted as ``CODE=VALUE`` lines, or
both. Each filled row becomes one ``CODE=VALUE`` line (an :class:`ledger.parse.Item` that names
its row), so one parser reads both and its messages stay the same; the two sides are parsed
apart and then merged, so a city given in both with the same value is taken once and a city
given with two different values is refused, naming both, rather than one silently winning.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from flask_babel import gettext as _
from wtforms import FieldList

from ledger import parse
from ledger.errors import InvalidInput
from ledger.money import fmt

V = TypeVar("V")
MAX_VALUE = 40
FORBIDDEN = ("=", "#", ":")  # a row's value is one value: it must not start another pair or a comment


def _clean(value: Any, where: str) -> str:
    """A row's text as one line of plain text, without the separators of the text form."""
    raw = parse.text(str(value or ""), where, max_length=MAX_VALUE).strip()
    if any(mark in raw for mark in FORBIDDEN):
        raise InvalidInput("%(where)s: %(value)r is not one value", where=where, value=raw)
    return raw


def city_items(field: str, rows: FieldList) -> list[parse.Item]:
    """The filled rows as ``CODE=VALUE`` items; a row without a value is skipped (the rows offered
    for every member start empty), a value without a city is refused."""
    items = []
    for number, entry in enumerate(rows.entries, 1):
        where = _("%(field)s, row %(number)s", field=field, number=number)
        code, value = _clean(entry.form.city.data, where), _clean(entry.form.value.data, where)
        if value and not code:
            raise InvalidInput("%(where)s: choose the city of %(value)s", where=where, value=value)
        if value:
            items.append(parse.Item(field, where, f"{code}={value}"))
    return items


def tier_items(rows: FieldList) -> list[parse.Item]:
    """The filled tier rows as ``DATE=PRICE`` items; an empty last date is the open-ended tier (``after``)."""
    items = []
    for number, entry in enumerate(rows.entries, 1):
        where = _("%(field)s, row %(number)s", field="tiers", number=number)
        until, price = _clean(entry.form.until.data, where), _clean(entry.form.price.data, where)
        if until and not price:
            raise InvalidInput("%(where)s: give the price per resident until %(until)s", where=where, until=until)
        if price:
            items.append(parse.Item("tiers", where, f"{until or 'after'}={price}"))
    return items


def merged(field: str, rows: Mapping[str, V], pasted: Mapping[str, V], show: Callable[[V], str] = str) -> dict[str, V]:
    """The rows' pairs and the pasted ones together; one city with two different values is refused."""
    for code in rows.keys() & pasted.keys():
        if rows[code] != pasted[code]:
            raise InvalidInput("%(field)s: %(code)s is %(rows)s in the rows but %(text)s in the text; give it once",
                               field=field, code=code, rows=show(rows[code]), text=show(pasted[code]))
    return {**pasted, **rows}


def percentages(rows: FieldList, pasted: str | None) -> dict[str, str]:
    return merged("percentages", parse.percentages(city_items("percentages", rows)),
                  parse.percentages(parse.line_items("percentages", pasted)))


def amounts(field: str, what: str, rows: FieldList, pasted: str | None) -> dict[str, int]:
    """Caps (``what`` = ``"the cap"``) or floors, from rows and text."""
    return merged(field, parse.amounts(city_items(field, rows), what),
                  parse.amounts(parse.line_items(field, pasted), what), fmt)


def tiers(rows: FieldList, pasted: str | None) -> list[tuple[dt.date | None, int]]:
    """The rows' tiers, then the pasted ones; a last date in both with two prices is refused."""
    row_items, text_items = tier_items(rows), parse.line_items("tiers", pasted)
    if not row_items and not text_items:
        raise InvalidInput("give at least one tier")
    from_rows = parse.tiers(row_items) if row_items else []
    from_text = parse.tiers(text_items) if text_items else []
    prices = dict(from_rows)
    for until, cents in from_text:
        if until in prices and prices[until] != cents:
            raise InvalidInput("tiers: %(until)s is %(rows)s in the rows but %(text)s in the text; give it once",
                               until=until or "after", rows=fmt(prices[until]), text=fmt(cents))
    return from_rows + [(until, cents) for until, cents in from_text if until not in prices]


def city_defaults(values: Mapping[str, Any], codes: Iterable[str] = (), show: Callable[[Any], str] = str,
                  blank: int = 3) -> list[dict[str, str]]:
    """Rows for the form to start with: one per code of ``codes`` (every member, say) and of
    ``values``, filled from ``values``, then ``blank`` empty rows to add to."""
    order = list(dict.fromkeys([*codes, *sorted(values)]))
    return [{"city": c, "value": show(values[c]) if c in values else ""} for c in order] + [{}] * blank


def tier_defaults(tiers_in_force: Iterable[tuple[dt.date | None, int]], blank: int = 2) -> list[dict[str, str]]:
    return [{"until": until.isoformat() if until else "", "price": fmt(cents)} for until, cents in tiers_in_force] + [{}] * blank

"""Numbers, amounts and dates in the page's language, with Babel; and CSV that a spreadsheet opens.

Every language writes numbers as they are written in Finland (Babel's ``fi_FI``, ``sv_FI`` and
``en_FI``): ``30 588,24 €`` and ``1.12.2026`` in Finnish, Swedish and English alike. The users are
Finnish officials whose books, decisions and spreadsheets use those conventions whatever language
they read the page in, and ``1 Dec 2026`` beside ``1.12.2026`` in a council decision would be two
ways of writing one thing. Times are Helsinki's.

A CSV download for Finnish or Swedish is what Excel in those locales reads without an import
wizard: UTF-8 with a byte-order mark (else Excel guesses a legacy code page and breaks ``ä``),
semicolons (the comma is the decimal separator there), decimal commas and amounts as bare numbers
(the currency in its own column), so a column of amounts sums. English gets commas and points.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import has_request_context

from portal.clock import HELSINKI
from portal.i18n import current_language

BOM = "\ufeff"
AMOUNT_PATTERN = "#,##0.00"


def locale_name() -> str:
    """``fi_FI``, ``sv_FI`` or ``en_FI``: the page's language with Finland's conventions."""
    language = "fi"
    if has_request_context():
        language = current_language()
    return f"{language}_FI"


def amount(cents: int) -> str:
    """``30 588,24``: an amount in cents, grouped by no-break spaces, two decimals."""
    return str(format_decimal(Decimal(cents) / 100, format=AMOUNT_PATTERN, locale=locale_name()))


def eur(cents: int) -> str:
    """``30 588,24 €``."""
    return amount(cents) + "\u00a0€"


def date(day: dt.date | dt.datetime) -> str:
    """``1.12.2026``."""
    return str(format_date(day, "d.M.yyyy", locale=locale_name()))


def datetime(at: dt.datetime | None) -> str:
    """``1.12.2026 20.55``: a stored (naive UTC) time in Helsinki time."""
    if at is None:
        return ""
    local = (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(HELSINKI)
    return f"{date(local)} {local:%H.%M}"


# -- CSV for spreadsheets --------------------------------------------------------------------------
def spreadsheet_csv(header: Sequence[str], rows: Iterable[Sequence[Any]], language: str) -> bytes:
    """``rows`` as CSV bytes for a spreadsheet in ``language`` (fi/sv: ``;``, decimal comma, BOM)."""
    english = language == "en"
    out = io.StringIO()
    writer = csv.writer(out, delimiter="," if english else ";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(value, english) for value in row])
    return (BOM + out.getvalue()).encode("utf-8")


def with_bom(body: str | bytes) -> bytes:
    """A CSV text already in its locale's conventions, as UTF-8 with the byte-order mark Excel needs."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    return (text if text.startswith(BOM) else BOM + text).encode("utf-8")


def cell(value: Any, english: bool) -> str:
    """One value as a spreadsheet reads it: numbers bare (decimal comma unless English), dates by locale."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, Decimal | int):
        text = format(value, "f")
        return text if english else text.replace(".", ",")
    if isinstance(value, dt.date):
        return value.isoformat() if english else f"{value.day}.{value.month}.{value.year}"
    number = _number_of(value)
    if number is not None:
        return cell(number, english)
    return str(value)


def _number_of(value: Any) -> Decimal | None:
    """The number of a beancount amount, position or single-currency inventory; else ``None``."""
    units = getattr(value, "units", None)  # a Position
    if units is not None:
        value = units
    number = getattr(value, "number", None)  # an Amount
    if isinstance(number, Decimal):
        return number
    positions = getattr(value, "get_positions", None)  # an Inventory
    if callable(positions):
        held = list(positions())
        if len(held) == 1 and held[0].cost is None:
            return _number_of(held[0])
        if not held:
            return Decimal(0)
    return None

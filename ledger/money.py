"""Money as integer cents at rest and in computation, ``Decimal`` at the edges (input, display).

Floats never touch an amount: parsing goes from text straight to integer cents (:func:`parse_amount`).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction

from ledger.errors import InvalidInput, Word

CURRENCY = "EUR"
_CENT = Decimal("0.01")
# Amounts typed by a person are below 10**12 cents (ten billion euros): above any city's whole
# yearly budget, so larger is a typing error; and a thousand such amounts still sum below 2**53,
# so a total stays exact even in a client that reads JSON numbers as doubles, or in a
# spreadsheet's 15 significant digits.
MAX_CENTS = 10**12
MAX_DIGITS = 10**27  # below this, ``Decimal(cents).scaleb(-2)`` is exact in the default context (28 digits)
THOUSANDS = " \u00a0\u202f"  # space, no-break space, narrow no-break space: 530 000,00
# ASCII digits only ([0-9], never \d, which also matches Arabic-Indic and other digits); the
# thousands groups are of three; a decimal comma or point with one or two decimals.
_AMOUNT = re.compile(r"(?P<sign>[-+]?)(?P<whole>[0-9]{1,3}(?:[" + THOUSANDS + r"][0-9]{3})+|[0-9]+)(?:[.,](?P<frac>[0-9]+))?")
_SUFFIX = re.compile(r"\s*(?:€|EUR)$", re.IGNORECASE)
_FMT = re.compile(r"(-?)([0-9]+)\.([0-9]{2})")


def shown(text: object, limit: int = 40) -> str:
    """A typed value quoted for a message: control characters escaped, a long one cut short."""
    raw = str(text)
    return repr(raw if len(raw) <= limit else raw[:limit] + "…")


def parse_amount(text: str | Decimal | int, *, allow_negative: bool = False, what: str = Word("amount")) -> int:
    """An amount typed by a person (``"520000.00"``, ``"520 000,00"``, ``"12 €"``) in cents; never a float.

    The one rule for amounts, on the web and the command line alike: ASCII digits, thousands
    separated by spaces in groups of three, a decimal comma or point with at most two decimals,
    a sign only where ``allow_negative``, below :data:`MAX_CENTS`. Exponents (``1e6``), ``NaN``,
    ``Infinity``, ``1_000``, other scripts' digits and anything else are refused with one message.
    """
    if isinstance(text, float):  # pragma: no cover - a programming error, not user input
        raise TypeError("amounts are never floats")
    if isinstance(text, Decimal):
        text = format(text, "f") if text.is_finite() else str(text)
    raw = _SUFFIX.sub("", str(text).strip())
    found = _AMOUNT.fullmatch(raw) if len(raw) <= 1000 else None
    if found is None:
        raise InvalidInput("%(what)s %(text)s is not a number (write it like 520000.00 or 520 000,00)", what=what, text=shown(text))
    sign, frac = found["sign"], found["frac"] or ""
    if sign and not allow_negative:
        if sign == "-":
            raise InvalidInput("%(what)s must not be negative (got %(text)s)", what=what, text=shown(text))
        raise InvalidInput("%(what)s %(text)s is not a number (write it like 520000.00 or 520 000,00, without a sign)",
                           what=what, text=shown(text))
    if len(frac) > 2:
        raise InvalidInput("%(what)s %(text)s has more than two decimals", what=what, text=shown(text))
    whole = re.sub(f"[{THOUSANDS}]", "", found["whole"])
    if len(whole.lstrip("0")) > len(str(MAX_CENTS)) - 2:  # no int() of a thousand digits
        raise InvalidInput("%(what)s %(text)s is too large (at most %(most)s EUR)", what=what, text=shown(text),
                           most=fmt_human(MAX_CENTS - 1))
    cents = int(whole) * 100 + int(frac.ljust(2, "0"))
    if cents >= MAX_CENTS:
        raise InvalidInput("%(what)s %(text)s is too large (at most %(most)s EUR)", what=what, text=shown(text),
                           most=fmt_human(MAX_CENTS - 1))
    return -cents if sign == "-" else cents


def from_fmt(text: str) -> int:
    """The cents of an amount the portal wrote itself with :func:`fmt` (``"-1799.31"``), of any size.

    For stored values (an audit record's amounts), never for what a person typed.
    """
    found = _FMT.fullmatch(str(text).strip())
    if found is None:
        raise InvalidInput("%(text)s is not an amount written by the portal", text=shown(text))
    cents = int(found[2]) * 100 + int(found[3])
    return -cents if found[1] else cents


def whole_cents(value: object, what: str, *, positive: bool = False) -> int:
    """``value`` as a validated amount in cents: an ``int`` (never a bool or a float), not below zero.

    The one check of "whole cents, not below zero" for amounts that arrive already parsed, such
    as an op's stored parameters; text goes through :func:`parse_amount` first.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or (positive and value == 0):
        if positive:
            raise InvalidInput("%(what)s must be whole cents above zero (got %(value)s)", what=what, value=repr(value))
        raise InvalidInput("%(what)s must be whole cents not below zero (got %(value)s)", what=what, value=repr(value))
    return value


def half_up(exact: Fraction | int) -> int:
    """An exact amount of cents rounded to a whole cent, half away from zero (a charge rounded on its own)."""
    value = Fraction(exact)
    rounded = math.floor(abs(value) + Fraction(1, 2))
    return rounded if value >= 0 else -rounded


def to_decimal(cents: int) -> Decimal:
    """Cents as a two-decimal ``Decimal``."""
    if type(cents) is int and abs(cents) < MAX_DIGITS:  # exact: the same digits, the exponent -2 (a change makes thousands)
        return Decimal(cents).scaleb(-2)
    return (Decimal(cents) / 100).quantize(_CENT)


def fmt(cents: int) -> str:
    """``"30588.24"``: the plain decimal string used in CSV, JSON and the ledger."""
    return str(to_decimal(cents))


def fmt_human(cents: int) -> str:
    """``"30 588,24"``: the Finnish way of writing an amount, for pages."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole:,}".replace(",", "\u00a0") + f",{frac:02d}"

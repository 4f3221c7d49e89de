"""Money as integer cents at rest and in computation, ``Decimal`` at the edges (input, display).

Floats never touch an amount: parsing goes from text straight to ``Decimal``.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from ledger.errors import InvalidInput

CURRENCY = "EUR"
_CENT = Decimal("0.01")
MAX_AMOUNT = Decimal(10) ** 12  # a trillion euros: anything larger is a typing error


def parse_amount(text: str | Decimal | int, *, allow_negative: bool = False, what: str = "amount") -> int:
    """Parse ``"520000.00"`` / ``"520 000,00"`` into cents; at most two decimals, no float."""
    if isinstance(text, float):  # pragma: no cover - a programming error, not user input
        raise TypeError("amounts are never floats")
    raw = str(text).strip().replace("\u00a0", "").replace(" ", "")
    if raw.count(",") == 1 and "." not in raw:
        raw = raw.replace(",", ".")
    if raw.upper().endswith(CURRENCY):
        raw = raw[: -len(CURRENCY)]
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput(f"{what} {str(text)!r} is not a number (write it like 520000.00)") from None
    if not value.is_finite():
        raise InvalidInput(f"{what} {str(text)!r} is not a number")
    if abs(value) >= MAX_AMOUNT:
        raise InvalidInput(f"{what} {str(text)!r} is too large")
    if value != value.quantize(_CENT):
        raise InvalidInput(f"{what} {str(text)!r} has more than two decimals")
    if value < 0 and not allow_negative:
        raise InvalidInput(f"{what} must not be negative (got {text})")
    return int(value.quantize(_CENT) * 100)


def whole_cents(value: object, what: str, *, positive: bool = False) -> int:
    """``value`` as a validated amount in cents: an ``int`` (never a bool or a float), not below zero.

    The one check of "whole cents, not below zero" for amounts that arrive already parsed, such
    as an op's stored parameters; text goes through :func:`parse_amount` first.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or (positive and value == 0):
        raise InvalidInput(f"{what} must be whole cents {'above' if positive else 'not below'} zero (got {value!r})")
    return value


def half_up(exact: Fraction | int) -> int:
    """An exact amount of cents rounded to a whole cent, half away from zero (a charge rounded on its own)."""
    value = Fraction(exact)
    rounded = math.floor(abs(value) + Fraction(1, 2))
    return rounded if value >= 0 else -rounded


def to_decimal(cents: int) -> Decimal:
    """Cents as a two-decimal ``Decimal``."""
    return (Decimal(cents) / 100).quantize(_CENT)


def fmt(cents: int) -> str:
    """``"30588.24"``: the plain decimal string used in CSV, JSON and the ledger."""
    return str(to_decimal(cents))


def fmt_human(cents: int) -> str:
    """``"30 588,24"``: the Finnish way of writing an amount, for pages."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole:,}".replace(",", "\u00a0") + f",{frac:02d}"

"""Invoice references: the Finnish national reference and the RF creditor reference.

A bank payment is matched to its invoice by the reference the payer copies from
the invoice, so a reference must be checked the moment it is typed or read.

- The national reference (viitenumero) is 4 to 20 digits: a base of 3 to 19
  digits and a check digit.  The base's digits are weighted 7, 3, 1, 7, 3, 1, …
  from the right; the check digit is (10 - sum mod 10) mod 10.  Leading zeros
  carry no meaning (the bank barcode pads references with zeros), so they are
  dropped when normalising.  Finnish invoices print it in groups of five from
  the right: ``69 87567 20834 35364``.
- The RF creditor reference (ISO 11649) is ``RF``, two check digits (ISO 7064
  mod 97-10) and up to 21 characters.  Finnish banks form it around the national
  reference, so RF85 12345672 carries the national reference 12345672.  It is
  printed in groups of four: ``RF85 1234 5672``.

python-stdnum 2.2 has no module for the Finnish national reference (``stdnum.fi``
offers alv, associationid, hetu, veronumero and ytunnus), so its check digit is
computed here; the RF reference is left to ``stdnum.iso11649``.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from stdnum import iso11649
from stdnum.exceptions import ValidationError
from stdnum.iso7064 import mod_97_10

from ledger.errors import InvalidInput

ReferenceKind = Literal["national", "rf"]

MIN_BASE_DIGITS = 3
MAX_BASE_DIGITS = 19
#: Digits kept for the invoice number in :func:`reference_for`; a fixed width
#: keeps the prefix recoverable, so two prefixes can never give the same base.
NUMBER_DIGITS = 8

_WEIGHTS = (7, 3, 1)
_RF_SHAPE = re.compile(r"RF[0-9]{2}[0-9A-Z]{1,21}")


class ParsedReference(NamedTuple):
    """A reference as a payment carries it: its kind and its compact form.

    ``digits`` is the machine form: ``12345672`` for a national reference,
    ``RF8512345672`` for an RF reference.
    """

    kind: ReferenceKind
    digits: str


def _compact(text: str) -> str:
    """Drop the spaces people type and print (any Unicode whitespace)."""
    return "".join(text.split())


def national_check_digit(base: str) -> int:
    """The 7-3-1 check digit of a base of digits (weights from the rightmost digit)."""
    total = sum(int(digit) * _WEIGHTS[i % 3] for i, digit in enumerate(reversed(base)))
    return (10 - total % 10) % 10


def _base_digits(base: int | str) -> str:
    if isinstance(base, bool) or not isinstance(base, (int, str)):
        raise InvalidInput("reference base %(base)s must be a whole number", base=repr(base))
    text = str(base) if isinstance(base, int) else _compact(base)
    if not text.isdigit() or not text.isascii():
        raise InvalidInput("reference base %(base)s may contain only digits", base=repr(base))
    digits = text.lstrip("0")
    if not MIN_BASE_DIGITS <= len(digits) <= MAX_BASE_DIGITS:
        raise InvalidInput(
            "reference base %(base)s has %(n)s significant digits; a Finnish reference base has %(low)s to %(high)s",
            base=repr(base), n=len(digits), low=MIN_BASE_DIGITS, high=MAX_BASE_DIGITS,
        )
    return digits


def make_national_reference(base: int | str) -> str:
    """The national reference for a base: the base followed by its check digit.

    >>> make_national_reference(1234567)
    '12345672'
    """
    digits = _base_digits(base)
    return digits + str(national_check_digit(digits))


def normalize_national_reference(text: str) -> str:
    """Check a national reference as typed (spaces allowed) and return its digits."""
    compact = _compact(text)
    if not compact or not compact.isdigit() or not compact.isascii():
        raise InvalidInput("reference '%(text)s' may contain only digits and spaces", text=text)
    digits = compact.lstrip("0")
    if not MIN_BASE_DIGITS + 1 <= len(digits) <= MAX_BASE_DIGITS + 1:
        raise InvalidInput(
            "reference '%(text)s' has %(n)s significant digits; a Finnish reference has %(low)s to %(high)s",
            text=text, n=len(digits), low=MIN_BASE_DIGITS + 1, high=MAX_BASE_DIGITS + 1,
        )
    expected = digits[:-1] + str(national_check_digit(digits[:-1]))
    if digits != expected:
        raise InvalidInput(
            "reference '%(text)s' has a wrong check digit (expected %(expected)s)",
            text=text, expected=format_national_reference(expected),
        )
    return digits


def format_national_reference(text: str) -> str:
    """Print a national reference in groups of five digits from the right."""
    digits = _compact(text).lstrip("0") or "0"
    head = len(digits) % 5
    groups = [digits[:head]] if head else []
    groups += [digits[i : i + 5] for i in range(head, len(digits), 5)]
    return " ".join(groups)


def _rf_check_digits(body: str) -> str:
    # ISO 11649: the check digits make "body + RF + check" congruent to 1 mod 97.
    return str(mod_97_10.calc_check_digits(body + "RF"))


def rf_from_national(national: str) -> str:
    """The RF creditor reference that wraps a national reference.

    >>> rf_from_national("1234 5672")
    'RF8512345672'
    """
    digits = normalize_national_reference(national)
    return f"RF{_rf_check_digits(digits)}{digits}"


def normalize_rf_reference(text: str) -> str:
    """Check an RF creditor reference as typed (spaces allowed) and return it compact."""
    compact = _compact(text).upper()
    if not _RF_SHAPE.fullmatch(compact):
        raise InvalidInput(
            "RF reference '%(text)s' must be RF, two check digits and 1 to 21 letters or digits", text=text
        )
    try:
        return str(iso11649.validate(compact))
    except ValidationError:
        expected = f"RF{_rf_check_digits(compact[4:])}{compact[4:]}"
        raise InvalidInput(
            "RF reference '%(text)s' has wrong check digits (expected %(expected)s)",
            text=text, expected=format_rf_reference(expected),
        ) from None


def format_rf_reference(text: str) -> str:
    """Print an RF reference in groups of four characters, as ISO 11649 recommends."""
    return str(iso11649.format(normalize_rf_reference(text)))


def rf_to_national(text: str) -> str | None:
    """The national reference inside an RF reference, if its body is one.

    A payment may arrive with either form of the same reference; matching both
    to one invoice needs the national form.
    """
    body = normalize_rf_reference(text)[4:]
    try:
        return normalize_national_reference(body)
    except InvalidInput:
        return None


def parse_reference(text: str) -> ParsedReference:
    """Recognise and normalise a reference of either kind, for matching payments."""
    compact = _compact(text).upper()
    if compact.startswith("RF"):
        return ParsedReference("rf", normalize_rf_reference(text))
    return ParsedReference("national", normalize_national_reference(text))


def format_reference(text: str) -> str:
    """Print a reference of either kind the way invoices print it."""
    kind, digits = parse_reference(text)
    return format_rf_reference(digits) if kind == "rf" else format_national_reference(digits)


def reference_for(prefix: int, number: int) -> str:
    """The national reference for invoice ``number`` of a series ``prefix``.

    The base is the prefix's digits followed by the number padded to
    ``NUMBER_DIGITS`` digits.  The fixed width makes the base (and so the
    reference) unique for every (prefix, number): the prefix is everything before
    the last eight digits.  The same invoice always gets the same reference.
    """
    if isinstance(prefix, bool) or not isinstance(prefix, int) or prefix < 1:
        raise InvalidInput("reference prefix %(prefix)s must be a whole number of at least 1", prefix=repr(prefix))
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise InvalidInput("invoice number %(number)s must be a whole number of at least 1", number=repr(number))
    if number >= 10**NUMBER_DIGITS:
        raise InvalidInput(
            "invoice number %(number)s has more than %(digits)s digits and cannot go into a reference",
            number=number, digits=NUMBER_DIGITS,
        )
    max_prefix_digits = MAX_BASE_DIGITS - NUMBER_DIGITS
    if len(str(prefix)) > max_prefix_digits:
        raise InvalidInput(
            "reference prefix %(prefix)s has more than %(digits)s digits and leaves no room for the invoice number",
            prefix=prefix, digits=max_prefix_digits,
        )
    return make_national_reference(f"{prefix}{number:0{NUMBER_DIGITS}d}")

"""The Finnish virtual bank barcode (pankkiviivakoodi) and its Code 128 picture.

A payer's bank reads the 54 digits (from the bars, or typed as the "virtual
barcode") and fills in the account, amount, reference and due date, so every
field must be exact.  The layout follows Finance Finland's Bank Bar Code Guide
(Pankkiviivakoodi-opas, version 5.3):

=========  ======  =========================================================
field      digits  version 4 (national reference) / version 5 (RF reference)
=========  ======  =========================================================
version    1       ``4`` or ``5``
account    16      the IBAN's check digits and BBAN, without ``FI``
euros      6       zero-padded; ``000000`` with the cents when the amount is
                   missing or 1 000 000,00 EUR or more (the payer types it)
cents      2
reserve    3 / —   version 4: ``000``
RF check   — / 2   version 5: the RF reference's two check digits
reference  20 / 21 the national reference / the RF body, zero-padded on the left
due date   6       ``YYMMDD``, ``000000`` when there is none
=========  ======  =========================================================

The bars are Code 128 subset C (pairs of digits, start code 105, check
character mod 103); python-barcode's ``Code128`` chooses subset C by itself for
an all-digit code of even length.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

# python-barcode 0.16 ships no type information (no py.typed): pyproject's mypy settings say so.
from barcode import Code128
from barcode.writer import SVGWriter

from ledger.errors import InvalidInput
from portal.billing import references
from portal.billing.parties import normalize_iban

LENGTH = 54
#: From 1 000 000,00 EUR up the amount field is left as zeros.
MAX_AMOUNT_CENTS = 100_000_000
_NO_DUE_DATE = "000000"
_STYLE_FILL = re.compile(r'style="fill:\s*([a-z]+);?"')


@dataclass(frozen=True)
class BankBarcode:
    """The contents of a virtual bank barcode.

    ``amount_cents`` is ``None`` when the amount field holds zeros (no amount,
    or 1 000 000,00 EUR or more); ``reference`` is compact (``12345672`` or
    ``RF8512345672``); ``due_date`` is ``None`` for ``000000``.
    """

    version: int
    iban: str
    amount_cents: int | None
    reference: str
    due_date: dt.date | None


def _account_digits(iban: str) -> str:
    compact = normalize_iban(iban)
    if not compact.startswith("FI"):
        raise InvalidInput("IBAN %(iban)s is not Finnish; the bank barcode carries only FI accounts", iban=compact)
    return compact[2:]


def _amount_digits(amount_cents: int) -> str:
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise InvalidInput("the barcode amount %(amount)s must be a whole number of cents", amount=repr(amount_cents))
    if amount_cents < 0:
        raise InvalidInput("the barcode amount %(amount)s cents is negative; a barcode cannot ask for a refund", amount=amount_cents)
    if amount_cents >= MAX_AMOUNT_CENTS:
        return "0" * 8
    return f"{amount_cents:08d}"


def _due_digits(due_date: dt.date | None) -> str:
    if due_date is None:
        return _NO_DUE_DATE
    if not 2000 <= due_date.year <= 2099:
        raise InvalidInput("due date %(date)s is outside 2000-2099, which the barcode can carry", date=due_date.isoformat())
    return due_date.strftime("%y%m%d")


def virtual_barcode(
    iban: str, amount_cents: int, reference: str, due_date: dt.date | None
) -> str:
    """The 54 digits of the virtual barcode: version 4 for a national, 5 for an RF reference."""
    head = _account_digits(iban) + _amount_digits(amount_cents)
    kind, digits = references.parse_reference(reference)
    if kind == "national":
        code = "4" + head + "000" + digits.zfill(20)
    else:
        body = digits[4:]
        if not body.isdigit():
            raise InvalidInput("RF reference %(reference)s contains letters; the bank barcode carries only digits", reference=digits)
        code = "5" + head + digits[2:4] + body.zfill(21)
    return code + _due_digits(due_date)


def _parse_due(text: str, code: str) -> dt.date | None:
    if text == _NO_DUE_DATE:
        return None
    try:
        return dt.date(2000 + int(text[:2]), int(text[2:4]), int(text[4:]))
    except ValueError:
        raise InvalidInput("barcode %(code)s has an impossible due date %(date)s", code=code, date=text) from None


def _parse_reference(version: int, field: str, code: str) -> str:
    try:
        if version == 4:
            return references.normalize_national_reference(field[3:])
        return references.normalize_rf_reference("RF" + field[:2] + field[2:].lstrip("0"))
    except InvalidInput as error:
        raise InvalidInput("barcode %(code)s carries a broken reference: %(reason)s", code=code, reason=error.message) from None


def parse_virtual_barcode(text: str) -> BankBarcode:
    """Read the 54 digits back (spaces allowed) and check every field."""
    code = "".join(text.split())
    if len(code) != LENGTH or not code.isdigit() or not code.isascii():
        raise InvalidInput("a bank barcode has %(length)s digits; '%(text)s' does not", length=LENGTH, text=text)
    version = int(code[0])
    if version not in (4, 5):
        raise InvalidInput("barcode %(code)s has version %(version)s; only versions 4 and 5 are in use", code=code, version=version)
    if version == 4 and code[25:28] != "000":
        raise InvalidInput("barcode %(code)s has %(field)s in its reserved field, which must be 000", code=code, field=code[25:28])
    try:
        iban = normalize_iban("FI" + code[1:17])
    except InvalidInput as error:
        raise InvalidInput("barcode %(code)s carries a broken account: %(reason)s", code=code, reason=error.message) from None
    cents = int(code[17:25])
    return BankBarcode(
        version=version,
        iban=iban,
        amount_cents=cents or None,
        # Version 4: reserve (3) + reference (20); version 5: RF check (2) + body (21).
        reference=_parse_reference(version, code[25:48], code),
        due_date=_parse_due(code[48:], code),
    )


def barcode_svg(
    code: str, *, text: bool = False, module_width_mm: float = 0.25, height_mm: float = 13.0
) -> str:
    """The barcode as an SVG document (a string) to embed in an HTML or PDF invoice.

    The digits are checked first, so a broken code is never drawn.  Without
    ``text`` no digits are printed under the bars; invoices print the virtual
    barcode as text of their own.  The quiet zones are ten modules wide, as
    Code 128 requires.
    """
    digits = "".join(code.split())
    parse_virtual_barcode(digits)
    writer = SVGWriter()
    # No external DTD reference in a document meant to be inlined in HTML.
    writer.with_doctype = False
    options: dict[str, object] = {
        "module_width": module_width_mm,
        "module_height": height_mm,
        "quiet_zone": 10 * module_width_mm,
        "write_text": text,
        "font_size": 8,
        "text_distance": 3.0,
    }
    rendered: bytes = Code128(digits, writer=writer).render(options)
    svg = rendered.decode("utf-8")
    # Colours as presentation attributes, not style attributes: a page whose Content-Security-Policy
    # allows no inline style (the portal's) would otherwise draw the white background black.
    svg = _STYLE_FILL.sub(r'fill="\1"', svg)
    # Drop the XML declaration so the SVG can be pasted into an HTML page.
    return svg[svg.index("<svg") :]


"""Identifiers of the parties to an invoice: business ID, VAT number, IBAN, BIC, e-invoice routing.

A wrong digit in any of these sends an invoice or a payment astray, so each is
checked where it is typed, with a message that names the fix.

- Business ID (Y-tunnus) ``NNNNNNN-T``: weights 7, 9, 10, 5, 8, 4, 2 on the
  seven digits, r = sum mod 11; the check digit is 0 when r = 0, 11 - r when
  r > 1, and no business ID is issued where r = 1.  Checked by
  ``stdnum.fi.ytunnus``; the *expected* digit for the message is computed here
  because stdnum only says that the digit is wrong.
- IBAN and BIC: ``schwifty``.
- E-invoice address: an OVT code (``0037`` + the eight digits of a business ID
  + an optional suffix of up to five letters or digits), a Peppol participant
  id (``0216:003710615121``) or an IBAN used as an e-invoice address.
- E-invoice operator (intermediator): an OVT-style id (``003723327487``) or a BIC.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.fi import ytunnus

from ledger.errors import InvalidInput, Word

EInvoiceAddressKind = Literal["ovt", "peppol", "iban"]
OperatorKind = Literal["ovt", "bic"]

_BUSINESS_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)
_BUSINESS_ID_SHAPE = re.compile(r"([0-9]{6,7})-?([0-9])")
_OVT_SHAPE = re.compile(r"0037([0-9]{8})([0-9A-Z]{0,5})")
_PEPPOL_SHAPE = re.compile(r"([0-9]{4}):(\S+)")
#: Peppol participant schemes (ISO 6523 ICD) used for Finnish organisations.
PEPPOL_SCHEMES = {
    "0216": "OVT code",
    "0037": "OVT code (old scheme)",
    "0212": "business ID",
    "0213": "Finnish VAT number",
}


class EInvoiceAddress(NamedTuple):
    """A normalised e-invoice address and what kind it is.

    ``scheme`` is the identifier scheme to declare in a Finvoice message
    (``0037`` for an OVT code, ``IBAN``, or the Peppol scheme) and ``value`` the
    identifier within it; ``address`` is the whole normalised address.
    """

    kind: EInvoiceAddressKind
    address: str
    scheme: str
    value: str


class OperatorId(NamedTuple):
    """A normalised e-invoice operator (intermediator) id."""

    kind: OperatorKind
    value: str


def _compact(text: str) -> str:
    return "".join(text.split())


def business_id_check_digit(first_seven: str) -> int:
    """The check digit for the first seven digits of a business ID.

    Refuses the seven digits for which no business ID exists (r = 1).
    """
    total = sum(w * int(d) for w, d in zip(_BUSINESS_ID_WEIGHTS, first_seven, strict=True))
    remainder = total % 11
    if remainder == 1:
        raise InvalidInput(
            "business ID %(digits)s-? cannot exist: its first seven digits give no valid check digit", digits=first_seven
        )
    return 0 if remainder == 0 else 11 - remainder


def normalize_business_id(text: str) -> str:
    """Check a business ID (``1061512-1``; the dash may be missing) and return it with the dash.

    An old six-digit ID (``161075-9``) gets its leading zero, as the trade
    register prints it today.
    """
    match = _BUSINESS_ID_SHAPE.fullmatch(_compact(text))
    if match is None:
        raise InvalidInput("business ID '%(text)s' must look like 1234567-8", text=text)
    first_seven = match.group(1).zfill(7)
    expected = f"{first_seven}-{business_id_check_digit(first_seven)}"
    candidate = f"{first_seven}-{match.group(2)}"
    if candidate != expected or not ytunnus.is_valid(candidate):
        raise InvalidInput("business ID %(given)s has a wrong check digit (expected %(expected)s)", given=candidate, expected=expected)
    return str(ytunnus.format(candidate))


def vat_number_for(business_id: str) -> str:
    """The Finnish VAT number (``FI10615121``) of a business ID."""
    return "FI" + normalize_business_id(business_id).replace("-", "")


def normalize_vat_number(text: str) -> str:
    """Check an EU VAT number (``FI10615121``) and return it compact with its country prefix."""
    try:
        return str(eu_vat.validate(text))
    except ValidationError:
        raise InvalidInput("VAT number '%(text)s' is not a valid EU VAT number", text=text) from None


def normalize_iban(text: str) -> str:
    """Check an IBAN (spaces allowed) and return it compact: ``FI2112345600000785``."""
    try:
        return str(IBAN(text).compact)
    except SchwiftyException as error:
        raise InvalidInput("IBAN '%(text)s' is not valid: %(reason)s", text=text, reason=_schwifty_reason(error)) from None


def format_iban(text: str) -> str:
    """Print an IBAN in groups of four: ``FI21 1234 5600 0007 85``."""
    return str(IBAN(normalize_iban(text)).formatted)


def normalize_bic(text: str) -> str:
    """Check a BIC (8 or 11 characters) and return it upper-case: ``NDEAFIHH``."""
    try:
        return str(BIC(_compact(text)).compact)
    except SchwiftyException as error:
        raise InvalidInput("BIC '%(text)s' is not valid: %(reason)s", text=text, reason=_schwifty_reason(error)) from None


def bic_for_iban(iban: str) -> str | None:
    """The BIC of the bank that keeps a (Finnish) IBAN, if schwifty's registry knows it."""
    bic = IBAN(normalize_iban(iban)).bic
    return None if bic is None else str(bic.compact)


def _schwifty_reason(error: SchwiftyException) -> str:
    """schwifty's own words, lower-cased to sit inside our sentence."""
    reason = str(error).strip() or type(error).__name__
    return reason[0].lower() + reason[1:]


def _ovt(text: str, compact: str, what: Word) -> str:
    match = _OVT_SHAPE.fullmatch(compact.upper())
    if match is None:
        raise InvalidInput(
            "%(what)s '%(text)s' must be 0037, the eight digits of a business ID and at most five more letters or digits",
            what=what, text=text,
        )
    digits = match.group(1)
    try:
        normalize_business_id(f"{digits[:7]}-{digits[7]}")
    except InvalidInput:
        expected = f"{digits[:7]}-{business_id_check_digit(digits[:7])}"
        raise InvalidInput(
            "%(what)s '%(text)s' contains business ID %(given)s with a wrong check digit (expected %(expected)s)",
            what=what, text=text, given=f"{digits[:7]}-{digits[7]}", expected=expected,
        ) from None
    return match.group(0)


def _peppol(text: str, scheme: str, value: str) -> EInvoiceAddress:
    if scheme not in PEPPOL_SCHEMES:
        known = ", ".join(f"{code} ({name})" for code, name in PEPPOL_SCHEMES.items())
        raise InvalidInput("Peppol address '%(text)s' has scheme %(scheme)s; known schemes are %(known)s", text=text, scheme=scheme,
                           known=known)
    if scheme in ("0216", "0037"):
        value = _ovt(text, value, Word("Peppol address"))
    elif scheme == "0212":
        value = normalize_business_id(value)
    else:
        value = normalize_vat_number(value)
    return EInvoiceAddress("peppol", f"{scheme}:{value}", scheme, value)


def parse_einvoice_address(text: str) -> EInvoiceAddress:
    """Recognise and check an e-invoice address: OVT code, Peppol id or IBAN."""
    compact = _compact(text)
    if not compact:
        raise InvalidInput("the e-invoice address is empty")
    peppol = _PEPPOL_SHAPE.fullmatch(compact)
    if peppol is not None:
        return _peppol(text, peppol.group(1), peppol.group(2))
    if compact.isdigit() or compact.startswith("0037"):
        value = _ovt(text, compact, Word("e-invoice address"))
        return EInvoiceAddress("ovt", value, "0037", value)
    if compact[:2].isalpha():
        iban = normalize_iban(compact)
        return EInvoiceAddress("iban", iban, "IBAN", iban)
    raise InvalidInput("e-invoice address '%(text)s' is neither an OVT code, a Peppol id nor an IBAN", text=text)


def parse_operator_id(text: str) -> OperatorId:
    """Recognise and check an e-invoice operator id: OVT-style or a BIC."""
    compact = _compact(text).upper()
    if not compact:
        raise InvalidInput("the e-invoice operator id is empty")
    if compact[0].isdigit():
        return OperatorId("ovt", _ovt(text, compact, Word("e-invoice operator id")))
    if len(compact) in (8, 11):
        return OperatorId("bic", normalize_bic(compact))
    raise InvalidInput("e-invoice operator id '%(text)s' is neither an OVT-style id (0037…) nor a BIC", text=text)

"""The invoice as plain data: parties, rows, payment details, and the totals they add up to.

One model feeds every output (the Finvoice message, the printed invoice, its
barcode), so it is checked once, when it is made: identifiers are normalised,
each row's amount must equal quantity x unit price, and the VAT breakdown is
computed here rather than typed in.

Money is integer cents.  A credit note carries negative row amounts, as
Finvoice writes them, and its total must be below zero.  VAT is worked out per
rate from the sum of that rate's rows (EN 16931: base x rate, rounded half away
from zero to the cent), so rows carry no VAT amounts of their own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from ledger.errors import InvalidInput, Word
from portal.billing import references
from portal.billing.parties import (
    bic_for_iban,
    normalize_bic,
    normalize_business_id,
    normalize_iban,
    normalize_vat_number,
    parse_einvoice_address,
    parse_operator_id,
)

InvoiceKind = Literal["invoice", "credit_note"]
#: UNTDID 5305 VAT categories for a 0 % row: zero rated, exempt, reverse
#: charge, intra-community supply, export, outside the scope of VAT.
ZERO_VAT_CODES = ("Z", "E", "AE", "K", "G", "O")
STANDARD_VAT_CODE = "S"
MAX_INVOICE_NUMBER = 20


def _set(obj: object, name: str, value: object) -> None:
    # Frozen dataclasses store their normalised fields through object.__setattr__.
    object.__setattr__(obj, name, value)


def _text(value: str, what: Word, low: int, high: int) -> str:
    text = " ".join(value.split())
    if not low <= len(text) <= high:
        raise InvalidInput("%(what)s '%(text)s' must have %(low)s to %(high)s characters", what=what, text=text, low=low, high=high)
    return text


def _decimal(value: Decimal | int, what: Word) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise InvalidInput("%(what)s %(value)s must be a Decimal or a whole number, never a float", what=what, value=repr(value))
    number = Decimal(value)
    if not number.is_finite():
        raise InvalidInput("%(what)s %(value)s is not a number", what=what, value=repr(value))
    return number


def _cents(value: int, what: Word) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("%(what)s %(value)s must be a whole number of cents", what=what, value=repr(value))
    return value


def plain_decimal(number: Decimal) -> Decimal:
    """Drop trailing zeros without turning 10 into 1E+1."""
    normal = number.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal


def round_cents(value: Decimal) -> int:
    """Round to whole cents, halves away from zero (a credit note mirrors its invoice)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class PostalAddress:
    """A postal address of one to three street lines, as Finvoice carries it."""

    street: tuple[str, ...]
    post_code: str
    town: str
    country_code: str = "FI"

    def __post_init__(self) -> None:
        if not 1 <= len(self.street) <= 3:
            raise InvalidInput("a postal address needs one to three street lines")
        _set(self, "street", tuple(_text(line, Word("street line"), 2, 35) for line in self.street))
        _set(self, "post_code", _text(self.post_code, Word("post code"), 2, 35))
        _set(self, "town", _text(self.town, Word("town"), 2, 35))
        code = self.country_code.strip().upper()
        if len(code) != 2 or not code.isalpha():
            raise InvalidInput("country code '%(code)s' must be two letters, like FI", code=self.country_code)
        _set(self, "country_code", code)


def parse_address(text: str) -> PostalAddress:
    """An address as typed on one line, ``Raatihuoneenkatu 5, PL 23, 06100 Porvoo``: street lines, then post code and town."""
    parts = [" ".join(part.split()) for part in str(text or "").split(",") if part.strip()]
    last = parts[-1].split(" ", 1) if parts else []
    if len(parts) < 2 or len(last) < 2:
        raise InvalidInput("address '%(text)s' must be street lines and the post code and town, like 'Raatihuoneenkatu 5, 06100 Porvoo'",
                           text=text)
    return PostalAddress(tuple(parts[:-1]), last[0], last[1])


def format_address(address: PostalAddress) -> str:
    """The address on one line, as :func:`parse_address` reads it."""
    return ", ".join([*address.street, f"{address.post_code} {address.town}"])


@dataclass(frozen=True)
class Party:
    """A seller or buyer: a Finnish organisation with its business ID and e-invoice routing.

    A buyer's business ID and postal address may be unknown (Finvoice makes both optional); the
    seller's business ID is required where it matters, in the EPI payment details.
    """

    name: str
    business_id: str | None
    address: PostalAddress | None
    vat_number: str | None = None
    einvoice_address: str | None = None
    einvoice_operator: str | None = None

    def __post_init__(self) -> None:
        # Finvoice spreads a long name over 70-character elements; three are plenty.
        _set(self, "name", _text(self.name, Word("party name"), 2, 210))
        if self.business_id is not None:
            _set(self, "business_id", normalize_business_id(self.business_id))
        if self.vat_number is not None:
            _set(self, "vat_number", normalize_vat_number(self.vat_number))
        if self.einvoice_address is not None:
            _set(self, "einvoice_address", parse_einvoice_address(self.einvoice_address).address)
        if self.einvoice_operator is not None:
            _set(self, "einvoice_operator", parse_operator_id(self.einvoice_operator).value)


@dataclass(frozen=True)
class PaymentAccount:
    """The seller's bank account the payment goes to."""

    iban: str
    bic: str

    def __post_init__(self) -> None:
        iban = normalize_iban(self.iban)
        bic = normalize_bic(self.bic)
        known = bic_for_iban(iban) if iban.startswith("FI") else None
        # Compare bank and country only: a bank's BICs differ in location/branch.
        if known is not None and known[:6] != bic[:6]:
            raise InvalidInput("BIC %(bic)s does not belong to the bank of IBAN %(iban)s (expected %(expected)s)", bic=bic, iban=iban,
                               expected=known)
        _set(self, "iban", iban)
        _set(self, "bic", bic)


@dataclass(frozen=True)
class InvoiceRow:
    """One invoice row; ``row_amount_cents`` is VAT excluded and must equal quantity x unit price."""

    text: str
    quantity: Decimal
    unit_price_cents: int
    row_amount_cents: int
    vat_rate: Decimal
    unit: str | None = None

    def __post_init__(self) -> None:
        _set(self, "text", _text(self.text, Word("row text"), 1, 100))
        quantity = _decimal(self.quantity, Word("quantity"))
        price = _cents(self.unit_price_cents, Word("unit price"))
        amount = _cents(self.row_amount_cents, Word("row amount"))
        expected = round_cents(quantity * price)
        if amount != expected:
            raise InvalidInput(
                "row '%(text)s': %(quantity)s x %(price)s cents is %(expected)s cents, not %(amount)s",
                text=self.text, quantity=quantity, price=price, expected=expected, amount=amount,
            )
        rate = plain_decimal(_decimal(self.vat_rate, Word("VAT rate")))
        if not 0 <= rate < 100 or rate != rate.quantize(Decimal("0.0001")):
            raise InvalidInput("row '%(text)s': VAT rate %(rate)s %% must be 0 to 99.9999", text=self.text, rate=rate)
        _set(self, "quantity", quantity)
        _set(self, "vat_rate", rate)
        if self.unit is not None:
            _set(self, "unit", _text(self.unit, Word("unit"), 1, 14))


@dataclass(frozen=True)
class VatExemption:
    """Why rows carry 0 % VAT: a UNTDID 5305 category and a reason printed on the invoice."""

    code: str
    reason: str

    def __post_init__(self) -> None:
        code = self.code.strip().upper()
        if code not in ZERO_VAT_CODES:
            raise InvalidInput("VAT category '%(code)s' for 0 %% VAT must be one of %(codes)s", code=self.code,
                               codes=", ".join(ZERO_VAT_CODES))
        _set(self, "code", code)
        _set(self, "reason", _text(self.reason, Word("VAT exemption reason"), 1, 70))


@dataclass(frozen=True)
class VatBreakdown:
    """One line of the VAT specification: the rows of one rate, their base and their VAT."""

    rate: Decimal
    code: str
    base_cents: int
    vat_cents: int
    reason: str | None


@dataclass(frozen=True)
class Totals:
    """What an invoice adds up to; ``total_cents`` is what the buyer pays."""

    vat_excluded_cents: int
    vat_cents: int
    total_cents: int
    breakdown: tuple[VatBreakdown, ...]


@dataclass(frozen=True)
class Invoice:
    """An invoice or credit note from the lead city (seller) to a member city (buyer)."""

    kind: InvoiceKind
    number: str
    invoice_date: dt.date
    due_date: dt.date
    seller: Party
    buyer: Party
    rows: tuple[InvoiceRow, ...]
    account: PaymentAccount
    reference: str
    payment_terms: str | None = None
    buyer_reference: str | None = None
    order_identifier: str | None = None
    original_invoice_number: str | None = None
    original_invoice_date: dt.date | None = None
    vat_exemption: VatExemption | None = None
    free_text: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in ("invoice", "credit_note"):
            raise InvalidInput("invoice kind '%(kind)s' must be 'invoice' or 'credit_note'", kind=self.kind)
        _set(self, "number", _text(self.number, Word("invoice number"), 1, MAX_INVOICE_NUMBER))
        if self.due_date < self.invoice_date:
            raise InvalidInput(
                "invoice %(number)s falls due on %(due)s, before its date %(date)s",
                number=self.number, due=self.due_date.isoformat(), date=self.invoice_date.isoformat(),
            )
        if not self.rows:
            raise InvalidInput("invoice %(number)s has no rows", number=self.number)
        if self.seller.business_id is None:
            raise InvalidInput("invoice %(number)s: the seller %(seller)s needs its business ID", number=self.number, seller=self.seller.name)
        _set(self, "reference", references.parse_reference(self.reference).digits)
        for name, what in (("payment_terms", Word("payment terms")), ("buyer_reference", Word("buyer reference")),
                           ("order_identifier", Word("order identifier"))):
            value = getattr(self, name)
            if value is not None:
                _set(self, name, _text(value, what, 1, 70))
        _set(self, "free_text", tuple(_text(t, Word("free text"), 1, 512) for t in self.free_text))
        self._check_kind()
        self._check_vat()

    def _check_kind(self) -> None:
        total = self.totals().total_cents
        if self.kind == "credit_note":
            if self.original_invoice_number is None:
                raise InvalidInput("credit note %(number)s must name the invoice it credits", number=self.number)
            _set(self, "original_invoice_number", _text(self.original_invoice_number, Word("original invoice number"), 1, 20))
            if total >= 0:
                raise InvalidInput(
                    "credit note %(number)s totals %(total)s cents; give the credited rows as negative amounts",
                    number=self.number, total=total,
                )
        else:
            if self.original_invoice_number is not None or self.original_invoice_date is not None:
                raise InvalidInput("invoice %(number)s is not a credit note and names no original invoice", number=self.number)
            if total < 0:
                raise InvalidInput("invoice %(number)s totals %(total)s cents; a negative invoice is a credit note", number=self.number,
                                   total=total)

    def _check_vat(self) -> None:
        zero = any(row.vat_rate == 0 for row in self.rows)
        if zero and self.vat_exemption is None:
            raise InvalidInput("invoice %(number)s has 0 %% VAT rows and must say why (a VAT exemption)", number=self.number)
        if not zero and self.vat_exemption is not None:
            raise InvalidInput("invoice %(number)s gives a VAT exemption but has no 0 %% VAT rows", number=self.number)

    def totals(self) -> Totals:
        """The rows' sum, the VAT per rate and the total to pay."""
        bases: dict[Decimal, int] = {}
        for row in self.rows:
            bases[row.vat_rate] = bases.get(row.vat_rate, 0) + row.row_amount_cents
        breakdown = []
        for rate in sorted(bases, reverse=True):
            base = bases[rate]
            exemption = self.vat_exemption if rate == 0 else None
            breakdown.append(
                VatBreakdown(
                    rate=rate,
                    code=exemption.code if exemption else STANDARD_VAT_CODE,
                    base_cents=base,
                    vat_cents=round_cents(base * rate / 100),
                    reason=exemption.reason if exemption else None,
                )
            )
        net = sum(row.row_amount_cents for row in self.rows)
        vat = sum(line.vat_cents for line in breakdown)
        return Totals(net, vat, net + vat, tuple(breakdown))

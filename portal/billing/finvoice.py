"""The Finvoice 3.0 e-invoice message, written from an :class:`~portal.billing.invoice.Invoice`.

Finvoice is the Finnish banks' and operators' XML e-invoice.  Element names,
their order and value formats follow Finance Finland's Finvoice 3.0 schema
(``Finvoice3.0.xsd``): amounts with a decimal comma and
``AmountCurrencyIdentifier="EUR"``, dates ``CCYYMMDD`` with
``Format="CCYYMMDD"``, percentages like ``25,5``.

The message has four parts the receiving operator relies on:

- the transmission frame routes it: seller's e-invoice address and operator
  (``From…``), buyer's (``To…``), a message id and a time stamp;
- the parties and invoice details, with the totals and VAT specification worked
  out by the invoice model;
- the rows;
- the EPI payment details, from which the buyer's bank pays: the seller's
  account, the reference (scheme ``SPY`` for a national reference, ``ISO`` for
  an RF reference), the amount and the due date.

A credit note (``INV02``) names the invoice it credits in
``OriginalInvoiceNumber`` and carries negative amounts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from ledger.errors import InvalidInput, Word
from portal.billing.barcode import virtual_barcode
from portal.billing.invoice import Invoice, Party, Totals, plain_decimal
from portal.billing.parties import parse_einvoice_address

VERSION = "3.0"
CURRENCY = "EUR"
DATE_FORMAT = "CCYYMMDD"
#: UNTDID 4461: SEPA credit transfer.
PAYMENT_MEANS_SEPA = "58"
_TYPES = {
    "invoice": ("INV01", "380", "LASKU"),
    "credit_note": ("INV02", "381", "HYVITYSLASKU"),
}


@dataclass(frozen=True)
class Transmission:
    """The message frame's own data; the addresses come from the parties."""

    message_id: str
    timestamp: dt.datetime

    def __post_init__(self) -> None:
        if not 2 <= len(self.message_id) <= 48:
            raise InvalidInput("message id '%(id)s' must have 2 to 48 characters", id=self.message_id)
        if self.timestamp.tzinfo is None or self.timestamp.utcoffset() is None:
            raise InvalidInput("the message time stamp must carry a time zone")


def format_amount(cents: int) -> str:
    """Cents as Finvoice writes money: ``-1234,05``."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    return f"{sign}{euros},{rest:02d}"


def format_decimal(number: Decimal) -> str:
    """A quantity or percentage with a decimal comma and no trailing zeros: ``25,5``."""
    return format(plain_decimal(number), "f").replace(".", ",")


def format_date(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def _money(parent: etree._Element, tag: str, cents: int) -> None:
    _sub(parent, tag, format_amount(cents), AmountCurrencyIdentifier=CURRENCY)


def _date(parent: etree._Element, tag: str, day: dt.date) -> None:
    _sub(parent, tag, format_date(day), Format=DATE_FORMAT)


def _words(text: str, size: int) -> list[str]:
    """Split a long name into pieces of at most ``size`` characters at spaces."""
    pieces: list[str] = []
    for word in text.split():
        while len(word) > size:
            pieces.append(word[:size])
            word = word[size:]
        if pieces and len(pieces[-1]) + 1 + len(word) <= size:
            pieces[-1] += " " + word
        else:
            pieces.append(word)
    return pieces


def _route(party: Party, role: Word) -> tuple[str, str, str]:
    """(scheme, identifier, operator) of a party; the frame cannot be written without them."""
    if party.einvoice_address is None:
        raise InvalidInput("the %(role)s %(name)s has no e-invoice address, so the message cannot be routed", role=role, name=party.name)
    if party.einvoice_operator is None:
        raise InvalidInput("the %(role)s %(name)s has no e-invoice operator, so the message cannot be routed", role=role, name=party.name)
    address = parse_einvoice_address(party.einvoice_address)
    return address.scheme, address.value, party.einvoice_operator


def _transmission(root: etree._Element, invoice: Invoice, transmission: Transmission) -> None:
    from_scheme, from_id, from_operator = _route(invoice.seller, Word("seller"))
    to_scheme, to_id, to_operator = _route(invoice.buyer, Word("buyer"))
    frame = _sub(root, "MessageTransmissionDetails")
    sender = _sub(frame, "MessageSenderDetails")
    _sub(sender, "FromIdentifier", from_id, SchemeID=from_scheme)
    _sub(sender, "FromIntermediator", from_operator)
    receiver = _sub(frame, "MessageReceiverDetails")
    _sub(receiver, "ToIdentifier", to_id, SchemeID=to_scheme)
    _sub(receiver, "ToIntermediator", to_operator)
    details = _sub(frame, "MessageDetails")
    _sub(details, "MessageIdentifier", transmission.message_id)
    _sub(details, "MessageTimeStamp", transmission.timestamp.isoformat(timespec="seconds"))


def _party(root: etree._Element, party: Party, role: str) -> None:
    """``SellerPartyDetails`` or ``BuyerPartyDetails`` and the e-invoice address after it."""
    details = _sub(root, f"{role}PartyDetails")
    if party.business_id is not None:
        _sub(details, f"{role}PartyIdentifier", party.business_id)
    for piece in _words(party.name, 70):
        _sub(details, f"{role}OrganisationName", piece)
    if party.vat_number is not None:
        _sub(details, f"{role}OrganisationTaxCode", party.vat_number)
    if party.address is not None:
        address = _sub(details, f"{role}PostalAddressDetails")
        for line in party.address.street:
            _sub(address, f"{role}StreetName", line)
        _sub(address, f"{role}TownName", party.address.town)
        _sub(address, f"{role}PostCodeIdentifier", party.address.post_code)
        _sub(address, "CountryCode", party.address.country_code)
    if party.einvoice_address is not None:
        _sub(root, f"{role}OrganisationUnitNumber", parse_einvoice_address(party.einvoice_address).value)


def _seller_account(root: etree._Element, invoice: Invoice) -> None:
    information = _sub(root, "SellerInformationDetails")
    account = _sub(information, "SellerAccountDetails")
    _sub(account, "SellerAccountID", invoice.account.iban, IdentificationSchemeName="IBAN")
    _sub(account, "SellerBic", invoice.account.bic, IdentificationSchemeName="BIC")


def _invoice_details(root: etree._Element, invoice: Invoice, totals: Totals) -> None:
    code, code_un, text = _TYPES[invoice.kind]
    details = _sub(root, "InvoiceDetails")
    _sub(details, "InvoiceTypeCode", code, CodeListAgencyIdentifier="SPY")
    _sub(details, "InvoiceTypeCodeUN", code_un)
    _sub(details, "InvoiceTypeText", text)
    _sub(details, "OriginCode", "Original")
    _sub(details, "InvoiceNumber", invoice.number)
    _date(details, "InvoiceDate", invoice.invoice_date)
    if invoice.original_invoice_number is not None:
        _sub(details, "OriginalInvoiceNumber", invoice.original_invoice_number)
    if invoice.original_invoice_date is not None:
        _date(details, "OriginalInvoiceDate", invoice.original_invoice_date)
    if invoice.order_identifier is not None:
        _sub(details, "OrderIdentifier", invoice.order_identifier)
    if invoice.buyer_reference is not None:
        _sub(details, "BuyerReferenceIdentifier", invoice.buyer_reference)
    _money(details, "RowsTotalVatExcludedAmount", totals.vat_excluded_cents)
    _money(details, "InvoiceTotalVatExcludedAmount", totals.vat_excluded_cents)
    _money(details, "InvoiceTotalVatAmount", totals.vat_cents)
    _money(details, "InvoiceTotalVatIncludedAmount", totals.total_cents)
    for line in totals.breakdown:
        vat = _sub(details, "VatSpecificationDetails")
        _money(vat, "VatBaseAmount", line.base_cents)
        _sub(vat, "VatRatePercent", format_decimal(line.rate))
        _sub(vat, "VatCode", line.code)
        _money(vat, "VatRateAmount", line.vat_cents)
        if line.reason is not None:
            _sub(vat, "VatFreeText", line.reason)
    for text_line in invoice.free_text:
        _sub(details, "InvoiceFreeText", text_line)
    terms = _sub(details, "PaymentTermsDetails")
    if invoice.payment_terms is not None:
        _sub(terms, "PaymentTermsFreeText", invoice.payment_terms)
    _date(terms, "InvoiceDueDate", invoice.due_date)


def _rows(root: etree._Element, invoice: Invoice, totals: Totals) -> None:
    vat_codes = {line.rate: line.code for line in totals.breakdown}
    for position, row in enumerate(invoice.rows, start=1):
        element = _sub(root, "InvoiceRow")
        _sub(element, "ArticleName", row.text)
        quantity_units = {"QuantityUnitCode": row.unit} if row.unit else {}
        _sub(element, "InvoicedQuantity", format_decimal(row.quantity), **quantity_units)
        _money(element, "UnitPriceAmount", row.unit_price_cents)
        _sub(element, "RowPositionIdentifier", str(position))
        _sub(element, "RowVatRatePercent", format_decimal(row.vat_rate))
        _sub(element, "RowVatCode", vat_codes[row.vat_rate])
        _money(element, "RowVatExcludedAmount", row.row_amount_cents)


def _epi(root: etree._Element, invoice: Invoice, totals: Totals) -> None:
    scheme = "ISO" if invoice.reference.startswith("RF") else "SPY"
    epi = _sub(root, "EpiDetails")
    identification = _sub(epi, "EpiIdentificationDetails")
    _date(identification, "EpiDate", invoice.invoice_date)
    _sub(identification, "EpiReference", invoice.reference)
    parties = _sub(epi, "EpiPartyDetails")
    bank = _sub(parties, "EpiBfiPartyDetails")
    _sub(bank, "EpiBfiIdentifier", invoice.account.bic, IdentificationSchemeName="BIC")
    beneficiary = _sub(parties, "EpiBeneficiaryPartyDetails")
    # The payer's bank shows at most 35 characters of the beneficiary's name.
    _sub(beneficiary, "EpiNameAddressDetails", _words(invoice.seller.name, 35)[0])
    _sub(beneficiary, "EpiBei", invoice.seller.business_id or "")
    _sub(beneficiary, "EpiAccountID", invoice.account.iban, IdentificationSchemeName="IBAN")
    instruction = _sub(epi, "EpiPaymentInstructionDetails")
    _sub(instruction, "EpiRemittanceInfoIdentifier", invoice.reference, IdentificationSchemeName=scheme)
    _money(instruction, "EpiInstructedAmount", totals.total_cents)
    _sub(instruction, "EpiCharge", "SHA", ChargeOption="SHA")
    _date(instruction, "EpiDateOptionDate", invoice.due_date)
    _sub(instruction, "EpiPaymentMeansCode", PAYMENT_MEANS_SEPA)


def _barcode(invoice: Invoice, totals: Totals) -> str | None:
    """The virtual barcode, for an invoice to a Finnish account with an all-digit reference."""
    body = invoice.reference[4:] if invoice.reference.startswith("RF") else invoice.reference
    if invoice.kind != "invoice" or not invoice.account.iban.startswith("FI") or not body.isdigit():
        return None
    return virtual_barcode(invoice.account.iban, totals.total_cents, invoice.reference, invoice.due_date)


def build_finvoice(invoice: Invoice, transmission: Transmission) -> bytes:
    """The Finvoice 3.0 message for an invoice, as UTF-8 encoded XML."""
    totals = invoice.totals()
    root = etree.Element("Finvoice", Version=VERSION)
    _transmission(root, invoice, transmission)
    _party(root, invoice.seller, "Seller")
    _seller_account(root, invoice)
    _party(root, invoice.buyer, "Buyer")
    _invoice_details(root, invoice, totals)
    code = _barcode(invoice, totals)
    if code is not None:
        _sub(root, "VirtualBankBarcode", code)
    _rows(root, invoice, totals)
    _epi(root, invoice, totals)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))

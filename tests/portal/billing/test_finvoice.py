"""The invoice model and the Finvoice 3.0 message built from it.

Element names, order and formats were checked while developing against Finance
Finland's Finvoice3.0.xsd ("Modified 30.11.2020"); the schema is not shipped
with the project, so these tests check the content with XPath instead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from lxml import etree

from ledger.errors import InvalidInput
from portal.billing.barcode import parse_virtual_barcode
from portal.billing.finvoice import (
    Transmission,
    build_finvoice,
    format_amount,
    format_decimal,
)
from portal.billing.invoice import (
    Invoice,
    InvoiceRow,
    Party,
    PaymentAccount,
    PostalAddress,
    VatExemption,
    format_address,
    parse_address,
)
from portal.billing.references import reference_for, rf_from_national

SELLER = Party(
    "Porvoon kaupunki",
    "1061512-1",
    PostalAddress(("Raatihuoneenkatu 5",), "06100", "Porvoo"),
    vat_number="FI10615121",
    einvoice_address="003710615121",
    einvoice_operator="003723327487",
)
BUYER = Party(
    "Seinäjoen kaupunki",
    "1928736-3",
    PostalAddress(("Kirkkokatu 6", "PL 215"), "60101", "Seinäjoki"),
    einvoice_address="0216:003719287363",
    einvoice_operator="NDEAFIHH",
)
ACCOUNT = PaymentAccount("FI21 1234 5600 0007 85", "NDEAFIHH")
NO_VAT = VatExemption("O", "VAT 0 % (no VAT: cost sharing between municipalities)")
EET = dt.timezone(dt.timedelta(hours=2))
TRANSMISSION = Transmission("PORVOO-2026-0042", dt.datetime(2026, 3, 2, 8, 30, tzinfo=EET))


def row(text: str, quantity: str, price: int, amount: int, rate: str, **extra: Any) -> InvoiceRow:
    return InvoiceRow(text, Decimal(quantity), price, amount, Decimal(rate), **extra)


def make_invoice(**changes: Any) -> Invoice:
    fields: dict[str, Any] = {
        "kind": "invoice",
        "number": "2026-0042",
        "invoice_date": dt.date(2026, 3, 2),
        "due_date": dt.date(2026, 4, 1),
        "seller": SELLER,
        "buyer": BUYER,
        "rows": (
            row("Yhteiset ICT-palvelut 2026, osuus 8,25 %", "1", 1234567, 1234567, "25.5"),
            row("Tunnistuspalvelu, käyttäjät", "2.5", 1001, 2503, "25.5", unit="kpl"),
            row("Hallinnon yhteiskulut", "1", 50000, 50000, "0"),
        ),
        "account": ACCOUNT,
        "reference": reference_for(7, 42),
        "payment_terms": "30 päivää netto",
        "buyer_reference": "SJK-ICT-2026",
        "order_identifier": "TILAUS-17",
        "vat_exemption": NO_VAT,
    }
    fields.update(changes)
    return Invoice(**fields)


def message(invoice: Invoice | None = None) -> etree._Element:
    return etree.fromstring(build_finvoice(invoice or make_invoice(), TRANSMISSION))


def text(root: etree._Element, path: str) -> str:
    found = root.xpath(path)
    assert len(found) == 1, f"{path} found {len(found)} times"
    value = found[0]
    return str(value if isinstance(value, str) else value.text)


def cents(root: etree._Element, path: str) -> int:
    value = text(root, path)
    assert re.fullmatch(r"-?[0-9]+,[0-9]{2}", value), value
    return int(value.replace(",", ""))


def test_message_is_utf8_xml_of_finvoice_30() -> None:
    data = build_finvoice(make_invoice(), TRANSMISSION)
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert "Seinäjoen kaupunki".encode() in data
    root = etree.fromstring(data)
    assert root.tag == "Finvoice" and root.get("Version") == "3.0"


def test_transmission_frame_routes_seller_to_buyer() -> None:
    root = message()
    sender = "MessageTransmissionDetails/MessageSenderDetails"
    receiver = "MessageTransmissionDetails/MessageReceiverDetails"
    assert text(root, f"{sender}/FromIdentifier") == "003710615121"
    assert text(root, f"{sender}/FromIdentifier/@SchemeID") == "0037"
    assert text(root, f"{sender}/FromIntermediator") == "003723327487"
    assert text(root, f"{receiver}/ToIdentifier") == "003719287363"
    assert text(root, f"{receiver}/ToIdentifier/@SchemeID") == "0216"
    assert text(root, f"{receiver}/ToIntermediator") == "NDEAFIHH"
    assert text(root, "MessageTransmissionDetails/MessageDetails/MessageIdentifier") == "PORVOO-2026-0042"
    assert text(root, "MessageTransmissionDetails/MessageDetails/MessageTimeStamp") == "2026-03-02T08:30:00+02:00"


def test_parties() -> None:
    root = message()
    assert text(root, "SellerPartyDetails/SellerPartyIdentifier") == "1061512-1"
    assert text(root, "SellerPartyDetails/SellerOrganisationName") == "Porvoon kaupunki"
    assert text(root, "SellerPartyDetails/SellerOrganisationTaxCode") == "FI10615121"
    assert text(root, "SellerPartyDetails/SellerPostalAddressDetails/SellerTownName") == "Porvoo"
    assert text(root, "SellerOrganisationUnitNumber") == "003710615121"
    assert text(root, "SellerInformationDetails/SellerAccountDetails/SellerAccountID") == "FI2112345600000785"
    assert text(root, "BuyerPartyDetails/BuyerPartyIdentifier") == "1928736-3"
    streets = root.xpath("BuyerPartyDetails/BuyerPostalAddressDetails/BuyerStreetName/text()")
    assert streets == ["Kirkkokatu 6", "PL 215"]
    assert text(root, "BuyerPartyDetails/BuyerPostalAddressDetails/BuyerPostCodeIdentifier") == "60101"
    assert text(root, "BuyerPartyDetails/BuyerPostalAddressDetails/CountryCode") == "FI"
    assert root.xpath("BuyerPartyDetails/BuyerOrganisationTaxCode") == []
    assert text(root, "BuyerOrganisationUnitNumber") == "003719287363"


def test_invoice_details() -> None:
    root = message()
    details = "InvoiceDetails"
    assert text(root, f"{details}/InvoiceTypeCode") == "INV01"
    assert text(root, f"{details}/InvoiceTypeCodeUN") == "380"
    assert text(root, f"{details}/InvoiceNumber") == "2026-0042"
    assert text(root, f"{details}/InvoiceDate") == "20260302"
    assert text(root, f"{details}/InvoiceDate/@Format") == "CCYYMMDD"
    assert text(root, f"{details}/PaymentTermsDetails/InvoiceDueDate") == "20260401"
    assert text(root, f"{details}/PaymentTermsDetails/PaymentTermsFreeText") == "30 päivää netto"
    assert text(root, f"{details}/BuyerReferenceIdentifier") == "SJK-ICT-2026"
    assert text(root, f"{details}/OrderIdentifier") == "TILAUS-17"
    assert root.xpath(f"{details}/OriginalInvoiceNumber") == []


def test_totals_add_up() -> None:
    root = message()
    details = "InvoiceDetails"
    net = cents(root, f"{details}/InvoiceTotalVatExcludedAmount")
    vat = cents(root, f"{details}/InvoiceTotalVatAmount")
    total = cents(root, f"{details}/InvoiceTotalVatIncludedAmount")
    rows = [int(v.replace(",", "")) for v in root.xpath("InvoiceRow/RowVatExcludedAmount/text()")]
    assert rows == [1234567, 2503, 50000]
    assert net == sum(rows) == cents(root, f"{details}/RowsTotalVatExcludedAmount")
    bases = [int(v.replace(",", "")) for v in root.xpath(f"{details}/VatSpecificationDetails/VatBaseAmount/text()")]
    vats = [int(v.replace(",", "")) for v in root.xpath(f"{details}/VatSpecificationDetails/VatRateAmount/text()")]
    assert sum(bases) == net and sum(vats) == vat
    # 25,5 % of 12 370,70 is 3 154,5285: 3 154,53 EUR.
    assert bases == [1237070, 50000] and vats == [315453, 0]
    assert total == net + vat == cents(root, "EpiDetails/EpiPaymentInstructionDetails/EpiInstructedAmount")
    for element in root.iter():
        if element.get("AmountCurrencyIdentifier") is not None:
            assert element.get("AmountCurrencyIdentifier") == "EUR"
            assert re.fullmatch(r"-?[0-9]+,[0-9]{2}", element.text or ""), element.tag


def test_vat_specification_gives_the_rate_and_the_reason_for_no_vat() -> None:
    root = message()
    lines = root.xpath("InvoiceDetails/VatSpecificationDetails")
    assert [text(line, "VatRatePercent") for line in lines] == ["25,5", "0"]
    assert [text(line, "VatCode") for line in lines] == ["S", "O"]
    assert text(lines[1], "VatFreeText") == "VAT 0 % (no VAT: cost sharing between municipalities)"
    assert lines[0].xpath("VatFreeText") == []


def test_rows() -> None:
    root = message()
    second = root.xpath("InvoiceRow")[1]
    assert text(second, "ArticleName") == "Tunnistuspalvelu, käyttäjät"
    assert text(second, "InvoicedQuantity") == "2,5"
    assert text(second, "InvoicedQuantity/@QuantityUnitCode") == "kpl"
    assert text(second, "UnitPriceAmount") == "10,01"
    assert text(second, "RowPositionIdentifier") == "2"
    assert text(second, "RowVatRatePercent") == "25,5"
    assert text(root, "InvoiceRow[3]/RowVatCode") == "O"


@pytest.mark.parametrize(
    ("reference", "scheme"),
    [(reference_for(7, 42), "SPY"), (rf_from_national(reference_for(7, 42)), "ISO")],
)
def test_epi_payment_details(reference: str, scheme: str) -> None:
    root = message(make_invoice(reference=reference))
    epi = "EpiDetails"
    assert text(root, f"{epi}/EpiIdentificationDetails/EpiDate") == "20260302"
    assert text(root, f"{epi}/EpiIdentificationDetails/EpiReference") == reference
    assert text(root, f"{epi}/EpiPartyDetails/EpiBfiPartyDetails/EpiBfiIdentifier") == "NDEAFIHH"
    assert text(root, f"{epi}/EpiPartyDetails/EpiBfiPartyDetails/EpiBfiIdentifier/@IdentificationSchemeName") == "BIC"
    beneficiary = f"{epi}/EpiPartyDetails/EpiBeneficiaryPartyDetails"
    assert text(root, f"{beneficiary}/EpiNameAddressDetails") == "Porvoon kaupunki"
    assert text(root, f"{beneficiary}/EpiBei") == "1061512-1"
    assert text(root, f"{beneficiary}/EpiAccountID") == "FI2112345600000785"
    assert text(root, f"{beneficiary}/EpiAccountID/@IdentificationSchemeName") == "IBAN"
    instruction = f"{epi}/EpiPaymentInstructionDetails"
    assert text(root, f"{instruction}/EpiRemittanceInfoIdentifier") == reference
    assert text(root, f"{instruction}/EpiRemittanceInfoIdentifier/@IdentificationSchemeName") == scheme
    assert text(root, f"{instruction}/EpiCharge/@ChargeOption") == "SHA"
    assert text(root, f"{instruction}/EpiDateOptionDate") == "20260401"
    assert text(root, f"{instruction}/EpiDateOptionDate/@Format") == "CCYYMMDD"


def test_virtual_barcode_carries_the_payment() -> None:
    invoice = make_invoice()
    root = message(invoice)
    parsed = parse_virtual_barcode(text(root, "VirtualBankBarcode"))
    assert (parsed.iban, parsed.amount_cents, parsed.reference, parsed.due_date) == (
        "FI2112345600000785",
        invoice.totals().total_cents,
        invoice.reference,
        invoice.due_date,
    )


def credit_note() -> Invoice:
    return make_invoice(
        kind="credit_note",
        number="2026-0050",
        invoice_date=dt.date(2026, 3, 20),
        due_date=dt.date(2026, 3, 20),
        rows=(row("Hyvitys: tunnistuspalvelu", "-2.5", 1001, -2503, "25.5"),),
        reference=reference_for(7, 50),
        original_invoice_number="2026-0042",
        original_invoice_date=dt.date(2026, 3, 2),
        vat_exemption=None,
    )


def test_credit_note_names_its_invoice_and_carries_negative_amounts() -> None:
    root = message(credit_note())
    assert text(root, "InvoiceDetails/InvoiceTypeCode") == "INV02"
    assert text(root, "InvoiceDetails/InvoiceTypeCodeUN") == "381"
    assert text(root, "InvoiceDetails/OriginalInvoiceNumber") == "2026-0042"
    assert text(root, "InvoiceDetails/OriginalInvoiceDate") == "20260302"
    # 25,5 % of -25,03 is -6,38265: -6,38 EUR.
    assert cents(root, "InvoiceDetails/InvoiceTotalVatAmount") == -638
    assert cents(root, "InvoiceDetails/InvoiceTotalVatIncludedAmount") == -3141
    assert cents(root, "EpiDetails/EpiPaymentInstructionDetails/EpiInstructedAmount") == -3141
    assert text(root, "InvoiceRow/InvoicedQuantity") == "-2,5"
    assert root.xpath("VirtualBankBarcode") == []


# Element order of the Finvoice root and of InvoiceDetails, as far as these
# messages use them, from Finvoice3.0.xsd's sequences.
ROOT_ORDER = [
    "MessageTransmissionDetails", "SellerPartyDetails", "SellerOrganisationUnitNumber",
    "SellerInformationDetails", "BuyerPartyDetails", "BuyerOrganisationUnitNumber",
    "InvoiceDetails", "VirtualBankBarcode", "InvoiceRow", "EpiDetails",
]
DETAILS_ORDER = [
    "InvoiceTypeCode", "InvoiceTypeCodeUN", "InvoiceTypeText", "OriginCode", "InvoiceNumber",
    "InvoiceDate", "OriginalInvoiceNumber", "OriginalInvoiceDate", "OrderIdentifier",
    "BuyerReferenceIdentifier", "RowsTotalVatExcludedAmount", "InvoiceTotalVatExcludedAmount",
    "InvoiceTotalVatAmount", "InvoiceTotalVatIncludedAmount", "VatSpecificationDetails",
    "InvoiceFreeText", "PaymentTermsDetails",
]  # fmt: skip


@pytest.mark.parametrize("invoice", [make_invoice(free_text=("Kiitos!",)), credit_note()], ids=["invoice", "credit"])
def test_elements_come_in_schema_order(invoice: Invoice) -> None:
    root = message(invoice)
    for parent, order in ((root, ROOT_ORDER), (root.find("InvoiceDetails"), DETAILS_ORDER)):
        assert parent is not None
        tags = [str(child.tag) for child in parent]
        assert set(tags) <= set(order), set(tags) - set(order)
        assert [order.index(tag) for tag in tags] == sorted(order.index(tag) for tag in tags)


def test_long_names_are_split_and_shortened_where_the_format_limits_them() -> None:
    long_name = "Etelä-Savon kuntien yhteinen tietohallinnon palvelukeskus ja sen kehittämisyksikkö"
    root = message(make_invoice(seller=dataclasses.replace(SELLER, name=long_name)))
    pieces = root.xpath("SellerPartyDetails/SellerOrganisationName/text()")
    assert " ".join(pieces) == long_name and all(len(p) <= 70 for p in pieces) and len(pieces) == 2
    epi_name = text(root, "EpiDetails/EpiPartyDetails/EpiBeneficiaryPartyDetails/EpiNameAddressDetails")
    assert long_name.startswith(epi_name) and len(epi_name) <= 35


def test_formats() -> None:
    assert format_amount(123456) == "1234,56"
    assert format_amount(-5) == "-0,05"
    assert format_amount(0) == "0,00"
    assert format_decimal(Decimal("24.00")) == "24"
    assert format_decimal(Decimal(10)) == "10"
    assert format_decimal(Decimal("13.50")) == "13,5"


def test_vat_is_rounded_half_away_from_zero_per_rate() -> None:
    rows = (row("a", "1", 10, 10, "25.5"), row("b", "1", 10, 10, "25.5"))
    # 25,5 % of 0,20 is 0,051 EUR: 5 cents, not two rows' 3 + 3.
    assert make_invoice(rows=rows, vat_exemption=None).totals().vat_cents == 5
    single = make_invoice(rows=(row("a", "1", 10, 10, "25.5"),), vat_exemption=None)
    assert single.totals().vat_cents == 3  # 2,55 cents rounds up


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"rows": ()}, "has no rows"),
        ({"vat_exemption": None}, "must say why"),
        ({"rows": (row("a", "1", 100, 100, "25.5"),)}, "no 0 % VAT rows"),
        ({"due_date": dt.date(2026, 3, 1)}, "before its date"),
        ({"reference": "7000000421"}, "wrong check digit"),
        ({"number": "2026-0042-ABCDEFGHIJKL"}, "1 to 20 characters"),
        ({"rows": (row("a", "-1", 100, -100, "0"),)}, "a negative invoice is a credit note"),
        ({"original_invoice_number": "2026-0001"}, "names no original invoice"),
        ({"kind": "credit_note"}, "must name the invoice it credits"),
        ({"kind": "credit_note", "original_invoice_number": "1"}, "give the credited rows as negative amounts"),
        ({"kind": "proforma"}, "must be 'invoice' or 'credit_note'"),
    ],
)
def test_invoice_model_refusals(changes: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        make_invoice(**changes)


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda: row("a", "3", 1000, 3001, "25.5"), "3 x 1000 cents is 3000 cents, not 3001"),
        (lambda: InvoiceRow("a", 1.5, 100, 150, Decimal(24)), "never a float"),  # type: ignore[arg-type]
        (lambda: row("a", "1", 100, 100, "100"), "0 to 99.9999"),
        (lambda: row("a", "1", 100, 100, "24.00001"), "0 to 99.9999"),
        (lambda: VatExemption("X", "no VAT"), "must be one of"),
        (lambda: PostalAddress((), "00100", "Helsinki"), "one to three street lines"),
        (lambda: PostalAddress(("Katu 1",), "00100", "Helsinki", "FIN"), "two letters"),
        (lambda: dataclasses.replace(SELLER, business_id="1061512-2"), "expected 1061512-1"),
        (lambda: PaymentAccount("FI21 1234 5600 0007 85", "OKOYFIHH"), "does not belong to the bank"),
        (lambda: Transmission("X", dt.datetime(2026, 1, 1)), "2 to 48 characters"),
        (lambda: Transmission("MSG-1", dt.datetime(2026, 1, 1)), "time zone"),
    ],
)
def test_part_refusals(make: Any, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        make()


@pytest.mark.parametrize(
    ("field", "fragment"),
    [("einvoice_address", "no e-invoice address"), ("einvoice_operator", "no e-invoice operator")],
)
def test_a_buyer_without_routing_cannot_be_sent(field: str, fragment: str) -> None:
    changes: dict[str, Any] = {field: None}
    invoice = make_invoice(buyer=dataclasses.replace(BUYER, **changes))
    with pytest.raises(InvalidInput, match=f"the buyer Seinäjoen kaupunki has {fragment}"):
        build_finvoice(invoice, TRANSMISSION)


def test_a_buyer_without_business_id_or_address_leaves_them_out_and_a_seller_needs_its_id() -> None:
    buyer = dataclasses.replace(BUYER, business_id=None, address=None)
    root = message(make_invoice(buyer=buyer))
    assert root.xpath("BuyerPartyDetails/BuyerPartyIdentifier") == [] and root.xpath("BuyerPartyDetails/BuyerPostalAddressDetails") == []
    assert text(root, "BuyerPartyDetails/BuyerOrganisationName") == "Seinäjoen kaupunki"
    with pytest.raises(InvalidInput, match="needs its business ID"):
        make_invoice(seller=dataclasses.replace(SELLER, business_id=None))


def test_an_address_typed_on_one_line() -> None:
    address = parse_address("  Kirkkokatu 6,  PL 215 , 60101   Seinäjoki ")
    assert address == PostalAddress(("Kirkkokatu 6", "PL 215"), "60101", "Seinäjoki")
    assert format_address(address) == "Kirkkokatu 6, PL 215, 60101 Seinäjoki"
    for bad in ("Kirkkokatu 6", "Kirkkokatu 6, 60101", ""):
        with pytest.raises(InvalidInput, match="post code and town"):
            parse_address(bad)

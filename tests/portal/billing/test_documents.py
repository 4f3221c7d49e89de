"""An issued invoice's documents: Finvoice 3.0, the PDF with its bank barcode, the list as JSON and CSV.

No Finvoice XSD is bundled in the repository, so the message's content is checked with XPath.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from lxml import etree

from ledger.errors import InvalidInput
from portal.billing import documents, issuing, pdf
from portal.billing import services as billing
from portal.billing.barcode import parse_virtual_barcode
from portal.billing.models import Invoice
from portal.billing.references import normalize_national_reference, normalize_rf_reference, rf_to_national
from portal.projects import services as projects
from tests.common.billing import PORVOO, SELLER, D, invoices, with_seller


def porvoo(kind: str = "invoice") -> Invoice:
    return next(i for i in invoices() if i.code == "638" and i.kind == kind)


def finvoice_of(invoice: Invoice) -> etree._Element:
    return etree.fromstring(documents.finvoice(projects.get_project("iam"), invoice))


def one(root: etree._Element, path: str) -> str:
    found = root.xpath(path)
    assert len(found) == 1, path
    return found[0] if isinstance(found[0], str) else found[0].text


def test_references_are_unique_national_and_rf_round_trip(in_demo) -> None:
    with_seller()
    issuing.issue("iam", year=2025, actor="acc")
    rows = invoices()
    assert len({i.reference for i in rows}) == len(rows)
    for i in rows:
        assert normalize_national_reference(i.reference) == i.reference and normalize_rf_reference(i.rf) == i.rf
        assert rf_to_national(i.rf) == i.reference and i.reference.startswith("1")  # the default prefix 1


def test_the_finvoice_of_an_invoice_routes_it_and_pays_it_by_the_national_reference(in_demo) -> None:
    with_seller()
    issuing.issue("iam", year=2026, date=D(2026, 1, 15), actor="acc")
    invoice = porvoo()
    root = finvoice_of(invoice)
    assert root.get("Version") == "3.0"
    assert one(root, "MessageTransmissionDetails/MessageSenderDetails/FromIdentifier") == SELLER["einvoice_address"]
    assert one(root, "MessageTransmissionDetails/MessageSenderDetails/FromIntermediator") == SELLER["operator"]
    assert one(root, "MessageTransmissionDetails/MessageReceiverDetails/ToIdentifier") == PORVOO["einvoice_address"]
    assert one(root, "MessageTransmissionDetails/MessageReceiverDetails/ToIntermediator") == PORVOO["operator"]
    assert one(root, "MessageTransmissionDetails/MessageDetails/MessageIdentifier") == f"0139797-8-{invoice.number}"
    assert one(root, "SellerPartyDetails/SellerPartyIdentifier") == "0139797-8"
    assert one(root, "BuyerPartyDetails/BuyerPartyIdentifier") == "1061512-1"
    assert one(root, "BuyerPartyDetails/BuyerOrganisationName") == "Porvoon kaupunki"
    assert one(root, "BuyerPartyDetails/BuyerPostalAddressDetails/BuyerTownName") == "Porvoo"
    assert one(root, "InvoiceDetails/InvoiceTypeCode") == "INV01" and one(root, "InvoiceDetails/InvoiceNumber") == str(invoice.number)
    assert one(root, "InvoiceDetails/InvoiceDate") == "20260115" and one(root, "InvoiceDetails/BuyerReferenceIdentifier") == "KP 4410 ICT"
    amount = f"{invoice.total_cents // 100},{invoice.total_cents % 100:02d}"
    assert one(root, "InvoiceDetails/InvoiceTotalVatIncludedAmount") == amount
    assert one(root, "InvoiceDetails/VatSpecificationDetails/VatCode") == "O"
    assert one(root, "InvoiceRow/ArticleName").startswith("Andel av kostnaderna för 2026 (lika delar, 17 medlemmar)")  # Porvoo reads Swedish
    assert one(root, "EpiDetails/EpiPartyDetails/EpiBfiPartyDetails/EpiBfiIdentifier") == "NDEAFIHH"
    assert one(root, "EpiDetails/EpiPartyDetails/EpiBeneficiaryPartyDetails/EpiAccountID") == "FI2112345600000785"
    assert one(root, "EpiDetails/EpiPaymentInstructionDetails/EpiRemittanceInfoIdentifier") == invoice.reference
    assert one(root, "EpiDetails/EpiPaymentInstructionDetails/EpiRemittanceInfoIdentifier/@IdentificationSchemeName") == "SPY"
    assert one(root, "EpiDetails/EpiPaymentInstructionDetails/EpiInstructedAmount") == amount
    assert one(root, "EpiDetails/EpiPaymentInstructionDetails/EpiDateOptionDate") == invoice.due_date.strftime("%Y%m%d")
    barcode = parse_virtual_barcode(one(root, "VirtualBankBarcode"))
    assert (barcode.version, barcode.amount_cents, barcode.reference) == (4, invoice.total_cents, invoice.reference)


def test_a_credit_note_is_inv02_with_the_original_number_and_an_rf_reference_is_iso(in_demo) -> None:
    with_seller()
    issuing.issue("iam", year=2026, date=D(2026, 1, 15), actor="acc")
    projects.add_members("iam", ["091"], joined=D(2026, 6, 1), decision="KV", actor="lead")
    billing.set_settings("iam", reference_kind="rf", actor="acc")
    issuing.issue("iam", year=2026, date=D(2026, 7, 1), actor="acc")
    credit = porvoo("credit-note")
    root = finvoice_of(credit)
    assert one(root, "InvoiceDetails/InvoiceTypeCode") == "INV02" and one(root, "InvoiceDetails/InvoiceTypeCodeUN") == "381"
    assert one(root, "InvoiceDetails/OriginalInvoiceNumber") == str(porvoo().number)
    assert one(root, "InvoiceDetails/OriginalInvoiceDate") == "20260115"
    assert one(root, "InvoiceDetails/InvoiceTotalVatIncludedAmount").startswith("-")
    assert one(root, "EpiDetails/EpiPaymentInstructionDetails/EpiRemittanceInfoIdentifier") == credit.rf
    assert one(root, "EpiDetails/EpiPaymentInstructionDetails/EpiRemittanceInfoIdentifier/@IdentificationSchemeName") == "ISO"
    assert root.xpath("VirtualBankBarcode") == []


def test_a_finvoice_needs_both_parties_e_invoice_routing(in_demo) -> None:
    with_seller()
    issuing.issue("iam", year=2026, actor="acc")
    kouvola = next(i for i in invoices() if i.code == "286")
    with pytest.raises(InvalidInput, match="the buyer Kouvola had no e-invoice address and operator when it was issued; send its PDF"):
        documents.finvoice(projects.get_project("iam"), kouvola)


@pytest.mark.parametrize("kind, version", [("national", 4), ("rf", 5)])
def test_the_pdf_shows_the_bank_barcode_as_digits_and_bars_in_the_members_language(in_demo, kind, version) -> None:
    with_seller()
    billing.set_settings("iam", reference_kind=kind, actor="acc")
    issuing.issue("iam", year=2026, date=D(2026, 1, 15), actor="acc")
    project, invoice = projects.get_project("iam"), porvoo()
    html = pdf.render_html(project, invoice)
    digits = re.search(r'data-field="barcode">(\d{54})<', html).group(1)
    code = parse_virtual_barcode(digits)
    reference = invoice.rf if kind == "rf" else invoice.reference
    assert (code.version, code.iban, code.amount_cents, code.reference, code.due_date) == \
        (version, "FI2112345600000785", invoice.total_cents, reference, invoice.due_date)
    assert "<svg" in html and 'fill="black"' in html
    assert "Faktura" in html and "Förfallodag" in html and "Porvoon kaupunki" in html and "1061512-1" in html
    assert f"{invoice.total_cents // 100:,}".replace(",", "\u00a0") in html  # 8 823,53 the Finnish and Swedish way
    body = pdf.pdf(project, invoice)
    assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")


def test_a_credit_notes_pdf_has_no_barcode(in_demo) -> None:
    with_seller()
    issuing.issue("iam", year=2026, actor="acc")
    projects.add_members("iam", ["091"], joined=D(2026, 6, 1), decision="KV", actor="lead")
    issuing.issue("iam", year=2026, actor="acc")
    html = pdf.render_html(projects.get_project("iam"), porvoo("credit-note"))
    assert 'data-field="barcode"' not in html and "Kreditnota" in html


def test_the_list_in_json_and_in_csv_for_a_citys_accounting(in_demo) -> None:
    with_seller()
    issuing.issue("iam", year=2025, date=D(2025, 2, 1), actor="acc")
    project = projects.get_project("iam")
    rows = documents.listing(project, city="638")
    data = rows[0].to_json()
    assert {k: data[k] for k in ("city", "year", "kind", "date", "due", "paid", "status")} == \
        {"city": "638", "year": 2025, "kind": "invoice", "date": "2025-02-01", "due": "2025-02-22", "paid": "0.00", "status": "open"}
    assert data["amount"] == data["outstanding"] and " " not in data["rf"] and data["reference"].isdigit()
    finnish = list(csv.reader(io.StringIO(documents.to_csv(rows, "fi")), delimiter=";"))
    assert finnish[0][:3] == ["number", "city", "name"] and finnish[1][7] == data["amount"].replace(".", ",")
    english = list(csv.reader(io.StringIO(documents.to_csv(rows, "en"))))
    assert english[1][7] == data["amount"]
    assert len(documents.listing(project, year=2026)) == 0 and len(documents.listing(project, year=2025)) == 17

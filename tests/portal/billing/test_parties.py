"""Business IDs, VAT numbers, IBAN/BIC, e-invoice addresses and operator ids."""

from __future__ import annotations

import pytest

from ledger.errors import InvalidInput
from portal.billing import parties

# Business IDs of member cities as published in the Finnish trade register (YTJ).
PUBLISHED = {
    "Porvoo": "1061512-1",
    "Kouvola": "0161075-9",
    "Seinäjoki": "1928736-3",
    "Mikkeli": "0165116-3",
    "Mäntyharju": "0165761-0",
    "Hirvensalmi": "0164384-1",
}


@pytest.mark.parametrize("business_id", PUBLISHED.values())
def test_published_business_ids_validate(business_id: str) -> None:
    assert parties.normalize_business_id(business_id) == business_id
    assert parties.normalize_business_id(business_id.replace("-", "")) == business_id
    assert parties.normalize_business_id(f"  {business_id} ") == business_id


def test_porvoo_check_digit_worked_by_hand() -> None:
    # 1*7 + 0*9 + 6*10 + 1*5 + 5*8 + 1*4 + 2*2 = 120; 120 mod 11 = 10; 11 - 10 = 1.
    assert parties.business_id_check_digit("1061512") == 1


def test_wrong_check_digit_names_the_expected_one() -> None:
    with pytest.raises(InvalidInput) as caught:
        parties.normalize_business_id("1061512-2")
    assert caught.value.message == "business ID 1061512-2 has a wrong check digit (expected 1061512-1)"


def test_seven_digits_without_a_valid_check_digit_are_refused() -> None:
    # 1*7 + 8*2 = 23; 23 mod 11 = 1, for which no business ID is issued.
    with pytest.raises(InvalidInput, match="cannot exist"):
        parties.normalize_business_id("1000008-0")


def test_old_six_digit_id_gets_its_leading_zero() -> None:
    assert parties.normalize_business_id("161075-9") == "0161075-9"


@pytest.mark.parametrize("text", ["", "106151-21", "1061512-", "A061512-1", "10615121-1"])
def test_malformed_business_ids_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="must look like 1234567-8"):
        parties.normalize_business_id(text)


def test_vat_numbers() -> None:
    assert parties.vat_number_for("1061512-1") == "FI10615121"
    assert parties.normalize_vat_number("fi 1061 5121") == "FI10615121"
    with pytest.raises(InvalidInput, match="not a valid EU VAT number"):
        parties.normalize_vat_number("FI10615122")


def test_iban_and_bic() -> None:
    assert parties.normalize_iban("fi21 1234 5600 0007 85") == "FI2112345600000785"
    assert parties.format_iban("FI2112345600000785") == "FI21 1234 5600 0007 85"
    assert parties.normalize_bic(" ndeafihh ") == "NDEAFIHH"
    assert parties.bic_for_iban("FI2112345600000785") == "NDEAFIHH"
    with pytest.raises(InvalidInput, match="IBAN 'FI21 1234 5600 0007 86' is not valid"):
        parties.normalize_iban("FI21 1234 5600 0007 86")
    with pytest.raises(InvalidInput, match="BIC 'NDEAXXHH' is not valid"):
        parties.normalize_bic("NDEAXXHH")


def test_ovt_address() -> None:
    address = parties.parse_einvoice_address("0037 1061 5121")
    assert address == parties.EInvoiceAddress("ovt", "003710615121", "0037", "003710615121")
    assert parties.parse_einvoice_address("003710615121abc12").address == "003710615121ABC12"


def test_ovt_with_a_wrong_business_id_names_the_expected_one() -> None:
    with pytest.raises(InvalidInput) as caught:
        parties.parse_einvoice_address("003710615122")
    assert caught.value.message == (
        "e-invoice address '003710615122' contains business ID 1061512-2 with a wrong check digit"
        " (expected 1061512-1)"
    )


@pytest.mark.parametrize("text", ["0037106151", "003710615121ABCDEF", "0038106151211"])
def test_malformed_ovt_addresses_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="must be 0037"):
        parties.parse_einvoice_address(text)


def test_peppol_addresses() -> None:
    assert parties.parse_einvoice_address("0216:003710615121") == parties.EInvoiceAddress(
        "peppol", "0216:003710615121", "0216", "003710615121"
    )
    assert parties.parse_einvoice_address("0212:10615121").address == "0212:1061512-1"
    assert parties.parse_einvoice_address("0213:FI10615121").value == "FI10615121"
    with pytest.raises(InvalidInput, match="wrong check digit"):
        parties.parse_einvoice_address("0216:003710615122")
    with pytest.raises(InvalidInput, match="has scheme 9999; known schemes are 0216"):
        parties.parse_einvoice_address("9999:12345")


def test_iban_as_an_einvoice_address() -> None:
    address = parties.parse_einvoice_address("FI21 1234 5600 0007 85")
    assert (address.kind, address.address, address.scheme) == ("iban", "FI2112345600000785", "IBAN")
    with pytest.raises(InvalidInput, match="IBAN"):
        parties.parse_einvoice_address("FI21 1234 5600 0007 86")


def test_garbage_is_no_einvoice_address() -> None:
    with pytest.raises(InvalidInput, match="is empty"):
        parties.parse_einvoice_address("  ")
    with pytest.raises(InvalidInput, match="neither an OVT code, a Peppol id nor an IBAN"):
        parties.parse_einvoice_address("-laskut@porvoo.fi")


def test_operator_ids() -> None:
    assert parties.parse_operator_id("003723327487") == parties.OperatorId("ovt", "003723327487")
    assert parties.parse_operator_id("ndeafihh") == parties.OperatorId("bic", "NDEAFIHH")
    assert parties.parse_operator_id("BAWCFI22").kind == "bic"
    with pytest.raises(InvalidInput, match="wrong check digit"):
        parties.parse_operator_id("003723327488")
    with pytest.raises(InvalidInput, match="neither an OVT-style id"):
        parties.parse_operator_id("E204503")

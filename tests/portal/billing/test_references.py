"""National (viitenumero) and RF (ISO 11649) references."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import InvalidInput
from portal.billing import references as refs

# Finance Finland, Bank Bar Code Guide (Pankkiviivakoodi-opas) version 5.3,
# example invoices 1-9: the national reference of each version 4 example as
# printed, and the RF reference of the matching version 5 example.  Example 3
# uses an RF reference of its own (RF02 6987 5672 0834), so it is checked apart.
GUIDE_REFERENCES = [
    ("86851 62596 19897", "RF09 8685 1625 9619 897"),
    ("55958 22432 94671", "RF06 5595 8224 3294 671"),
    ("7 75847 47906 47489", "RF84 7758 4747 9064 7489"),
    ("78 77767 96566 28687", "RF60 7877 7679 6566 2868 7"),
    ("8 68624", "RF10 8686 24"),
    ("92125 37425 25398 97737", "RF71 9212 5374 2525 3989 7737"),
    ("5907 38390", "RF66 5907 3839 0"),
    ("13 57914", "RF95 1357 914"),
]


def test_base_1234567_gives_12345672() -> None:
    assert refs.make_national_reference(1234567) == "12345672"
    assert refs.make_national_reference("123 4567") == "12345672"


def test_check_digit_zero() -> None:
    # 0*7 + 9*3 + 3*1 = 30, so the check digit is (10 - 0) mod 10 = 0.
    assert refs.make_national_reference(390) == "3900"
    assert refs.national_check_digit("390") == 0


@pytest.mark.parametrize(("printed", "_rf"), GUIDE_REFERENCES)
def test_published_national_references_validate_and_print_alike(printed: str, _rf: str) -> None:
    digits = refs.normalize_national_reference(printed)
    assert digits == printed.replace(" ", "")
    assert refs.format_national_reference(digits) == printed
    assert refs.make_national_reference(digits[:-1]) == digits


@pytest.mark.parametrize(("national", "rf"), GUIDE_REFERENCES)
def test_rf_from_national_matches_the_guide(national: str, rf: str) -> None:
    assert refs.rf_from_national(national) == rf.replace(" ", "")
    assert refs.format_rf_reference(rf.replace(" ", "")) == rf
    assert refs.rf_to_national(rf) == national.replace(" ", "")


def test_guide_example_3_rf_reference() -> None:
    national = refs.normalize_national_reference("69 87567 20834 35364")
    assert refs.format_national_reference(national) == "69 87567 20834 35364"
    assert refs.format_rf_reference("RF02698756720834") == "RF02 6987 5672 0834"
    assert refs.rf_to_national("RF02 6987 5672 0834") is None  # 698756720834 fails the 7-3-1 check


def test_rf_of_12345672() -> None:
    assert refs.rf_from_national("12345672") == "RF8512345672"
    assert refs.format_rf_reference("rf8512345672") == "RF85 1234 5672"


def test_iso_11649_example_validates() -> None:
    assert refs.normalize_rf_reference("RF18 5390 0754 7034") == "RF18539007547034"
    assert refs.format_rf_reference("RF18539007547034") == "RF18 5390 0754 7034"
    assert refs.rf_to_national("RF18539007547034") is None  # its body is no Finnish reference


def test_wrong_check_digit_names_the_expected_reference() -> None:
    with pytest.raises(InvalidInput) as caught:
        refs.normalize_national_reference("1234 5673")
    assert str(caught.value) == "reference '1234 5673' has a wrong check digit (expected 123 45672)"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("123", "has 3 significant digits"),
        ("0000123", "has 3 significant digits"),
        ("1" * 21, "has 21 significant digits"),
        ("12a45", "only digits"),
        ("", "only digits"),
        ("１２３４５６７２", "only digits"),  # full-width digits are not ASCII digits
    ],
)
def test_malformed_national_references_are_refused(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        refs.normalize_national_reference(text)


def test_leading_zeros_carry_no_meaning() -> None:
    assert refs.normalize_national_reference("00000000000012345672") == "12345672"


@pytest.mark.parametrize("base", [12, "12", -5, "1" * 20, True, 1.5])
def test_bad_bases_are_refused(base: object) -> None:
    with pytest.raises(InvalidInput):
        refs.make_national_reference(base)  # type: ignore[arg-type]


def test_wrong_rf_check_digits_name_the_expected_reference() -> None:
    with pytest.raises(InvalidInput) as caught:
        refs.normalize_rf_reference("RF17 5390 0754 7034")
    assert "expected RF18 5390 0754 7034" in str(caught.value)


@pytest.mark.parametrize("text", ["RF1", "XX18539007547034", "RF1853900754703412345678901", "RFAB1234", "RF18-53.90"])
def test_malformed_rf_references_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="must be RF, two check digits"):
        refs.normalize_rf_reference(text)


def test_parse_reference_tells_the_kinds_apart() -> None:
    assert refs.parse_reference(" 1234 5672 ") == ("national", "12345672")
    assert refs.parse_reference("rf85 1234 5672") == refs.ParsedReference("rf", "RF8512345672")
    assert refs.format_reference("RF8512345672") == "RF85 1234 5672"
    assert refs.format_reference("12345672") == "123 45672"
    with pytest.raises(InvalidInput):
        refs.parse_reference("RF86 1234 5672")


def test_reference_for_is_deterministic_valid_and_unique() -> None:
    seen: dict[str, tuple[int, int]] = {}
    for prefix in (1, 12, 123, 7, 70, 700, 99999999999):
        for number in (1, 3, 23, 230, 2300, 10**8 - 1):
            ref = refs.reference_for(prefix, number)
            assert ref == refs.reference_for(prefix, number)
            assert refs.normalize_national_reference(ref) == ref
            assert ref not in seen, f"{(prefix, number)} collides with {seen[ref]}"
            seen[ref] = (prefix, number)
    assert refs.reference_for(7, 1) == "7000000016"


@pytest.mark.parametrize(
    ("prefix", "number", "fragment"),
    [
        (0, 1, "prefix 0"),
        (1, 0, "invoice number 0"),
        (1, 10**8, "more than 8 digits"),
        (10**11, 1, "more than 11 digits"),
    ],
)
def test_reference_for_refuses_what_does_not_fit(prefix: int, number: int, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        refs.reference_for(prefix, number)


@given(st.integers(min_value=100, max_value=10**19 - 1))
def test_any_base_round_trips_through_both_forms(base: int) -> None:
    national = refs.make_national_reference(base)
    assert refs.normalize_national_reference(refs.format_national_reference(national)) == national
    rf = refs.rf_from_national(national)
    assert refs.normalize_rf_reference(refs.format_rf_reference(rf)) == rf
    assert refs.rf_to_national(rf) == national


@given(st.integers(min_value=100, max_value=10**19 - 1), st.data())
def test_any_single_wrong_digit_is_caught(base: int, data: st.DataObject) -> None:
    national = refs.make_national_reference(base)
    position = data.draw(st.integers(min_value=0, max_value=len(national) - 1))
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != national[position]]))
    typo = national[:position] + wrong + national[position + 1 :]
    if typo.lstrip("0") == typo:  # a leading zero is not a typo, it is a shorter number
        with pytest.raises(InvalidInput):
            refs.normalize_national_reference(typo)

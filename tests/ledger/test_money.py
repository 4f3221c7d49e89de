from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import InvalidInput
from ledger.money import MAX_CENTS, fmt, fmt_human, from_fmt, parse_amount, to_decimal


@pytest.mark.parametrize("text, cents", [("520000.00", 52_000_000), ("520 000,00", 52_000_000), ("0.5", 50), ("12", 1200), ("30588.24 EUR", 3_058_824)])
def test_parse_amount(text: str, cents: int) -> None:
    assert parse_amount(text) == cents


@pytest.mark.parametrize("text", ["abc", "", "1.001", "-5", "NaN", "Infinity", "1e400000"])
def test_bad_amounts_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_amount(text)


@given(st.integers(min_value=-MAX_CENTS + 1, max_value=MAX_CENTS - 1))
def test_round_trip(cents: int) -> None:
    assert parse_amount(fmt(cents), allow_negative=True) == cents
    assert parse_amount(fmt_human(cents), allow_negative=True) == cents
    assert from_fmt(fmt(cents)) == cents
    assert to_decimal(cents) == Decimal(cents) / 100


@pytest.mark.parametrize("text, cents", [
    ("530 000,00", 53_000_000), ("530\u00a0000,00", 53_000_000), ("530\u202f000,00", 53_000_000), ("1 234 567,5", 123_456_750),
    ("530000.00", 53_000_000), ("  12,5  ", 1250), ("12 €", 1200), ("12€", 1200), ("12 eur", 1200), ("0", 0), ("007", 700),
    ("9 999 999 999,99", MAX_CENTS - 1),
])
def test_finnish_and_plain_amounts(text: str, cents: int) -> None:
    assert parse_amount(text) == cents


@pytest.mark.parametrize("text", [
    "1e6", "1E6", "1e1000000", "1e-2", "NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", "1_000", "١٠٠", "۱۲", "１２", "²",
    "12²", "--5", "+-5", "5-", "0x10", "1,000.00", "1.000,00", "5 30000", "53 0000", ".5", "5.", "5,", "1..2", "1 ,5", "€",
    "EUR", "12 USD", "1\x002", "\x00", "abc", "", "   ", "9" * 5000,
])
def test_what_is_not_an_amount_gets_one_message(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"^the budget .* is not a number \(write it like 520000.00 or 520 000,00"):
        parse_amount(text, allow_negative=True, what="the budget")


@pytest.mark.parametrize("text, message", [
    ("1.001", "has more than two decimals"), ("1.000", "has more than two decimals"),
    ("10000000000", r"is too large \(at most 9.999.999.999,99 EUR\)"), ("99999999999999999999", "is too large"),
    ("-5", r"must not be negative \(got '-5'\)"), ("-0,01", "must not be negative"), ("+5", "without a sign"),
])
def test_decimals_size_and_sign_have_their_own_messages(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_amount(text)


def test_a_sign_where_it_is_allowed_and_a_long_text_cut_short_in_the_message() -> None:
    assert parse_amount("-5", allow_negative=True) == -500 and parse_amount("+5", allow_negative=True) == 500
    assert parse_amount(Decimal("12.50")) == 1250 and parse_amount(12) == 1200
    with pytest.raises(InvalidInput) as raised:
        parse_amount("x" * 100_000)
    assert len(raised.value.message) < 200 and "…" in raised.value.message
    with pytest.raises(InvalidInput, match="not a number"):
        parse_amount(Decimal("NaN"))
    with pytest.raises(InvalidInput, match="is not an amount written by the portal"):
        from_fmt("1 000,00")


def test_human_format() -> None:
    assert fmt_human(3_058_824) == "30\u00a0588,24"
    assert fmt_human(-5) == "-0,05"

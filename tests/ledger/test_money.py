from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import InvalidInput
from ledger.money import fmt, fmt_human, parse_amount, to_decimal


@pytest.mark.parametrize("text, cents", [("520000.00", 52_000_000), ("520 000,00", 52_000_000), ("0.5", 50), ("12", 1200), ("30588.24 EUR", 3_058_824)])
def test_parse_amount(text: str, cents: int) -> None:
    assert parse_amount(text) == cents


@pytest.mark.parametrize("text", ["abc", "", "1.001", "-5", "NaN", "Infinity", "1e400000"])
def test_bad_amounts_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_amount(text)


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_round_trip(cents: int) -> None:
    assert parse_amount(fmt(cents), allow_negative=True) == cents
    assert to_decimal(cents) == Decimal(cents) / 100


def test_human_format() -> None:
    assert fmt_human(3_058_824) == "30\u00a0588,24"
    assert fmt_human(-5) == "-0,05"

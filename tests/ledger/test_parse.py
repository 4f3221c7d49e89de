"""Reading what people type: the same pairs from repeated options and from the lines of a text field,
joining-fee tiers, hours, years and dates; each refusal names where the text was typed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ledger import parse
from ledger.errors import InvalidInput

D = dt.date


def lines(text: str, field: str = "percentages") -> list[parse.Item]:
    return parse.line_items(field, text)


def options(*values: str, option: str = "--percent") -> list[parse.Item]:
    return parse.option_items(option, values)


# -- items -----------------------------------------------------------------------------------------
def test_lines_skip_blanks_and_comments_and_say_where_each_pair_is() -> None:
    items = lines("# who pays what\n638=75\n\n   \n753: 25 %   # the rest\n#091=1\n")
    assert items == [parse.Item("percentages", "percentages, line 2", "638=75"),
                     parse.Item("percentages", "percentages, line 5", "753: 25 %")]
    assert lines("") == [] and lines(None) == []  # type: ignore[arg-type]


def test_options_are_one_pair_each() -> None:
    assert options("638=75", "753=25") == [parse.Item("--percent", "--percent", "638=75"), parse.Item("--percent", "--percent", "753=25")]


@pytest.mark.parametrize("text, pair", [
    ("638=75", ("638", "75")), ("638 = 75", ("638", "75")), ("638: 75", ("638", "75")), ("638:75", ("638", "75")),
    ("2025-12-31=1.00", ("2025-12-31", "1.00")), ("a:b=c", ("a:b", "c")), ("638=7=5", ("638", "7=5")),
])
def test_a_pair_splits_at_the_first_equals_sign_else_at_a_colon(text: str, pair: tuple[str, str]) -> None:
    assert parse.split_pair(parse.Item("f", "f", text), "CODE=VALUE", "638=75") == pair


@pytest.mark.parametrize("text", ["638", "=75", "638=", " : ", "638 75"])
def test_a_malformed_pair_is_refused_where_it_was_typed(text: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse.percentages(lines(f"638=50\n{text}"))
    assert raised.value.message == (f"percentages, line 2: {text.strip()!r} is not CODE=VALUE; write it as CODE=PERCENT, e.g. 638=75")


# -- pairs -----------------------------------------------------------------------------------------
def test_percentages_read_the_same_from_options_and_from_lines() -> None:
    typed = ["638=75", "753 = 24,5 %", "97: 0.5"]
    expected = {"638": "75", "753": "24.5", "097": "0.5"}
    assert parse.percentages(options(*typed)) == expected
    assert parse.percentages(lines("\n".join(typed))) == expected


@pytest.mark.parametrize("items, message", [
    (options("638=50", "638=50"), "--percent: 638 is given twice"),
    (options("97=50", "097=50"), "--percent: 097 is given twice"),  # the same city, however written
    (lines("638=50\n# 638=1\n638: 50"), "percentages: 638 is given twice"),
    (options("999=100"), "unknown municipality code 999"),
    (options("Porvoo=100"), "is not a municipality code"),
])
def test_a_key_given_twice_or_unknown_is_refused(items, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse.percentages(items)


def test_caps_floors_and_budget_years_are_amounts_in_cents() -> None:
    assert parse.amounts(lines("638=40000.00\n753: 1 234,50"), "the cap") == {"638": 4_000_000, "753": 123_450}
    with pytest.raises(InvalidInput, match="the floor of 638 'abc' is not a number"):
        parse.amounts(options("638=abc", option="--floor"), "the floor")
    with pytest.raises(InvalidInput, match=r"the cap of 753 '1\.001' has more than two decimals"):
        parse.amounts(options("753=1.001", option="--cap"), "the cap")
    assert parse.budget_years(options("2026=150000.00", "2025=80 000", option="--year")) == {2026: 15_000_000, 2025: 8_000_000}
    with pytest.raises(InvalidInput, match="'25' is not a year"):
        parse.budget_years(options("25=1.00", option="--year"))
    with pytest.raises(InvalidInput, match="the budget must not be negative"):
        parse.budget_years(lines("2025=-1", "years"))


# -- tiers -----------------------------------------------------------------------------------------
def test_tiers_name_their_last_day_and_an_open_ended_last_one() -> None:
    typed = ["2010-10-31=1.00", "2011-03-31: 3", "after=6.00"]
    expected = [(D(2010, 10, 31), 100), (D(2011, 3, 31), 300), (None, 600)]
    assert parse.tiers(options(*typed, option="--tier")) == expected
    assert parse.tiers(lines("\n".join(typed), "tiers")) == expected
    for word in ("after", "later", "*", "AFTER", "Later"):
        assert parse.tiers(options(f"{word}=6.00", option="--tier")) == [(None, 600)]


@pytest.mark.parametrize("typed, message", [
    ([], "give at least one tier"),
    (["31.12.2025=1.00"], "--tier: '31.12.2025' is not a date \\(YYYY-MM-DD\\) or “after”"),
    (["afterwards=1.00"], "'afterwards' is not a date"),
    (["after=lots"], "the price per resident in --tier 'lots' is not a number"),
    (["after"], "write it as DATE=AMOUNT, e.g. 2010-10-31=1.00 or after=6.00"),
])
def test_bad_tiers_are_refused(typed: list[str], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse.tiers(options(*typed, option="--tier"))


# -- hours, years, dates ---------------------------------------------------------------------------
@pytest.mark.parametrize("value, hours", [("7.5", "7.5"), ("1,5", "1.5"), ("24", "24"), ("0.01", "0.01"), (2, "2"),
                                          (Decimal("0.33"), "0.33"), (" 8 ", "8")])
def test_hours(value, hours: str) -> None:
    assert parse.hours(value) == Decimal(hours)


@pytest.mark.parametrize("value", ["0", "-1", "24.01", "25", "1.001", "-0", "99999999999999999999"])
def test_hours_out_of_range_are_refused(value: str) -> None:
    with pytest.raises(InvalidInput, match=f"row 3: the hours must be above 0 and at most 24 hours, with at most two decimals \\(got {value}\\)"):
        parse.hours(value, "row 3: the hours")


@pytest.mark.parametrize("value", ["abc", "", "1h", "1.5.2", "NaN", "Infinity", "1e1", "1e5000", "٧", "7_5", "²", 7.5, True])
def test_what_is_not_a_number_of_hours_is_refused(value: str) -> None:
    with pytest.raises(InvalidInput, match="is not a number of hours"):
        parse.hours(value)


def test_years_dates_and_cities() -> None:
    assert parse.year("2025") == 2025 and parse.year(" 2026 ") == 2026
    for bad in ("25", "20255", "2025.0", "２０２５", "year"):
        with pytest.raises(InvalidInput, match="is not a year \\(write it like 2025\\)"):
            parse.year(bad)
    assert parse.date(" 2026-12-01 ") == D(2026, 12, 1)
    with pytest.raises(InvalidInput, match=r"^the join date is not a date \(YYYY-MM-DD\)$"):
        parse.date("1.12.2026", "the join date")
    assert parse.city("97") == "097"
    assert parse.percent("33,5 %") == "33.5" and parse.percent("75%") == "75"


# -- strict numbers, dates and texts ---------------------------------------------------------------
@pytest.mark.parametrize("bad", ["²⁰²⁶", "٢٠٢٦", "2_026", "2026.0", "+2026", "1e3", "", "\x002026"])
def test_a_year_is_four_ascii_digits(bad: str) -> None:
    with pytest.raises(InvalidInput, match=r"is not a year \(write it like 2025\)$"):
        parse.year(bad)


def test_whole_numbers_are_ascii_digits_within_their_range() -> None:
    assert parse.number("12", "the charge") == 12 and parse.number(" 0 ", "x") == 0
    assert parse.number(str(parse.MAX_INT), "x") == parse.MAX_INT
    for bad in ("١٢", "1_2", "1e5", "-1", "+1", "1.0", "", "x", "¹"):
        with pytest.raises(InvalidInput, match="is not a whole number"):
            parse.number(bad, "the charge")
    for big in (str(parse.MAX_INT + 1), "9" * 5000):
        with pytest.raises(InvalidInput, match=f"the charge must be from 1 to {parse.MAX_INT}"):
            parse.number(big, "the charge", minimum=1)
    with pytest.raises(InvalidInput, match="--days must be from 0 to 36525"):
        parse.number("999999999", "--days", maximum=36525)


@pytest.mark.parametrize("typed, percent", [("40", "40"), ("33,5 %", "33.5"), ("040", "40"), ("0", "0"), ("100", "100"),
                                            ("12.345678", "12.345678"), ("100.0", "100.0")])
def test_percentages_read(typed: str, percent: str) -> None:
    assert parse.percent(typed) == percent


@pytest.mark.parametrize("typed, message", [
    ("1e5000", "is not a number"), ("NaN", "is not a number"), ("Infinity", "is not a number"), ("-5", "is not a number"),
    ("٤٠", "is not a number"), ("4_0", "is not a number"), ("9" * 5000, "is not a number"), ("100.01", "between 0 and 100"),
    ("99999", "between 0 and 100"), ("1.1234567", "more than 6 decimals"),
])
def test_percentages_refused(typed: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=f"^the base percentage .*{message}|^the base percentage must be {message}"):
        parse.percent(typed, "the base percentage")


@pytest.mark.parametrize("bad", ["2026-02-30", "2026-13-01", "20260101", "2026-W01-1", "٢٠٢٦-٠١-٠١", "2026-1-1", "1.12.2026", ""])
def test_dates_are_iso_in_ascii_digits(bad: str) -> None:
    with pytest.raises(InvalidInput, match=r"^the date is not a date \(YYYY-MM-DD\)$"):
        parse.date(bad)


def test_texts_are_free_of_control_characters_and_within_their_length() -> None:
    assert parse.text("Porvoo: 20 tablets é€𝄞", "the text", max_length=100) == "Porvoo: 20 tablets é€𝄞"
    assert parse.text("638=50\r\n753=50\t# x", "percentages", max_length=100, multiline=True).startswith("638")
    with pytest.raises(InvalidInput, match=r"^the text holds a control character \('\\x00'\) at character 2; remove it$"):
        parse.text("a\x00b", "the text", max_length=100)
    for bad in ("a\nb", "\t", "\x1b[31m", "\x7f", "\x85"):
        with pytest.raises(InvalidInput, match="holds a control character"):
            parse.text(bad, "the text", max_length=100)
    with pytest.raises(InvalidInput, match="holds a control character"):
        parse.text("638=50\x00", "percentages", max_length=100, multiline=True)
    with pytest.raises(InvalidInput, match=r"^the text is not valid text: character 2 is not UTF-8"):
        parse.text(b"a\xffb".decode("utf-8", "surrogateescape"), "the text", max_length=100)
    with pytest.raises(InvalidInput, match=r"^the name is longer than 200 characters \(201 given\)$"):
        parse.text("x" * 201, "the name", max_length=200)

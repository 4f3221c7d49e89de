"""The bundled municipalities: 308 of them for 2025, codes normalised, clear errors for unknown codes and years."""

from __future__ import annotations

import pytest

from ledger import municipalities as M
from ledger.errors import InvalidInput


def test_the_2025_table_has_every_municipality_once() -> None:
    cities = M.municipalities(2025)
    assert len(cities) == 308
    assert all(code == city.code and len(code) == 3 and code.isdigit() for code, city in cities.items())
    assert len({city.name for city in cities.values()}) == 308
    assert all(city.population > 0 and city.wellbeing_area for city in cities.values())
    assert cities["091"].name == "Helsinki" and cities["638"] == M.Municipality("638", "Porvoo", "Itä-Uudenmaan hyvinvointialue", 51_863)


def test_the_years_come_from_the_files() -> None:
    years = M.available_years()
    assert 2025 in years and list(years) == sorted(years)
    assert M.municipalities() == M.municipalities(years[-1])  # the latest year by default


@pytest.mark.parametrize("text, code", [("638", "638"), ("97", "097"), (" 097 ", "097"), ("5", "005"), (91, "091"), ("000", "000")])
def test_normalise_code(text, code: str) -> None:
    assert M.normalise_code(text) == code


@pytest.mark.parametrize("text", ["", " ", "abc", "1234", "0638", "-91", "6.3", "63 8", "91a"])
def test_what_is_not_a_code_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="is not a municipality code \\(three digits, for example 638\\)"):
        M.normalise_code(text)


def test_lookup() -> None:
    assert M.lookup("91").name == "Helsinki" and M.lookup(" 638 ", 2025).population == 51_863
    with pytest.raises(InvalidInput, match=r"^unknown municipality code 999$"):
        M.lookup("999")
    with pytest.raises(InvalidInput, match=r"^unknown municipality code 001$"):
        M.lookup("1")
    with pytest.raises(InvalidInput, match="is not a municipality code"):
        M.lookup("Porvoo")
    with pytest.raises(InvalidInput, match=r"^no population figures for 1990; available: .*2025"):
        M.lookup("638", 1990)

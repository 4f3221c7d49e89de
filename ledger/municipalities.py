"""Finnish municipalities with their populations, from the bundled Statistics Finland table.

See ``ledger/data/README.md`` for the source. Each year's figures are a separate file, so an
allocation by population can state, and be reproduced with, the year it used.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path
from typing import NamedTuple, Protocol

from ledger.errors import InvalidInput

DATA = Path(__file__).parent / "data"


class Municipality(NamedTuple):
    code: str
    name: str
    wellbeing_area: str
    population: int


@cache
def available_years() -> tuple[int, ...]:
    names = [p.name for p in DATA.iterdir()]
    return tuple(sorted(int(m.group(1)) for n in names if (m := re.fullmatch(r"municipalities-(\d{4})\.csv", n))))


@cache
def municipalities(year: int | None = None) -> dict[str, Municipality]:
    """All municipalities by code, with the populations of ``year`` (default: the latest year)."""
    years = available_years()
    year = years[-1] if year is None else year
    if year not in years:
        raise InvalidInput("no population figures for %(year)s; available: %(years)s", year=year, years=", ".join(map(str, years)))
    path = DATA / f"municipalities-{year}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["code"]: Municipality(row["code"], row["name"], row["wellbeing_area"], int(row["population"]))
            for row in csv.DictReader(handle)
        }


def normalise_code(text: str) -> str:
    """``"97"`` and ``" 097 "`` are Hirvensalmi's code ``"097"``; anything else (other scripts' digits too) is an error."""
    raw = str(text).strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 3:
        raise InvalidInput("%(text)s is not a municipality code (three digits, for example 638)", text=repr(str(text)[:20]))
    return raw.zfill(3)


def lookup(code: str, year: int | None = None) -> Municipality:
    """The municipality with ``code``; a clear error for a code that does not exist."""
    normalised = normalise_code(code)
    found = municipalities(year).get(normalised)
    if found is None:
        raise InvalidInput("unknown municipality code %(code)s", code=normalised)
    return found


class Figures(Protocol):
    """Where populations come from: the bundled files, or those and figures an administrator loaded."""

    def years(self) -> tuple[int, ...]: ...

    def residents(self, code: str, year: int) -> int: ...


class Bundled:
    """The figures bundled with the ledger (``ledger/data``), one file per year."""

    def years(self) -> tuple[int, ...]:
        return available_years()

    def residents(self, code: str, year: int) -> int:
        return lookup(code, year).population


BUNDLED = Bundled()


def check_year(figures: Figures, year: int) -> int:
    """A population year the figures have, or a refusal naming the years there are."""
    if year not in figures.years():
        raise InvalidInput("no population figures for %(year)s; available: %(years)s", year=year,
                           years=", ".join(map(str, figures.years())))
    return year

"""Funding: grants for a year, and state subsidies paid on logged hours × an hourly rate.

General funding (to nobody in particular) reduces its year's co-funded amount, at most the
year's budget; targeted funding reduces one member's share of its year, never below zero. What
either could not use is reported, never lost silently. A subsidy's amount is rounded to the cent
once, half up, on the total of its hours, then split over the years by each year's hours.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import NamedTuple

from ledger.allocation import largest_remainder
from ledger.cells import YearCell as Cell
from ledger.errors import InvalidInput, Phrase
from ledger.money import fmt, whole_cents

Unused = tuple[int, str | None, int]  # (year, target or None, cents) of funding left unused


class HoursEntry(NamedTuple):
    person: str
    date: dt.date
    task: str
    hours: Decimal


class Grant(NamedTuple):
    year: int
    cents: int
    text: str
    target: str | None = None       # a member code: reduces that member's share only


class Subsidy(NamedTuple):
    """A state subsidy paid on the hours actually logged × an hourly rate (cents per hour)."""

    rate_cents: int
    hours: tuple[HoursEntry, ...]
    text: str
    target: str | None = None


class SubsidyAmount(NamedTuple):
    hours: Decimal                  # all logged hours
    exact: Decimal                  # hours × rate, in cents, before rounding
    cents: int                      # rounded once, half up, on the total
    by_year: dict[int, int]         # the rounded total split by each year's hours (largest remainder)


class FundingLine(NamedTuple):
    year: int
    text: str
    target: str | None
    cents: int
    note: str = ""                  # for a subsidy: its hours, rate and the one rounding


class YearLine(NamedTuple):
    year: int
    budget: int
    general_funding: int            # applied to the year, at most its budget
    co_funded: int                  # what the members share
    unused: int                     # general funding beyond the year's budget


def subsidy_amount(subsidy: Subsidy) -> SubsidyAmount:
    """Logged hours × rate, rounded to the cent once (half up) on the total, then split by year."""
    whole_cents(subsidy.rate_cents, "the hourly rate")
    by_hours: dict[int, Fraction] = {}
    for entry in subsidy.hours:
        if not isinstance(entry.hours, (Decimal, int)) or isinstance(entry.hours, bool) or entry.hours < 0:
            raise InvalidInput("hours of %(person)s on %(date)s must be a Decimal not below zero", person=entry.person,
                               date=entry.date)
        by_hours[entry.date.year] = by_hours.get(entry.date.year, Fraction(0)) + Fraction(entry.hours)
    hours = sum((Decimal(e.hours) for e in subsidy.hours), Decimal(0))
    exact = hours * subsidy.rate_cents
    cents = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if not cents or not hours:
        return SubsidyAmount(hours, exact, cents, {})
    by_year = largest_remainder(cents, {y: h for y, h in by_hours.items() if h})[0]
    return SubsidyAmount(hours, exact, cents, dict(sorted(by_year.items())))


def funding_lines(funding: Iterable[Grant | Subsidy], codes: set[str]) -> list[FundingLine]:
    lines: list[FundingLine] = []
    for item in funding:
        if item.target is not None and item.target not in codes:
            raise InvalidInput("funding %(text)s is targeted to %(target)s, not a member", text=repr(item.text), target=item.target)
        if isinstance(item, Grant):
            lines.append(FundingLine(item.year, item.text, item.target, whole_cents(item.cents, Phrase("grant %(text)r", text=item.text))))
        else:
            amount = subsidy_amount(item)
            note = (f"{amount.hours} h x {fmt(item.rate_cents)} EUR = {amount.exact / 100} EUR, rounded half up once"
                    f" on the total to {fmt(amount.cents)} EUR, split by each year's hours by largest remainder")
            for year, cents in amount.by_year.items():
                lines.append(FundingLine(year, item.text, item.target, cents, note))
    return sorted(lines, key=lambda f: (f.year, f.text, f.target or "", f.cents, f.note))


def year_lines(budget: Mapping[int, int], lines: list[FundingLine]) -> tuple[dict[int, YearLine], list[Unused]]:
    """Each year's budget less its general funding, and the general funding left unused."""
    years: dict[int, YearLine] = {}
    unused: list[Unused] = []
    for year, cents in sorted(budget.items()):
        general = sum(f.cents for f in lines if f.year == year and f.target is None)
        applied = min(general, cents)
        years[year] = YearLine(year, cents, applied, cents - applied, general - applied)
        if general > applied:
            unused.append((year, None, general - applied))
    unused += [(f.year, None, f.cents) for f in lines if f.target is None and f.year not in budget]
    return years, unused


def targeted(lines: list[FundingLine], allocated: Mapping[Cell, int]) -> tuple[dict[Cell, int], list[Unused]]:
    """Targeted funding applied to its member's share of its year, never below zero, and what is left."""
    wanted: dict[Cell, int] = {}
    for f in lines:
        if f.target is not None:
            wanted[(f.year, f.target)] = wanted.get((f.year, f.target), 0) + f.cents
    targeted: dict[Cell, int] = {}
    unused: list[Unused] = []
    for (year, code), cents in sorted(wanted.items()):
        targeted[(year, code)] = min(cents, allocated.get((year, code), 0))
        if cents > targeted[(year, code)]:
            unused.append((year, code, cents - targeted[(year, code)]))
    return {k: v for k, v in targeted.items() if v}, unused

"""The checks a change must pass, shared by the handlers of ``ledger.changes.apply``.

Dates within the term, years not closed, texts that are texts; and what must hold after every
change, whatever the change was (docs/cost-sharing.md, section 3): every rule version governs a
year, a fixed version names every member that shares a year it governs and no code that was never
a member, caps and floors name members. Also the joiner's catch-up for closed years (section 9),
which needs the rules of the years it catches up.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ledger import municipalities as M
from ledger import parse
from ledger.budget import Charge
from ledger.errors import Conflict, InvalidInput, Phrase
from ledger.funding import funding_lines, year_lines
from ledger.money import fmt, half_up
from ledger.project import ProjectState, governed_years, subsidies, versions_by_year
from ledger.rules import RuleVersion
from ledger.sharing import Membership, periods_by_code, sharers, unbounded

MAX_TEXT = 500


def text(value: Any, what: str, *, row: int | None = None) -> str:
    """A text of a change (a charge's, a grant's): not empty, and text as :func:`ledger.parse.text` says.

    ``what`` names it (a :class:`~ledger.errors.Word`, so that pages translate it); ``row`` is the
    row of a table it is in, if any ("row 2: the person must not be empty")."""
    result = str(value or "").strip()
    if not result:
        if row is not None:
            raise InvalidInput("row %(row)s: %(what)s must not be empty", row=row, what=what)
        raise InvalidInput("%(what)s must not be empty", what=what)
    return parse.text(result, what if row is None else Phrase("row %(row)s: %(what)s", row=row, what=what), max_length=MAX_TEXT)


def open_year(state: ProjectState, year: int, what: str, when: object = None, *, row: int | None = None) -> None:
    """Refused when ``year`` is closed: ``what`` (a :class:`~ledger.errors.Word` such as "a join on")
    with its date or year ``when`` would change it; ``row`` is the row of a table it is in, if any."""
    if year not in state.closed:
        return
    if row is not None:
        raise Conflict("%(year)s is closed: row %(row)s: %(what)s %(when)s would change what was assessed for it",
                       year=year, row=row, what=what, when=when)
    if when is not None:
        raise Conflict("%(year)s is closed: %(what)s %(when)s would change what was assessed for it", year=year, what=what, when=when)
    raise Conflict("%(year)s is closed: %(what)s would change what was assessed for it", year=year, what=what)


def in_term(state: ProjectState, when: dt.date, what: str, *, row: int | None = None) -> None:
    """A date within the term itself, not only within its years; ``what`` names the date (a
    :class:`~ledger.errors.Word`), ``row`` the row of a table it is in, if any."""
    if state.in_term(when):
        return
    if row is not None:
        raise InvalidInput("row %(row)s: %(what)s %(when)s is outside the project's years (%(start)s – %(end)s)", row=row,
                           what=what, when=when, start=state.start.isoformat(), end=state.end.isoformat())
    raise InvalidInput("%(what)s %(when)s is outside the project's years (%(start)s – %(end)s)", what=what, when=when,
                       start=state.start.isoformat(), end=state.end.isoformat())


def year(state: ProjectState, value: Any) -> int:
    try:
        found = int(value)
    except (TypeError, ValueError):
        raise InvalidInput("%(value)s is not a year", value=repr(value)) from None
    if found not in state.years:
        span = f"{state.start.year}–{state.end.year}"
        raise InvalidInput("%(year)s is not one of the project's years (%(years)s)", year=found, years=span)
    return found


def bounds_name_members(state: ProjectState, version: RuleVersion) -> None:
    """Caps and floors set on a project with members name members, current or former, and nobody else."""
    if not state.members:
        return
    members = set(state.codes())
    strangers = sorted(set(version.cap_map) - members)
    if strangers:
        raise InvalidInput("the caps name non-members: %(codes)s", codes=", ".join(strangers))
    strangers = sorted(set(version.floor_map) - members)
    if strangers:
        raise InvalidInput("the floors name non-members: %(codes)s", codes=", ".join(strangers))


def version_governs(state: ProjectState) -> None:
    """The version just set governs at least one year (a later version of the same year would win)."""
    if not governed_years(state)[-1]:
        version = state.versions[-1]
        raise InvalidInput("the rule version from %(since)s would govern no year: a version from a later date in %(year)s"
                           " governs it; set this one from a later date instead", since=version.effective, year=version.effective.year)


def percentages_name_members(state: ProjectState, version: RuleVersion) -> None:
    """A fixed version set on a project with members names only members, current or former."""
    strangers = sorted(set(version.percentage_map) - set(state.codes())) if state.members else []
    if strangers:
        raise InvalidInput("the percentages name non-members: %(codes)s", codes=", ".join(strangers))


def _unnamed(state: ProjectState) -> list[tuple[RuleVersion, int, set[str]]]:
    """Each fixed version with the first open year it governs where members share unnamed, and who they are."""
    if not state.members:
        return []
    periods = periods_by_code(state.members)
    out = []
    for version, years in zip(state.versions, governed_years(state), strict=True):
        if version.kind != "fixed" or not years:
            continue
        named = set(version.percentage_map)
        for y in years:
            if y in state.closed:
                continue
            missing = set(sharers(state.policy, y, periods, state.term, state.leaver)) - named
            if missing:
                out.append((version, y, missing))
                break
    return out


def versions_name_their_members(state: ProjectState) -> None:
    """Every fixed version names each member that shares an open year it governs.

    The advice names what a lead can do: give every member's percentage with the join, a new
    version from the first year the newcomers share (under whole-term a first-time joiner shares
    every open year of the term, so that year can be before its join date).
    """
    for version, first, missing in _unnamed(state):
        raise InvalidInput("the fixed percentages from %(since)s do not name %(codes)s, who share %(year)s: give every member's"
                           " percentage with the join (a new rule version from %(first)s), or set a new rule version naming"
                           " every member", since=version.effective, codes=", ".join(sorted(missing)), year=first,
                           first=max(dt.date(first, 1, 1), state.start))


def percentages_from(state: ProjectState, codes: list[str], joined: dt.date) -> dt.date | None:
    """When ``codes`` join on ``joined``: the day a version of new fixed percentages set with the join
    must take effect from (the first day of the first open year they share that a fixed version
    governs without naming them, or the term's start), or None when no fixed version needs them."""
    fresh = [Membership(c, joined) for c in codes if (m := state.member(c)) is None or m.left is not None]
    after = state._replace(members=tuple(sorted((*state.members, *fresh))))
    years = [first for _, first, missing in _unnamed(after) if missing & set(codes)]
    return max(dt.date(min(years), 1, 1), state.start) if years else None


def catch_ups(state: ProjectState, joiners: list[str], joined: dt.date) -> list[Charge]:
    """A first-time joiner's share of each closed year before its join year, as the rules would
    have given it, each rounded half up: direct charges fixed now (section 9)."""
    if not joiners or not state.closed:
        return []
    versions = versions_by_year(state)
    periods = periods_by_code(state.members)
    budget = state.budget_map
    charges = []
    for y in sorted(state.closed):
        if y >= joined.year or not budget.get(y):
            continue
        days = sharers("whole-term", y, periods, state.term, state.leaver)
        shares = unbounded(y, budget[y] - _general(state, y), versions[y], days)
        for code in joiners:
            cents = half_up(shares.unbounded.get(code, 0))
            if cents:
                name = M.lookup(code).name
                charges.append(Charge(code, joined, cents, f"catch-up for closed year {y}: {name}'s share as the rules give it"
                                                           f" ({fmt(cents)} EUR)", "catch-up"))
    return charges


def _general(state: ProjectState, y: int) -> int:
    """The year's general funding applied, as ``ledger.funding.year_lines`` applies it."""
    lines = funding_lines([*state.grants, *(s for _, s in subsidies(state))], set(state.codes()))
    line = year_lines({y: state.budget_map[y]}, [f for f in lines if f.year == y])[0][y]
    return line.general_funding

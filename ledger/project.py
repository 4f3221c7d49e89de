"""A project's cost-sharing state, and what can be read off it: pure data, pure functions.

Every change to a project is an :class:`Op`: its kind, date, author, time, decision and parameters
(JSON-ready, so the portal can store it). ``ledger.changes.apply`` validates an op against a
:class:`ProjectState` and returns the next state. Everything an assessment needs is in the state,
including the populations frozen when a rule version was set and those of later joiners, so
replaying the stored ops from nothing gives the same state, and (``ledger.recalc.replay``) the
same entries, whatever the bundled figures say later.

This module answers the questions every interface asks of a state, each in one function: which
rule version governs a year (:func:`version_index`), which years each version governs
(:func:`governed_years`), which budget year a date counts in (:meth:`ProjectState.term_year`),
what a subsidy's logged hours are (:func:`subsidies`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from ledger.budget import Assessment, Charge, assess
from ledger.errors import InvalidInput
from ledger.funding import Grant, HoursEntry, Subsidy
from ledger.joining import Tier, joining_charge
from ledger.rules import RuleVersion, make_version
from ledger.sharing import Membership, Term

KINDS = ("project-created", "members-added", "member-withdrawn", "budget-set", "rule-set", "policy-set", "settings-set",
         "year-closed", "charge-added", "charge-cancelled", "grant-added", "subsidy-set", "hours-logged", "joining-fee-set",
         "ledger-imported", "ledger-import-reverted", "invoices-issued", "payments-imported", "payment-added",
         "payment-allocated")
#: Changes whose entries no recalculation makes (an import, its reversal, issued invoices): posted as
#: they were built, and replayed from what was stored.
POSTED_AS_BUILT = ("ledger-imported", "ledger-import-reverted", "invoices-issued",
                   "payments-imported", "payment-added", "payment-allocated")  # billing's payments (portal.billing.payments)


class Op(NamedTuple):
    """One change: what, when it takes effect, who, when it was recorded, why, and its parameters."""

    kind: str
    effective: dt.date
    actor: str
    recorded: dt.datetime
    summary: str
    decision: str = ""
    params: Mapping[str, Any] = {}

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "effective": self.effective.isoformat(), "actor": self.actor,
                "recorded": self.recorded.isoformat(), "summary": self.summary, "decision": self.decision,
                "params": dict(self.params)}

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Op:
        return Op(data["kind"], dt.date.fromisoformat(data["effective"]), data["actor"],
                  dt.datetime.fromisoformat(data["recorded"]), data["summary"], data.get("decision", ""),
                  data.get("params", {}))


class SubsidyScheme(NamedTuple):
    key: str
    rate_cents: int
    text: str
    target: str | None = None


class Logged(NamedTuple):
    scheme: str
    entry: HoursEntry


class ProjectState(NamedTuple):
    name: str
    start: dt.date
    end: dt.date
    policy: str = "whole-term"
    budget: tuple[tuple[int, int], ...] = ()            # (year, cents)
    versions: tuple[RuleVersion, ...] = ()               # in the order they were set
    members: tuple[Membership, ...] = ()                 # every period, by code then join date
    populations: tuple[tuple[int, str, int], ...] = ()   # (year, code, residents) recorded for joiners and fees
    closed: tuple[int, ...] = ()
    grants: tuple[Grant, ...] = ()
    subsidies: tuple[SubsidyScheme, ...] = ()
    hours: tuple[Logged, ...] = ()
    charges: tuple[Charge, ...] = ()                      # charges by hand, numbered 1, 2, … in the order charged
    cancelled: tuple[int, ...] = ()                       # numbers (1-based) of cancelled charges
    tiers: tuple[Tier, ...] = ()                          # joining fee per resident by date
    fee_year: int | None = None                           # whose populations the joining fee uses
    leaver: str = "keeps-years"                           # whole-term: a leaver keeps its years, or stops at once
    joiner: str = "open-years"                            # whole-term: a joiner shares open years, or catches up
    frozen: tuple[tuple[int, str, int], ...] = ()         # (year, code, cents) a closed year keeps assessed
    frozen_fees: tuple[tuple[int, str, int], ...] = ()    # (year, code, cents) of joining fees a closed year keeps
    catch_ups: tuple[Charge, ...] = ()                    # joiners' catch-ups for closed years: set by the rules, never cancelled

    @property
    def budget_map(self) -> dict[int, int]:
        return dict(self.budget)

    @property
    def total(self) -> int:
        return sum(cents for _, cents in self.budget)

    @property
    def years(self) -> range:
        return range(self.start.year, self.end.year + 1)

    @property
    def term(self) -> Term:
        return Term(self.start, self.end)

    def term_year(self, year: int) -> int:
        """``year`` brought into the project's years: a date before the start counts in the first."""
        return min(max(year, self.start.year), self.end.year)

    def in_term(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def term_day(self, day: dt.date) -> dt.date:
        """``day`` brought into the term: the default date of a change made before or after it."""
        return min(max(day, self.start), self.end)

    def periods(self, code: str) -> list[Membership]:
        """A member's periods, oldest first ([] for a city that never was one)."""
        return [m for m in self.members if m.code == code]

    def member(self, code: str) -> Membership | None:
        """A member's latest period (its open one while it is a member)."""
        periods = self.periods(code)
        return periods[-1] if periods else None

    def codes(self) -> list[str]:
        """Every member, current or former, by code."""
        return sorted({m.code for m in self.members})

    def current(self) -> list[str]:
        """Codes of the members that have not left."""
        return sorted({m.code for m in self.members if m.left is None})

    def live_charges(self) -> tuple[Charge, ...]:
        """The charges that stand: every one charged by hand, less those cancelled, and the catch-ups."""
        return (*(c for i, c in enumerate(self.charges, 1) if i not in self.cancelled), *self.catch_ups)

    def open_years(self) -> list[int]:
        return [y for y in self.years if y not in self.closed]

    def population(self, year: int, code: str) -> int | None:
        return next((n for y, c, n in self.populations if y == year and c == code), None)

    def population_years(self) -> set[int]:
        """Every reference year a joiner needs a figure for (rule versions, the joining fee)."""
        years = {v.population_year for v in self.versions if v.population_year is not None}
        return years | ({self.fee_year} if self.fee_year else set())

    def closed_cells(self) -> dict[int, dict[str, int]]:
        """What each closed year keeps assessed, by member."""
        out: dict[int, dict[str, int]] = {y: {} for y in self.closed}
        for year, code, cents in self.frozen:
            out.setdefault(year, {})[code] = cents
        return out


# -- versions in force ---------------------------------------------------------------------------
def version_index(state: ProjectState, year: int) -> int:
    """Which of ``state.versions`` governs a budget year: the one rule for it.

    The last one (by effective date, then by the order set) that takes effect in or before that
    year; before the first one takes effect, the first one.
    """
    ordered = sorted(range(len(state.versions)), key=lambda i: (state.versions[i].effective, i))
    chosen = ordered[0]
    for i in ordered:
        if state.versions[i].effective.year <= year:
            chosen = i
    return chosen


def version_for(state: ProjectState, year: int) -> RuleVersion:
    """The version in force for a year (a date outside the term counts in its nearest year)."""
    return state.versions[version_index(state, state.term_year(year))]


def governed_years(state: ProjectState) -> list[list[int]]:
    """For each of ``state.versions`` (same order), the project years it governs; [] if superseded."""
    governs: list[list[int]] = [[] for _ in state.versions]
    for year in state.years:
        governs[version_index(state, year)].append(year)
    return governs


def version_groups(versions: Mapping[int, RuleVersion]) -> list[tuple[RuleVersion, list[int]]]:
    """Each version of a years-to-versions map with the years it governs, in year order.

    A version governs a run of consecutive years (:func:`version_index` picks one per year), so
    the runs are found by the version object itself, never by comparing its fields.
    """
    groups: list[tuple[RuleVersion, list[int]]] = []
    for year in sorted(versions):
        if groups and groups[-1][0] is versions[year]:
            groups[-1][1].append(year)
        else:
            groups.append((versions[year], [year]))
    return groups


def versions_by_year(state: ProjectState) -> dict[int, RuleVersion]:
    """Each budget year's version, with the figures of its reference year for later joiners added."""
    if not state.versions:
        raise InvalidInput("the project has no cost-sharing rule")
    prepared: dict[int, RuleVersion] = {}
    out: dict[int, RuleVersion] = {}
    for year, _ in state.budget:
        index = version_index(state, year)
        if index not in prepared:
            version = state.versions[index]
            extra = {c: n for y, c, n in state.populations if y == version.population_year and c not in version.population_map}
            prepared[index] = version.with_populations(extra) if version.population_year is not None and extra else version
        out[year] = prepared[index]
    return out


# -- funding -------------------------------------------------------------------------------------
def subsidies(state: ProjectState) -> list[tuple[SubsidyScheme, Subsidy]]:
    """Each subsidy scheme with the hours logged for it: what the subsidy is paid on."""
    return [(scheme, Subsidy(scheme.rate_cents, tuple(log.entry for log in state.hours if log.scheme == scheme.key),
                             scheme.text, scheme.target))
            for scheme in state.subsidies]


def fees(state: ProjectState) -> list[Charge]:
    """Every member's joining fee, for each of its periods by that period's join date, whenever the
    fee was set (cost-sharing.md, section 9); a closed year keeps the fees it held when it closed."""
    if not state.tiers or state.fee_year is None:
        return []
    closed = set(state.closed)
    out = [Charge(code, dt.date(year, 12, 31), cents, f"joining fees kept for closed year {year}", "fee")
           for year, code, cents in state.frozen_fees if cents]
    for m in state.members:
        if m.joined.year in closed:
            continue
        residents = state.population(state.fee_year, m.code)
        if residents is None:
            raise InvalidInput("the joining fee needs the %(year)s population of %(code)s", year=state.fee_year, code=m.code)
        charge = joining_charge(m.code, residents, m.joined, state.tiers, state.fee_year)
        if charge.cents:
            out.append(charge)
    return out


def assess_state(state: ProjectState) -> Assessment | None:
    """The assessment of every member and year; None while there is no member or budget."""
    if not state.members or not state.budget:
        return None
    funding: list[Grant | Subsidy] = [*state.grants, *(subsidy for _, subsidy in subsidies(state))]
    versions = versions_by_year(state)
    return assess(state.term, state.budget_map, state.policy, versions, state.members, funding=funding,
                  charges=(*state.live_charges(), *fees(state)), closed=state.closed_cells(), leaver=state.leaver)


# -- JSON forms of the parameters ----------------------------------------------------------------
def version_to_json(v: RuleVersion) -> dict[str, Any]:
    base = None
    if v.base_percent is not None:
        base = str(Decimal(v.base_percent.numerator) / Decimal(v.base_percent.denominator))
    return {"kind": v.kind, "effective": v.effective.isoformat(), "decision": v.decision,
            "population_year": v.population_year, "populations": v.population_map, "base_percent": base,
            "percentages": {c: str(p) for c, p in v.percentages}, "caps": v.cap_map, "floors": v.floor_map}


def version_from_json(d: Mapping[str, Any]) -> RuleVersion:
    return make_version(
        d["kind"], dt.date.fromisoformat(d["effective"]), d.get("decision", ""),
        population_year=d.get("population_year"),
        populations=d.get("populations") if d.get("population_year") is not None else None,
        base_percent=d.get("base_percent"), percentages={c: Decimal(p) for c, p in (d.get("percentages") or {}).items()} or None,
        caps=d.get("caps") or None, floors=d.get("floors") or None,
    )


def settings(state: ProjectState) -> tuple[tuple[str, str], ...]:
    """What the shares were computed under, as (name, value) pairs: the export heads the file with them."""
    pairs = [("term", f"{state.start.isoformat()} – {state.end.isoformat()}"), ("policy", state.policy),
             ("leaver", state.leaver), ("joiner", state.joiner)]
    pairs += [(f"rule from {v.effective.isoformat()}", v.describe()) for v in state.versions]
    pairs.append(("closed years", ", ".join(map(str, state.closed)) or "none"))
    return tuple(pairs)

"""Applying a change to a project's state: every check a change must pass, in one place.

:func:`apply` validates an :class:`~ledger.project.Op` against a
:class:`~ledger.project.ProjectState` and returns the next state, or refuses with an
:class:`~ledger.errors.InvalidInput` or :class:`~ledger.errors.Conflict` saying why; it never
touches a ledger (``ledger.recalc`` turns the new state into entries). The helpers at the end
build the parameters an op carries (a budget total spread over the years, a joiner's figures).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from ledger import municipalities as M
from ledger import parse
from ledger.allocation import largest_remainder
from ledger.budget import Charge, Membership, check_policy
from ledger.errors import Conflict, InvalidInput
from ledger.funding import Grant, HoursEntry
from ledger.joining import joining_charge, make_tiers
from ledger.money import fmt, whole_cents
from ledger.project import KINDS, Logged, Op, ProjectState, SubsidyScheme, version_from_json, version_to_json
from ledger.rules import check_members, freeze_populations, make_version


def _text(value: Any, what: str) -> str:
    text = str(value or "").strip()
    if not text:
        raise InvalidInput(f"{what} must not be empty")
    if len(text) > 500:
        raise InvalidInput(f"{what} is longer than 500 characters")
    return text


def _city(state: ProjectState, value: Any, *, current: bool = False) -> str:
    code = M.normalise_code(str(value))
    m = state.member(code)
    if m is None or (current and m.left is not None):
        raise Conflict(f"{M.lookup(code).name} ({code}) is not {'a current' if current else 'a'} member of {state.name}")
    return code


def _open_year(state: ProjectState, year: int, what: str) -> None:
    if year in state.closed:
        raise Conflict(f"{year} is closed: {what} would change what was assessed for it")


def _in_term(state: ProjectState, when: dt.date, what: str) -> None:
    if not state.start.year <= when.year <= state.end.year:
        raise InvalidInput(f"{what} {when} is outside the project's years ({state.start.year}–{state.end.year})")


def _year(state: ProjectState, value: Any) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{value!r} is not a year") from None
    if year not in state.years:
        raise InvalidInput(f"{year} is not one of the project's years ({state.start.year}–{state.end.year})")
    return year


# -- apply ---------------------------------------------------------------------------------------
def apply(state: ProjectState | None, op: Op) -> ProjectState:
    """The state after ``op``; every refusal is an :class:`InvalidInput` or :class:`Conflict` saying why."""
    if op.kind not in KINDS:
        raise InvalidInput(f"unknown change {op.kind!r}")
    p = op.params
    if op.kind == "project-created":
        if state is not None:
            raise Conflict("the project exists already")
        start, end = dt.date.fromisoformat(p["start"]), dt.date.fromisoformat(p["end"])
        if end <= start:
            raise InvalidInput(f"the end date {end} must come after the start date {start}")
        created = ProjectState(_text(p["name"], "the project's name"), start, end, check_policy(p.get("policy", "whole-term")))
        budget = {_year(created, y): whole_cents(c, f"the budget of {y}") for y, c in p["budget"].items()}
        return created._replace(budget=tuple(sorted(budget.items())), versions=(version_from_json(p["rule"]),))
    if state is None:
        raise InvalidInput("no project: create it first")
    handler = _HANDLERS.get(op.kind)
    return handler(state, op) if handler else state


def _members_added(state: ProjectState, op: Op) -> ProjectState:
    joined, codes = op.effective, [M.normalise_code(str(c)) for c in op.params["cities"]]
    if not codes:
        raise InvalidInput("name at least one city to add")
    if len(set(codes)) != len(codes):
        raise InvalidInput("a city is named twice")
    _in_term(state, joined, "the join date")
    _open_year(state, joined.year, f"a join on {joined}")
    already = [c for c in codes if (m := state.member(c)) and m.left is None]
    if already:
        raise Conflict("already a member: " + ", ".join(f"{M.lookup(c).name} ({c})" for c in already))
    former = [c for c in codes if state.member(c)]
    if former:
        raise Conflict("a former member cannot rejoin: " + ", ".join(f"{M.lookup(c).name} ({c})" for c in former))
    figures = {(int(y), c, int(n)) for y, by_code in (op.params.get("populations") or {}).items() for c, n in by_code.items()}
    have = {(y, c) for y, c, _ in figures}
    missing = [f"{c} ({y})" for y in state.population_years() for c in codes if (y, c) not in have]
    if missing:
        raise InvalidInput(f"the change needs the population of {', '.join(missing)}")
    members = tuple(sorted((*state.members, *(Membership(c, joined) for c in codes))))
    charges = state.charges
    if state.tiers:
        pops = {c: n for y, c, n in figures if y == state.fee_year}
        charges += tuple(joining_charge(c, pops[c], joined, state.tiers, state.fee_year) for c in codes)
    return state._replace(members=members, populations=tuple(sorted({*state.populations, *figures})), charges=charges)


def _member_withdrawn(state: ProjectState, op: Op) -> ProjectState:
    code, left = _city(state, op.params["city"], current=True), op.effective
    m = state.member(code)
    assert m is not None
    if left < m.joined:
        raise InvalidInput(f"the leave date {left} is before {M.lookup(code).name} joined ({m.joined})")
    _in_term(state, left, "the leave date")
    _open_year(state, left.year, f"a withdrawal on {left}")
    members = tuple(x._replace(left=left) if x.code == code else x for x in state.members)
    return state._replace(members=members)


def _budget_set(state: ProjectState, op: Op) -> ProjectState:
    years = {_year(state, y): whole_cents(c, f"the budget of {y}") for y, c in op.params["years"].items()}
    if not years:
        raise InvalidInput("name at least one budget year")
    for year in years:
        _open_year(state, year, f"a new budget for {year}")
    return state._replace(budget=tuple(sorted({**state.budget_map, **years}.items())))


def _rule_set(state: ProjectState, op: Op) -> ProjectState:
    version = version_from_json(op.params["version"])
    _in_term(state, version.effective, "the rule's effective date")
    _open_year(state, version.effective.year, f"a rule taking effect on {version.effective}")
    check_members(version, state.current() or [m.code for m in state.members])
    return state._replace(versions=(*state.versions, version))


def _policy_set(state: ProjectState, op: Op) -> ProjectState:
    policy = check_policy(op.params["policy"])
    if policy == state.policy:
        raise Conflict(f"the policy is {policy} already")
    return state._replace(policy=policy)


def _year_closed(state: ProjectState, op: Op) -> ProjectState:
    year = _year(state, op.params["year"])
    if year in state.closed:
        raise Conflict(f"{year} is closed already")
    return state._replace(closed=tuple(sorted((*state.closed, year))))


def _charge_added(state: ProjectState, op: Op) -> ProjectState:
    code = _city(state, op.params["city"])
    when = op.effective
    _in_term(state, when, "the charge's date")
    _open_year(state, when.year, f"a charge dated {when}")
    charge = Charge(code, when, whole_cents(op.params["cents"], "the charge", positive=True), _text(op.params["text"], "the charge's text"))
    return state._replace(charges=(*state.charges, charge))


def _charge_cancelled(state: ProjectState, op: Op) -> ProjectState:
    """A charge made in error is cancelled by a reversing entry; the charge itself stays in the ledger."""
    number = op.params["number"]
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= len(state.charges):
        raise InvalidInput(f"there is no charge number {number!r} (the project has {len(state.charges)})")
    if number in state.cancelled:
        raise Conflict(f"charge {number} is cancelled already")
    charge = state.charges[number - 1]
    _open_year(state, charge.date.year, f"cancelling a charge dated {charge.date}")
    _text(op.params.get("reason"), "the reason for the cancellation")
    return state._replace(cancelled=tuple(sorted((*state.cancelled, number))))


def _grant_added(state: ProjectState, op: Op) -> ProjectState:
    year = _year(state, op.params["year"])
    _open_year(state, year, f"funding for {year}")
    target = _city(state, op.params["target"]) if op.params.get("target") else None
    grant = Grant(year, whole_cents(op.params["cents"], "the grant", positive=True), _text(op.params["text"], "the grant's text"), target)
    return state._replace(grants=(*state.grants, grant))


def _subsidy_set(state: ProjectState, op: Op) -> ProjectState:
    key = _text(op.params["key"], "the subsidy's name")
    target = _city(state, op.params["target"]) if op.params.get("target") else None
    scheme = SubsidyScheme(key, whole_cents(op.params["rate_cents"], "the hourly rate"), _text(op.params["text"], "the subsidy's text"), target)
    others = tuple(s for s in state.subsidies if s.key != key)
    return state._replace(subsidies=tuple(sorted((*others, scheme))))


def _hours_logged(state: ProjectState, op: Op) -> ProjectState:
    key = op.params["key"]
    if not any(s.key == key for s in state.subsidies):
        raise InvalidInput(f"no subsidy {key!r}: set it up first (portal subsidy set)")
    rows = op.params["entries"]
    if not rows:
        raise InvalidInput("log at least one row of hours")
    logged = []
    for i, row in enumerate(rows, 1):
        try:
            when = dt.date.fromisoformat(str(row["date"]))
        except (KeyError, ValueError):
            raise InvalidInput(f"row {i}: {row.get('date')!r} is not a date (YYYY-MM-DD)") from None
        _in_term(state, when, f"row {i}: the date")
        _open_year(state, when.year, f"row {i}: hours on {when}")
        entry = HoursEntry(_text(row.get("person"), f"row {i}: the person"), when, _text(row.get("task"), f"row {i}: the task"),
                           parse.hours(row.get("hours"), f"row {i}: the hours"))
        logged.append(Logged(key, entry))
    return state._replace(hours=(*state.hours, *logged))


def _joining_fee_set(state: ProjectState, op: Op) -> ProjectState:
    tiers = make_tiers((dt.date.fromisoformat(u) if u else None, int(c)) for u, c in op.params["tiers"])
    year = op.params.get("population_year")
    if year is not None and int(year) not in M.available_years():
        raise InvalidInput(f"no population figures for {year}; available: {', '.join(map(str, M.available_years()))}")
    return state._replace(tiers=tiers, fee_year=int(year) if year is not None else None)


_HANDLERS: dict[str, Callable[[ProjectState, Op], ProjectState]] = {
    "members-added": _members_added, "member-withdrawn": _member_withdrawn, "budget-set": _budget_set,
    "rule-set": _rule_set, "policy-set": _policy_set, "year-closed": _year_closed, "charge-added": _charge_added,
    "charge-cancelled": _charge_cancelled,
    "grant-added": _grant_added, "subsidy-set": _subsidy_set, "hours-logged": _hours_logged,
    "joining-fee-set": _joining_fee_set,
}


# -- helpers for whoever builds ops --------------------------------------------------------------
def spread(total: int, start: dt.date, end: dt.date, keep: Mapping[int, int] | None = None) -> dict[int, int]:
    """A total budget as budget years, in proportion to the project's days in each year.

    Years in ``keep`` (closed years) keep their amount; the rest of the total is spread over the
    other years by largest remainder (ties to the earlier year), so the years sum exactly to it.
    """
    keep = dict(keep or {})
    rest = total - sum(keep.values())
    if rest < 0:
        raise InvalidInput(f"the closed years hold {fmt(sum(keep.values()))} EUR already, more than {fmt(total)} EUR")
    days = {y: (min(end, dt.date(y, 12, 31)) - max(start, dt.date(y, 1, 1))).days + 1
            for y in range(start.year, end.year + 1) if y not in keep}
    if not days:
        raise InvalidInput("every year is closed: set no new total")
    shares = largest_remainder(rest, {y: Fraction(d) for y, d in days.items()})[0]
    return dict(sorted({**keep, **shares}.items()))


def population_params(state: ProjectState | None, codes: Sequence[str],
                      extra_years: Iterable[int] = ()) -> dict[str, dict[str, int]]:
    """The figures a members-added op carries: each joiner's population for every year the project uses."""
    years = (state.population_years() if state else set()) | set(extra_years)
    return {str(y): {c: M.lookup(c, y).population for c in codes} for y in sorted(years)}


def rule_params(kind: str, *, effective: dt.date, decision: str = "", population_year: int | None = None,
                codes: Sequence[str] = (), base_percent: object = None, percentages: Mapping[str, object] | None = None,
                caps: Mapping[str, int] | None = None, floors: Mapping[str, int] | None = None) -> dict[str, Any]:
    """A validated rule version as the JSON a ``rule-set`` op carries, the populations of its year frozen for ``codes``."""
    pops = None
    if kind in ("population", "hybrid"):
        if population_year is None:
            raise InvalidInput(f"the {kind} rule needs a reference year (--population-year)")
        M.municipalities(population_year)  # refuses a year without bundled figures, naming those there are
        pops = freeze_populations(codes, population_year)
    def norm(mapping: Mapping[str, Any] | None) -> dict[str, Any] | None:
        return {M.normalise_code(c): v for c, v in (mapping or {}).items()} or None

    version = make_version(kind, effective, decision, population_year=population_year if pops is not None else None,
                           populations=pops, base_percent=base_percent,
                           percentages=norm(percentages), caps=norm(caps), floors=norm(floors))
    return version_to_json(version)

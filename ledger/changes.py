"""Applying a change to a project's state: every check a change must pass, in one place.

:func:`apply` validates an :class:`~ledger.project.Op` against a
:class:`~ledger.project.ProjectState` and returns the next state, or refuses with an
:class:`~ledger.errors.InvalidInput` or :class:`~ledger.errors.Conflict` saying why; it never
touches a ledger (``ledger.recalc`` turns the new state into entries). What must hold after
every change (the rule versions name the right members) is checked in ``ledger.checks``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ledger import checks, parse
from ledger import municipalities as M
from ledger.budget import Charge, check_policy
from ledger.errors import Conflict, InvalidInput, Phrase, Word
from ledger.funding import Grant, HoursEntry
from ledger.joining import make_tiers
from ledger.money import whole_cents
from ledger.project import KINDS, Logged, Op, ProjectState, SubsidyScheme, assess_state, version_from_json
from ledger.sharing import JOINERS, LEAVERS, Membership, check_choice

_text, _open_year, _in_term, _year = checks.text, checks.open_year, checks.in_term, checks.year


def _named(code: str) -> str:
    """A member as refusals name it: ``"Sipoo (753)"``."""
    return f"{M.lookup(code).name} ({code})"


def _city(state: ProjectState, value: Any, *, current: bool = False) -> str:
    code = M.normalise_code(str(value))
    m = state.member(code)
    if m is None and not current:
        raise Conflict("%(city)s is not a member of %(project)s", city=_named(code), project=state.name)
    if m is None or (current and m.left is not None):
        raise Conflict("%(city)s is not a current member of %(project)s", city=_named(code), project=state.name)
    return code


def apply(state: ProjectState | None, op: Op) -> ProjectState:
    """The state after ``op``; every refusal is an :class:`InvalidInput` or :class:`Conflict` saying why."""
    if op.kind not in KINDS:
        raise InvalidInput("unknown change %(kind)s", kind=repr(op.kind))
    if op.kind == "project-created":
        if state is not None:
            raise Conflict("the project exists already")
        return _created(op)
    if state is None:
        raise InvalidInput("no project: create it first")
    handler = _HANDLERS.get(op.kind)
    if handler is None:  # a ledger import changes no state
        return state
    after = handler(state, op)
    checks.versions_name_their_members(after)
    return after


def _created(op: Op) -> ProjectState:
    p = op.params
    start, end = dt.date.fromisoformat(p["start"]), dt.date.fromisoformat(p["end"])
    if end <= start:
        raise InvalidInput("the end date %(end)s must come after the start date %(start)s", end=end, start=start)
    settings = p.get("settings") or {}
    created = ProjectState(_text(p["name"], Word("the project's name")), start, end, check_policy(p.get("policy", "whole-term")),
                           leaver=check_choice(settings.get("leaver", "keeps-years"), LEAVERS, Word("leaver setting")),
                           joiner=check_choice(settings.get("joiner", "open-years"), JOINERS, Word("joiner setting")))
    budget = {_year(created, y): whole_cents(c, Phrase("the budget of %(year)s", year=y)) for y, c in p["budget"].items()}
    version = version_from_json(p["rule"])
    return created._replace(budget=tuple(sorted(budget.items())), versions=(version,))


def _members_added(state: ProjectState, op: Op) -> ProjectState:
    joined, codes = op.effective, [M.lookup(str(c)).code for c in op.params["cities"]]
    if not codes:
        raise InvalidInput("name at least one city to add")
    if len(set(codes)) != len(codes):
        raise InvalidInput("a city is named twice")
    _in_term(state, joined, Word("the join date"))
    _open_year(state, joined.year, Word("a join on"), joined)
    already = [c for c in codes if (m := state.member(c)) and m.left is None]
    if already:
        raise Conflict("already a member: %(cities)s", cities=", ".join(map(_named, already)))
    early = [c for c in codes if (m := state.member(c)) and m.left is not None and joined <= m.left]
    if len(early) == 1:
        raise Conflict("a former member rejoins after its last leave date: %(city)s left on %(left)s",
                       city=_named(early[0]), left=state.member(early[0]).left)  # type: ignore[union-attr]
    if early:
        raise Conflict("a former member rejoins after its last leave date: %(cities)s",
                       cities=", ".join(f"{_named(c)} left on {state.member(c).left}" for c in early))  # type: ignore[union-attr]
    figures = {(int(y), c, int(n)) for y, by_code in (op.params.get("populations") or {}).items() for c, n in by_code.items()}
    have = {(y, c) for y, c, _ in figures} | {(y, c) for y, c, _ in state.populations}
    missing = [f"{c} ({y})" for y in sorted(state.population_years()) for c in codes if (y, c) not in have]
    if missing:
        raise InvalidInput("the change needs the population of %(missing)s", missing=", ".join(missing))
    first = [c for c in codes if state.member(c) is None]
    after = state._replace(members=tuple(sorted((*state.members, *(Membership(c, joined) for c in codes)))),
                           populations=tuple(sorted({*state.populations, *figures})))
    if op.params.get("version"):
        after = _with_version(after, version_from_json(op.params["version"]))
    if after.policy == "whole-term" and after.joiner == "catch-up":
        after = after._replace(catch_ups=(*after.catch_ups, *checks.catch_ups(after, first, joined)))
    return after


def _member_withdrawn(state: ProjectState, op: Op) -> ProjectState:
    code, left = _city(state, op.params["city"], current=True), op.effective
    m = state.member(code)
    assert m is not None
    if left < m.joined:
        raise InvalidInput("the leave date %(left)s is before %(city)s joined (%(joined)s)", left=left, city=M.lookup(code).name,
                           joined=m.joined)
    _in_term(state, left, Word("the leave date"))
    _open_year(state, left.year, Word("a withdrawal on"), left)
    members = tuple(x._replace(left=left) if x == m else x for x in state.members)
    return state._replace(members=members)


def _budget_set(state: ProjectState, op: Op) -> ProjectState:
    _in_term(state, op.effective, Word("the budget's effective date"))
    years = {_year(state, y): whole_cents(c, Phrase("the budget of %(year)s", year=y)) for y, c in op.params["years"].items()}
    if not years:
        raise InvalidInput("name at least one budget year")
    for year in years:
        _open_year(state, year, Word("a new budget for"), year)
    return state._replace(budget=tuple(sorted({**state.budget_map, **years}.items())))


def _with_version(state: ProjectState, version: Any) -> ProjectState:
    _in_term(state, version.effective, Word("the rule's effective date"))
    _open_year(state, version.effective.year, Word("a rule taking effect on"), version.effective)
    checks.bounds_name_members(state, version)
    checks.percentages_name_members(state, version)
    after = state._replace(versions=(*state.versions, version))
    checks.version_governs(after)
    return after


def _rule_set(state: ProjectState, op: Op) -> ProjectState:
    return _with_version(state, version_from_json(op.params["version"]))


def _policy_set(state: ProjectState, op: Op) -> ProjectState:
    policy = check_policy(op.params["policy"])
    if policy == state.policy:
        raise Conflict("the policy is %(policy)s already", policy=policy)
    return state._replace(policy=policy)


def _settings_set(state: ProjectState, op: Op) -> ProjectState:
    leaver = check_choice(op.params.get("leaver", state.leaver), LEAVERS, Word("leaver setting"))
    joiner = check_choice(op.params.get("joiner", state.joiner), JOINERS, Word("joiner setting"))
    if (leaver, joiner) == (state.leaver, state.joiner):
        raise Conflict("the settings are leaver %(leaver)s, joiner %(joiner)s already", leaver=leaver, joiner=joiner)
    return state._replace(leaver=leaver, joiner=joiner)


def _year_closed(state: ProjectState, op: Op) -> ProjectState:
    """Closing a year freezes what it holds now: its assessed shares and its joining fees."""
    year = _year(state, op.params["year"])
    if year in state.closed:
        raise Conflict("%(year)s is closed already", year=year)
    assessment = assess_state(state)
    frozen = tuple(sorted((year, c, v) for (y, c), v in (assessment.assessed if assessment else {}).items() if y == year))
    fees: dict[str, int] = {}
    for charge in assessment.charges if assessment else ():
        if charge.kind == "fee" and charge.date.year == year:
            fees[charge.code] = fees.get(charge.code, 0) + charge.cents
    return state._replace(closed=tuple(sorted((*state.closed, year))), frozen=(*state.frozen, *frozen),
                          frozen_fees=(*state.frozen_fees, *((year, c, v) for c, v in sorted(fees.items()))))


def _charge_added(state: ProjectState, op: Op) -> ProjectState:
    code = _city(state, op.params["city"])
    when = op.effective
    _in_term(state, when, Word("the charge's date"))
    _open_year(state, when.year, Word("a charge dated"), when)
    charge = Charge(code, when, whole_cents(op.params["cents"], Word("the charge"), positive=True),
                    _text(op.params["text"], Word("the charge's text")))
    return state._replace(charges=(*state.charges, charge))


def _charge_cancelled(state: ProjectState, op: Op) -> ProjectState:
    """A charge made in error is cancelled by a reversing entry; the charge itself stays in the ledger."""
    number = op.params["number"]
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= len(state.charges):
        raise InvalidInput("there is no charge number %(number)s (the project has %(count)s)", number=repr(number),
                           count=len(state.charges))
    if number in state.cancelled:
        raise Conflict("charge %(number)s is cancelled already", number=number)
    charge = state.charges[number - 1]
    _open_year(state, charge.date.year, Word("cancelling a charge dated"), charge.date)
    _text(op.params.get("reason"), Word("the reason for the cancellation"))
    return state._replace(cancelled=tuple(sorted((*state.cancelled, number))))


def _grant_added(state: ProjectState, op: Op) -> ProjectState:
    year = _year(state, op.params["year"])
    _open_year(state, year, Word("funding for"), year)
    target = _city(state, op.params["target"]) if op.params.get("target") else None
    grant = Grant(year, whole_cents(op.params["cents"], Word("the grant"), positive=True), _text(op.params["text"], Word("the grant's text")),
                  target)
    return state._replace(grants=(*state.grants, grant))


def _subsidy_set(state: ProjectState, op: Op) -> ProjectState:
    key = _text(op.params["key"], Word("the subsidy's name"))
    target = _city(state, op.params["target"]) if op.params.get("target") else None
    scheme = SubsidyScheme(key, whole_cents(op.params["rate_cents"], Word("the hourly rate")), _text(op.params["text"], Word("the subsidy's text")),
                           target)
    others = tuple(s for s in state.subsidies if s.key != key)
    return state._replace(subsidies=tuple(sorted((*others, scheme))))


def _hours_logged(state: ProjectState, op: Op) -> ProjectState:
    key = op.params["key"]
    if not any(s.key == key for s in state.subsidies):
        raise InvalidInput("no subsidy %(key)s: set it up first (portal subsidy set)", key=repr(key))
    rows = op.params["entries"]
    if not rows:
        raise InvalidInput("log at least one row of hours")
    logged = []
    for i, row in enumerate(rows, 1):
        when = parse.date(str(row.get("date")), Phrase("row %(row)s: %(text)r", row=i, text=row.get("date")))
        _in_term(state, when, Word("the date"), row=i)
        _open_year(state, when.year, Word("hours on"), when, row=i)
        entry = HoursEntry(_text(row.get("person"), Word("the person"), row=i), when, _text(row.get("task"), Word("the task"), row=i),
                           parse.hours(row.get("hours"), Phrase("row %(row)s: %(what)s", row=i, what=Word("the hours"))))
        logged.append(Logged(key, entry))
    return state._replace(hours=(*state.hours, *logged))


def _joining_fee_set(state: ProjectState, op: Op) -> ProjectState:
    """Every member pays the fee by its own join date, whenever the fee is set (cost-sharing.md §9)."""
    tiers = make_tiers((dt.date.fromisoformat(u) if u else None, int(c)) for u, c in op.params["tiers"])
    year = int(op.params["population_year"])
    figures = {(year, c, int(n)) for c, n in (op.params.get("populations") or {}).items()}
    have = {(y, c) for y, c, _ in figures} | {(y, c) for y, c, _ in state.populations}
    missing = [c for c in state.codes() if (year, c) not in have]
    if missing:
        raise InvalidInput("the joining fee needs the %(year)s population of %(codes)s", year=year, codes=", ".join(missing))
    return state._replace(tiers=tiers, fee_year=year, populations=tuple(sorted({*state.populations, *figures})))


_HANDLERS: dict[str, Callable[[ProjectState, Op], ProjectState]] = {
    "members-added": _members_added, "member-withdrawn": _member_withdrawn, "budget-set": _budget_set,
    "rule-set": _rule_set, "policy-set": _policy_set, "settings-set": _settings_set, "year-closed": _year_closed,
    "charge-added": _charge_added, "charge-cancelled": _charge_cancelled, "grant-added": _grant_added,
    "subsidy-set": _subsidy_set, "hours-logged": _hours_logged, "joining-fee-set": _joining_fee_set,
}

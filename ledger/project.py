"""A project's cost-sharing state, and the changes that make it: pure data, pure functions.

Every change to a project is an :class:`Op`: its kind, date, author, time, decision and parameters
(JSON-ready, so the portal can store it). :func:`apply` validates an op against a
:class:`ProjectState` and returns the next state; it never touches a ledger. Everything an
assessment needs is in the state, including the populations frozen when a rule version was set
and those of later joiners, so replaying the stored ops from nothing gives the same state, and
(``ledger.recalc.replay``) the same entries, whatever the bundled figures say later.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Mapping, NamedTuple

from ledger import municipalities as M
from ledger.budget import POLICIES, Assessment, Charge, Grant, HoursEntry, Membership, Subsidy, assess
from ledger.errors import Conflict, InvalidInput
from ledger.joining import Tier, joining_charge, make_tiers
from ledger.money import fmt
from ledger.rules import RuleVersion, check_members, make_version

KINDS = ("project-created", "members-added", "member-withdrawn", "budget-set", "rule-set", "policy-set", "year-closed",
         "charge-added", "charge-cancelled", "grant-added", "subsidy-set", "hours-logged", "joining-fee-set", "ledger-imported")


class Op(NamedTuple):
    """One change: what, when it takes effect, who, when it was recorded, why, and its parameters."""

    kind: str
    effective: dt.date
    actor: str
    recorded: dt.datetime
    summary: str
    decision: str = ""
    params: Mapping[str, Any] = {}

    def to_json(self) -> dict:
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
    members: tuple[Membership, ...] = ()                 # by code; ``left`` is the last day
    populations: tuple[tuple[int, str, int], ...] = ()   # (year, code, residents) of joiners
    closed: tuple[int, ...] = ()
    grants: tuple[Grant, ...] = ()
    subsidies: tuple[SubsidyScheme, ...] = ()
    hours: tuple[Logged, ...] = ()
    charges: tuple[Charge, ...] = ()                      # in the order they were charged
    cancelled: tuple[int, ...] = ()                       # numbers (1-based) of cancelled charges
    tiers: tuple[Tier, ...] = ()                          # joining fee per resident by date
    fee_year: int | None = None                           # whose populations the joining fee uses

    @property
    def budget_map(self) -> dict[int, int]:
        return dict(self.budget)

    @property
    def total(self) -> int:
        return sum(cents for _, cents in self.budget)

    @property
    def years(self) -> range:
        return range(self.start.year, self.end.year + 1)

    def current(self) -> list[str]:
        """Codes of the members that have not left."""
        return [m.code for m in self.members if m.left is None]

    def member(self, code: str) -> Membership | None:
        return next((m for m in self.members if m.code == code), None)

    def live_charges(self) -> tuple[Charge, ...]:
        """The charges that stand: every one charged, less those cancelled."""
        return tuple(c for i, c in enumerate(self.charges, 1) if i not in self.cancelled)

    def population_years(self) -> set[int]:
        """Every reference year a joiner needs a figure for (rule versions, the joining fee)."""
        years = {v.population_year for v in self.versions if v.population_year is not None}
        return years | ({self.fee_year} if self.fee_year else set())


# -- versions in force ---------------------------------------------------------------------------
def version_for(state: ProjectState, year: int) -> RuleVersion:
    """The version in force for a budget year: the last one (by effective date, then by the order
    set) that takes effect in or before that year; before the first one, the first one."""
    ordered = sorted(range(len(state.versions)), key=lambda i: (state.versions[i].effective, i))
    chosen = ordered[0]
    for i in ordered:
        if state.versions[i].effective.year <= year:
            chosen = i
    return state.versions[chosen]


def versions_by_year(state: ProjectState) -> dict[int, RuleVersion]:
    """Each budget year's version, with the figures of its reference year for later joiners added."""
    if not state.versions:
        raise InvalidInput("the project has no cost-sharing rule")
    prepared: dict[int, RuleVersion] = {}
    out: dict[int, RuleVersion] = {}
    for year, _ in state.budget:
        version = version_for(state, year)
        if id(version) not in prepared:
            extra = {c: n for y, c, n in state.populations if y == version.population_year and c not in version.population_map}
            prepared[id(version)] = version.with_populations(extra) if version.population_year is not None and extra else version
        out[year] = prepared[id(version)]
    return out


def assess_state(state: ProjectState) -> Assessment | None:
    """The assessment of every member and year; None while there is no member or budget."""
    if not state.members or not state.budget:
        return None
    funding: list[Grant | Subsidy] = list(state.grants)
    for scheme in state.subsidies:
        hours = tuple(log.entry for log in state.hours if log.scheme == scheme.key)
        funding.append(Subsidy(scheme.rate_cents, hours, scheme.text, scheme.target))
    return assess(state.budget_map, state.policy, versions_by_year(state), state.members, funding=funding,
                  charges=state.live_charges())


# -- JSON forms of the parameters ----------------------------------------------------------------
def version_to_json(v: RuleVersion) -> dict:
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


def _cents(value: Any, what: str, *, positive: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or (positive and value == 0):
        raise InvalidInput(f"{what} must be whole cents {'above' if positive else 'not below'} zero (got {value!r})")
    return value


def parse_hours(value: Any, what: str = "the hours") -> Decimal:
    try:
        hours = Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(f"{what} {value!r} is not a number of hours") from None
    if not hours.is_finite() or hours <= 0 or hours > 24 or hours != hours.quantize(Decimal("0.01")):
        raise InvalidInput(f"{what} must be above 0 and at most 24 hours, with at most two decimals (got {value})")
    return hours


def _text(value: Any, what: str) -> str:
    text = str(value or "").strip()
    if not text:
        raise InvalidInput(f"{what} must not be empty")
    if len(text) > 500:
        raise InvalidInput(f"{what} is longer than 500 characters")
    return text


def _city(state: ProjectState, code: Any, *, current: bool = False) -> str:
    code = M.normalise_code(str(code))
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
        if p.get("policy", "whole-term") not in POLICIES:
            raise InvalidInput(f"unknown policy {p.get('policy')!r}; choose one of: {', '.join(POLICIES)}")
        created = ProjectState(_text(p["name"], "the project's name"), start, end, p.get("policy", "whole-term"))
        budget = {_year(created, y): _cents(c, f"the budget of {y}") for y, c in p["budget"].items()}
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
    years = {_year(state, y): _cents(c, f"the budget of {y}") for y, c in op.params["years"].items()}
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
    policy = op.params["policy"]
    if policy not in POLICIES:
        raise InvalidInput(f"unknown policy {policy!r}; choose one of: {', '.join(POLICIES)}")
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
    charge = Charge(code, when, _cents(op.params["cents"], "the charge", positive=True), _text(op.params["text"], "the charge's text"))
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
    grant = Grant(year, _cents(op.params["cents"], "the grant", positive=True), _text(op.params["text"], "the grant's text"), target)
    return state._replace(grants=(*state.grants, grant))


def _subsidy_set(state: ProjectState, op: Op) -> ProjectState:
    key = _text(op.params["key"], "the subsidy's name")
    target = _city(state, op.params["target"]) if op.params.get("target") else None
    scheme = SubsidyScheme(key, _cents(op.params["rate_cents"], "the hourly rate"), _text(op.params["text"], "the subsidy's text"), target)
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
                           parse_hours(row.get("hours"), f"row {i}: the hours"))
        logged.append(Logged(key, entry))
    return state._replace(hours=(*state.hours, *logged))


def _joining_fee_set(state: ProjectState, op: Op) -> ProjectState:
    tiers = make_tiers((dt.date.fromisoformat(u) if u else None, int(c)) for u, c in op.params["tiers"])
    year = op.params.get("population_year")
    if year is not None and int(year) not in M.available_years():
        raise InvalidInput(f"no population figures for {year}; available: {', '.join(map(str, M.available_years()))}")
    return state._replace(tiers=tiers, fee_year=int(year) if year is not None else None)


_HANDLERS = {
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
    from ledger.allocation import largest_remainder

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


def population_params(state: ProjectState | None, codes: list[str], extra_years: set[int] = frozenset()) -> dict[str, dict[str, int]]:
    """The figures a members-added op carries: each joiner's population for every year the project uses."""
    years = (state.population_years() if state else set()) | set(extra_years)
    return {str(y): {c: M.lookup(c, y).population for c in codes} for y in sorted(years)}

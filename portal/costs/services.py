"""The changes to how a project's costs are shared: budget years, rule versions, the policy,
closing a year, direct charges, funding, subsidy hours and joining fees.

Each builds one op from the project's current state and runs it through the change machinery of
:mod:`portal.projects.services` (lock, apply, recalculate, post, record, commit). Every check of
whether the change makes sense is the core's (``ledger.changes.apply``); what is here only says
what the change is, in the summary the audit log and the ledger's narration carry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ledger import municipalities as M
from ledger import parse
from ledger.allocation import largest_remainder
from ledger.errors import InvalidInput, Phrase, Word
from ledger.money import fmt
from ledger.params import fee_params, rule_params, spread
from ledger.project import Op, ProjectState, version_for, version_from_json
from portal import clock
from portal.clock import today
from portal.projects.models import Project
from portal.projects.populations import Figures
from portal.projects.services import Outcome, change, city_label, make_op


def set_budget(slug: str, *, budget: int | None = None, year: int | None = None, amount: int | None = None, actor: str,
               decision: str = "", effective: dt.date | None = None) -> Outcome:
    """One year's budget (``year`` and ``amount``), or a new total spread over the open years by days."""

    def build(state: ProjectState, project: Project) -> Op:
        if year is not None:
            if amount is None:
                raise InvalidInput("give the year's amount")
            years = {year: amount}
            summary = f"Budget {year} set to {fmt(amount)} EUR (was {fmt(state.budget_map.get(year, 0))})"
        else:
            if budget is None:
                raise InvalidInput("give the new total or a year and its amount")
            years = _new_total(state, budget, effective)
            summary = f"Budget changed from {fmt(state.total)} to {fmt(budget)} EUR"
            if effective is not None:
                summary += f" from {effective.year} on"
        when = effective or state.term_day(today())
        return make_op("budget-set", when, actor, summary, decision, years={str(y): c for y, c in years.items()})

    return change(slug, build)


def _new_total(state: ProjectState, budget: int, effective: dt.date | None) -> dict[int, int]:
    """The open years' new amounts for a new total: closed years, and years before ``effective``'s year,
    keep what they hold; the rest of the total is shared over the other years in proportion to what
    each holds now (a per-year budget keeps its shape), by days only when those years hold nothing."""
    first = effective.year if effective is not None else state.start.year
    kept = {y: state.budget_map.get(y, 0) for y in range(state.start.year, state.end.year + 1)
            if y in state.closed or y < first}
    rest = budget - sum(kept.values())
    if rest < 0:
        raise InvalidInput("the years kept as they are hold %(kept)s EUR already, more than %(budget)s EUR",
                           kept=fmt(sum(kept.values())), budget=fmt(budget))
    weights = {y: c for y, c in state.budget_map.items() if y not in kept and c > 0}
    if not weights:
        return {y: c for y, c in spread(budget, state.start, state.end, kept).items() if y not in kept}
    shares = largest_remainder(rest, {y: Fraction(c) for y, c in weights.items()})[0]
    return {**{y: 0 for y in state.budget_map if y not in kept}, **shares}


def set_rule(slug: str, *, rule: str, actor: str, decision: str = "", effective: dt.date | None = None,
             population_year: int | None = None, **rule_kw: Any) -> Outcome:
    """A new rule version from ``effective`` (default: the first day of the current year)."""

    def build(state: ProjectState, project: Project) -> Op:
        when = effective or max(dt.date(today().year, 1, 1), state.start)
        version = rule_params(rule, effective=when, decision=decision, population_year=population_year, figures=Figures(),
                              codes=[m.code for m in state.members], **rule_kw)
        label = version_from_json(version).describe()
        return make_op("rule-set", when, actor, f"Rule from {when}: {label} (was {version_for(state, when.year).describe()})",
                       decision, version=version)

    return change(slug, build)


def set_policy(slug: str, *, policy: str, actor: str, decision: str = "") -> Outcome:
    return change(slug, lambda s, p: make_op("policy-set", today(), actor, f"Policy changed from {s.policy} to {policy}",
                                             decision, policy=policy))


def set_settings(slug: str, *, leaver: str | None = None, joiner: str | None = None, actor: str, decision: str = "") -> Outcome:
    """The choices the agreements leave open (docs/cost-sharing.md): how a leaver and a joiner share under whole-term."""

    def build(state: ProjectState, project: Project) -> Op:
        new = {"leaver": leaver or state.leaver, "joiner": joiner or state.joiner}
        summary = f"Settings: leaver {new['leaver']} (was {state.leaver}), joiner {new['joiner']} (was {state.joiner})"
        return make_op("settings-set", today(), actor, summary, decision, **new)

    return change(slug, build)


def close_year(slug: str, year: int, *, actor: str, decision: str = "") -> Outcome:
    return change(slug, lambda s, p: make_op("year-closed", today(), actor, f"Year {year} closed", decision, year=year))


def charge_op(city: str, amount: int, date: dt.date, text: str, actor: str, decision: str = "") -> Op:
    """The op of a direct charge: what :func:`add_charge` posts, and billing's reminder fee with its reminder."""
    code = M.lookup(city).code
    return make_op("charge-added", date, actor, f"{city_label(code)} charged {fmt(amount)} EUR: {text.strip()}",
                   decision, city=code, cents=amount, text=text)


def add_charge(slug: str, *, city: str, amount: int, date: dt.date, text: str, actor: str, decision: str = "") -> Outcome:
    op = charge_op(city, amount, date, text, actor, decision)
    return change(slug, lambda s, p: op)


def cancel_charge(slug: str, number: int, *, reason: str, actor: str, decision: str = "") -> Outcome:
    """Cancel charge ``number`` (1-based, as listed) by a reversing entry; nothing posted is edited."""

    def build(state: ProjectState, project: Project) -> Op:
        what = state.charges[number - 1] if isinstance(number, int) and 1 <= number <= len(state.charges) else None
        text = f"{city_label(what.code)}: {what.text}, {fmt(what.cents)} EUR" if what else f"number {number}"
        return make_op("charge-cancelled", today(), actor, f"Charge {number} cancelled ({text}): {(reason or '').strip()}",
                       decision, number=number, reason=(reason or "").strip())

    return change(slug, build)


def add_grant(slug: str, *, year: int, amount: int, text: str, actor: str, target: str | None = None, decision: str = "") -> Outcome:
    code = M.lookup(target).code if target else None
    whom = f" for {city_label(code)}'s share" if code else ""
    return change(slug, lambda s, p: make_op("grant-added", today(), actor, f"Funding {year}{whom}: {text.strip()}, {fmt(amount)} EUR",
                                             decision, year=year, cents=amount, text=text, target=code))


def set_subsidy(slug: str, *, key: str, rate: int, text: str, actor: str, target: str | None = None, decision: str = "") -> Outcome:
    code = M.lookup(target).code if target else None
    return change(slug, lambda s, p: make_op("subsidy-set", today(), actor,
                                             f"Subsidy {key}: {fmt(rate)} EUR per logged hour ({text.strip()})",
                                             decision, key=key, rate_cents=rate, text=text, target=code))


def log_hours(slug: str, *, key: str, rows: Sequence[Mapping[str, Any]], actor: str) -> Outcome:
    """Hours per person, date and task (``{"person", "date", "task", "hours"}``); the subsidy follows them."""
    clean = [{k: str(row.get(k, "")) for k in ("person", "date", "task", "hours")} for row in rows]
    _not_ahead(clean)
    total = sum((parse.hours(r["hours"], Phrase("row %(row)s: %(what)s", row=i, what=Word("the hours"))) for i, r in enumerate(clean, 1)), start=Decimal(0))
    return change(slug, lambda s, p: make_op("hours-logged", today(), actor, f"{total} h logged for subsidy {key}",
                                             key=key, entries=clean))


def _not_ahead(rows: Sequence[Mapping[str, str]]) -> None:
    """Hours are logged once worked: a date after today (Helsinki) is refused, not kept for years ahead."""
    last = max(clock.today(), dt.datetime.now(clock.HELSINKI).date())
    for i, row in enumerate(rows, 1):
        try:
            when = dt.date.fromisoformat(row["date"])
        except ValueError:
            continue  # the core refuses a malformed date with its own message
        if when > last:
            raise InvalidInput("row %(row)s: hours cannot be logged for %(date)s, a date after today (%(today)s); "
                               "log them once they are worked", row=i, date=when.isoformat(), today=last.isoformat())


def set_joining_fee(slug: str, *, tiers: Sequence[tuple[dt.date | None, int]], population_year: int, actor: str,
                    decision: str = "") -> Outcome:
    """The fee every member pays by its own join date; the op carries every member's residents of the year."""
    text = ", ".join(f"{fmt(c)} EUR/resident {'until ' + u.isoformat() if u else 'after'}" for u, c in tiers)

    def build(state: ProjectState, project: Project) -> Op:
        return make_op("joining-fee-set", today(), actor, f"Joining fee: {text} ({population_year} populations)", decision,
                       tiers=[[u.isoformat() if u else None, c] for u, c in tiers], population_year=population_year,
                       populations=fee_params(state, population_year, Figures()))

    return change(slug, build)

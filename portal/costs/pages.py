"""What each cost-sharing page shows and which forms it carries, and what each form changes.

``PAGES`` names, for the rules, budget, charges and funding pages, its template, its context
(what the project holds now) and its forms: the class, the roles that may use it, the change it
makes, how its choices are filled in and what it shows before anything is typed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple

from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from ledger import municipalities as M
from ledger import parse
from ledger.errors import InvalidInput, Word
from ledger.funding import subsidy_amount
from ledger.money import fmt, parse_amount
from ledger.project import ProjectState, fees, governed_years, version_for, version_to_json
from ledger.project import subsidies as project_subsidies
from portal.clock import today
from portal.costs import rows
from portal.costs import services as costs
from portal.costs.forms import (
    POLICY_CHOICES,
    POLICY_HELP,
    SETTING_CHOICES,
    BudgetYearForm,
    CancelChargeForm,
    ChargeForm,
    CloseYearForm,
    GrantForm,
    HoursForm,
    JoiningFeeForm,
    PolicyForm,
    RuleVersionForm,
    SettingsForm,
    SubsidyForm,
)
from portal.projects import privacy
from portal.projects import services as projects
from portal.projects.models import Project
from portal.projects.services import Outcome
from portal.web import BOOKKEEPERS, LEAD, city_name, day, text


def _decision(form: FlaskForm) -> str:
    return text(form.decision)


# -- the changes, one per form -------------------------------------------------------------------
def _set_rule(slug: str, form: RuleVersionForm) -> Outcome:
    kind = text(form.kind)
    uses_population = kind in ("population", "hybrid")
    return costs.set_rule(
        slug, rule=kind, effective=day(form.effective), decision=_decision(form), actor=current_user.actor,
        population_year=form.population_year.data if uses_population else None,
        base_percent=parse.percent(text(form.base_percent), "the base percentage") if text(form.base_percent).strip() else None,
        percentages=rows.percentages(form.percentage_rows, form.percentages.data) or None,
        caps=rows.amounts("caps", "the cap", form.cap_rows, form.caps.data) or None,
        floors=rows.amounts("floors", "the floor", form.floor_rows, form.floors.data) or None,
    )


def _set_budget_year(slug: str, form: BudgetYearForm) -> Outcome:
    return costs.set_budget(slug, year=form.year.data, amount=parse_amount(text(form.amount), what=Word("the year's budget")),
                            actor=current_user.actor, decision=_decision(form))


def _set_policy(slug: str, form: PolicyForm) -> Outcome:
    return costs.set_policy(slug, policy=text(form.policy), actor=current_user.actor, decision=_decision(form))


def _set_settings(slug: str, form: SettingsForm) -> Outcome:
    return costs.set_settings(slug, leaver=text(form.leaver), joiner=text(form.joiner), actor=current_user.actor,
                              decision=_decision(form))


def _close_year(slug: str, form: CloseYearForm) -> Outcome:
    if form.year.data is not None and form.year.data >= today().year:
        raise InvalidInput("%(year)s is not over yet: only a past year can be closed", year=form.year.data)
    return costs.close_year(slug, form.year.data, actor=current_user.actor, decision=_decision(form))


def _add_charge(slug: str, form: ChargeForm) -> Outcome:
    return costs.add_charge(slug, city=text(form.city), amount=parse_amount(text(form.amount), what=Word("the charge")),
                            date=day(form.date), text=text(form.text), actor=current_user.actor, decision=_decision(form))


def _set_joining_fee(slug: str, form: JoiningFeeForm) -> Outcome:
    return costs.set_joining_fee(slug, tiers=rows.tiers(form.tier_rows, form.tiers.data),
                                 population_year=form.population_year.data, actor=current_user.actor, decision=_decision(form))


def _add_grant(slug: str, form: GrantForm) -> Outcome:
    return costs.add_grant(slug, year=form.year.data, amount=parse_amount(text(form.amount), what=Word("the funding")),
                           text=text(form.text), target=text(form.target) or None, actor=current_user.actor,
                           decision=_decision(form))


def _set_subsidy(slug: str, form: SubsidyForm) -> Outcome:
    return costs.set_subsidy(slug, key=text(form.key).strip(), rate=parse_amount(text(form.rate), what=Word("the hourly rate")),
                             text=text(form.text), target=text(form.target) or None, actor=current_user.actor,
                             decision=_decision(form))


def _log_hours(slug: str, form: HoursForm) -> Outcome:
    row = {"person": text(form.person), "date": day(form.date).isoformat(), "task": text(form.task), "hours": text(form.hours)}
    return costs.log_hours(slug, key=text(form.key), rows=[row], actor=current_user.actor)


# -- choices and current values --------------------------------------------------------------------
def _members(state: ProjectState) -> list[tuple[str, str]]:
    return [(m.code, city_name(m.code)) for m in sorted(state.members, key=lambda m: M.lookup(m.code).name)]


def _years(state: ProjectState, *, open_only: bool = False) -> list[tuple[int, str]]:
    return [(y, str(y)) for y in state.years if not (open_only and y in state.closed)]


def _this_year(state: ProjectState) -> int:
    return state.term_year(today().year)


def _rule_defaults(project: Project, state: ProjectState) -> dict[str, Any]:
    """The version in force this year, as the form's starting point; from the first day of this year."""
    v = version_for(state, _this_year(state))
    effective = max(dt.date(today().year, 1, 1), state.start)
    out: dict[str, Any] = {"kind": v.kind, "effective": min(effective, state.end),
                           "percentage_rows": rows.city_defaults(v.percentage_map, [code for code, _name in _members(state)], blank=1),
                           "cap_rows": rows.city_defaults(v.cap_map, show=fmt), "floor_rows": rows.city_defaults(v.floor_map, show=fmt)}
    if v.population_year is not None:
        out["population_year"] = v.population_year
    if v.base_percent is not None:
        out["base_percent"] = version_to_json(v)["base_percent"]
    return out


def _rule_setup(form: RuleVersionForm, state: ProjectState) -> None:
    """Every row's city is chosen from the members (the text may name any code: the core judges it)."""
    choices = [("", _("Choose a city")), *_members(state)]
    for rows_field in (form.percentage_rows, form.cap_rows, form.floor_rows):
        for entry in rows_field.entries:
            entry.form.city.choices = choices


def _budget_year_setup(form: BudgetYearForm, state: ProjectState) -> None:
    form.year.choices = _years(state, open_only=True) or _years(state)


def _close_setup(form: CloseYearForm, state: ProjectState) -> None:
    """Only years that are over and not yet closed: the current year and later ones are still being spent."""
    form.year.choices = [(y, label) for y, label in _years(state, open_only=True) if y < today().year]


def _city_setup(form: ChargeForm, state: ProjectState) -> None:
    form.city.choices = _members(state)


def _cancel_setup(form: CancelChargeForm, state: ProjectState) -> None:
    form.number.choices = [(str(i), f"{i}. {c.date} {c.code} {c.text} ({fmt(c.cents)} EUR)")
                           for i, c in enumerate(state.charges, 1) if i not in state.cancelled and c.date.year not in state.closed]


def _cancel_charge(slug: str, form: CancelChargeForm) -> Outcome:
    if not text(form.number).strip():
        raise InvalidInput("choose the charge to cancel")
    number = parse.number(text(form.number), "the charge to cancel", minimum=1)
    return costs.cancel_charge(slug, number, reason=text(form.reason), decision=_decision(form), actor=current_user.actor)


def _grant_setup(form: GrantForm | SubsidyForm, state: ProjectState) -> None:
    if hasattr(form, "year"):
        form.year.choices = _years(state, open_only=True)
    form.target.choices = [("", _("The whole project (general)")),
                           *[(c, _("%(city)s's share only", city=n)) for c, n in _members(state)]]


def _hours_setup(form: HoursForm, state: ProjectState) -> None:
    form.key.choices = [(s.key, f"{s.key}: {s.text}") for s in state.subsidies]


def _fee_defaults(project: Project, state: ProjectState) -> dict[str, Any]:
    out: dict[str, Any] = {}
    out["tier_rows"] = rows.tier_defaults((t.until, t.cents_per_resident) for t in state.tiers)
    if state.fee_year:
        out["population_year"] = state.fee_year
    return out


class FormSpec(NamedTuple):
    cls: type[FlaskForm]
    roles: tuple[str, ...]
    action: Callable[[str, Any], Outcome]
    setup: Callable[[Any, ProjectState], None] | None = None
    defaults: Callable[[Project, ProjectState], dict] | None = None


# -- what each page shows --------------------------------------------------------------------------
def _rules_context(project: Project, state: ProjectState) -> dict:
    ops = projects.changes_of(project, ["project-created", "rule-set"])
    versions = []
    for i, (version, years) in enumerate(zip(state.versions, governed_years(state), strict=True)):
        versions.append({"version": version, "op": ops[i] if i < len(ops) else None, "years": years,
                     "closed": [y for y in years if y in state.closed]})
    return {"rows": list(reversed(versions)), "in_force": version_for(state, _this_year(state)), "this_year": _this_year(state),
            "members": _members(state), "settings": SETTING_CHOICES}


def _budget_context(project: Project, state: ProjectState) -> dict:
    ops = projects.changes_of(project, ["budget-set", "policy-set", "settings-set", "year-closed"])
    return {"years": [(y, c, y in state.closed) for y, c in state.budget], "total": state.total, "settings": SETTING_CHOICES,
            "policies": {key: (label, POLICY_HELP[key]) for key, label in POLICY_CHOICES}, "history": list(reversed(ops))}


def _charges_context(project: Project, state: ProjectState) -> dict:
    viewer = privacy.viewer()
    own = viewer.city
    rows = [(i, c, i in state.cancelled) for i, c in enumerate(state.charges, 1) if viewer.sees(c.code)]
    totals: dict[str, int] = defaultdict(int)
    for _number, c, cancelled in rows:
        if not cancelled:
            totals[c.code] += c.cents
    return {"charges": rows, "totals": dict(sorted(totals.items())), "own": own,
            "total": sum(totals.values()), "tiers": state.tiers, "fee_year": state.fee_year,
            "fees": privacy.charges(viewer, fees(state)), "catch_ups": privacy.charges(viewer, state.catch_ups)}


def _funding_context(project: Project, state: ProjectState) -> dict:
    viewer = privacy.viewer()
    hidden = privacy.hidden_schemes(viewer, state)
    subsidies = []
    for scheme, subsidy in privacy.schemes(viewer, project_subsidies(state)):
        amount = subsidy_amount(subsidy)
        subsidies.append({"scheme": scheme, "hours": amount.hours, "cents": amount.cents, "by_year": amount.by_year})
    by_year: dict[int, Decimal] = defaultdict(Decimal)
    by_person: dict[str, Decimal] = defaultdict(Decimal)
    hours = [log for log in state.hours if log.scheme not in hidden]
    for log in hours:
        by_year[log.entry.date.year] += log.entry.hours
        by_person[log.entry.person] += log.entry.hours
    return {"grants": privacy.grants(viewer, state.grants), "subsidies": subsidies, "hours": hours,
            "hours_by_year": dict(sorted(by_year.items())), "hours_by_person": dict(sorted(by_person.items())),
            "hours_total": sum(by_year.values(), Decimal(0)), "may_see_hours": current_user.has_role(*BOOKKEEPERS)}


class PageSpec(NamedTuple):
    template: str
    forms: dict[str, FormSpec]
    context: Callable[[Project, ProjectState], dict]


PAGES: dict[str, PageSpec] = {
    "rules": PageSpec("costs/rules.html", {
        "rule": FormSpec(RuleVersionForm, LEAD, _set_rule, _rule_setup, _rule_defaults),
    }, _rules_context),
    "budget": PageSpec("costs/budget.html", {
        "year": FormSpec(BudgetYearForm, LEAD, _set_budget_year, _budget_year_setup,
                         lambda p, s: {"year": _this_year(s) if _this_year(s) not in s.closed else None}),
        "policy": FormSpec(PolicyForm, LEAD, _set_policy, defaults=lambda p, s: {"policy": s.policy}),
        "settings": FormSpec(SettingsForm, LEAD, _set_settings, defaults=lambda p, s: {"leaver": s.leaver, "joiner": s.joiner}),
        "close": FormSpec(CloseYearForm, LEAD, _close_year, _close_setup),
    }, _budget_context),
    "charges": PageSpec("costs/charges.html", {
        "charge": FormSpec(ChargeForm, BOOKKEEPERS, _add_charge, _city_setup, lambda p, s: {"date": today()}),
        "cancel": FormSpec(CancelChargeForm, BOOKKEEPERS, _cancel_charge, _cancel_setup),
        "fee": FormSpec(JoiningFeeForm, LEAD, _set_joining_fee, defaults=_fee_defaults),
    }, _charges_context),
    "funding": PageSpec("costs/funding.html", {
        "grant": FormSpec(GrantForm, LEAD, _add_grant, _grant_setup, lambda p, s: {"year": _this_year(s)}),
        "subsidy": FormSpec(SubsidyForm, LEAD, _set_subsidy, _grant_setup),
        "hours": FormSpec(HoursForm, BOOKKEEPERS, _log_hours, _hours_setup, lambda p, s: {"date": today()}),
    }, _funding_context),
}



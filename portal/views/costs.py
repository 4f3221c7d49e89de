"""Cost-sharing pages: rule versions, budget years and policy, direct charges and joining fees, funding.

Each page lists what the project holds now (open to every member city's contact and to the
accountants) and carries the forms that change it, shown only to the roles that may use them. A
form posts to ``/p/<slug>/<page>/<form>``; the view checks the role, parses the text fields (lines
of ``CODE=VALUE``, amounts in EUR) and calls :mod:`portal.changes`. A refusal, the parser's or
the service's, is shown on the page beside the form it came from, with its status (400 for bad
input, 409 for a conflict such as a closed year), and nothing is changed. A change that went
through redirects to its change page, which shows every share before and after and any amount a
closed year kept.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any, Callable, Mapping, NamedTuple

from flask import Blueprint, abort, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ledger import municipalities as M
from ledger.budget import Subsidy, subsidy_amount
from ledger.errors import InvalidInput, LedgerError
from ledger.money import fmt, parse_amount
from ledger.project import ProjectState, version_for
from portal import changes
from portal.forms import (POLICY_CHOICES, POLICY_HELP, BudgetYearForm, CancelChargeForm, ChargeForm, CloseYearForm, GrantForm, HoursForm, JoiningFeeForm,
                          PolicyForm, RuleVersionForm, SubsidyForm)
from portal.models import Project
from portal.views.projects import VIEWERS, require

bp = Blueprint("costs", __name__)

LEAD = ("lead",)
BOOKKEEPERS = ("lead", "accountant")


@bp.app_template_filter("city_name")
def city_name(code: str | None) -> str:
    """``Porvoo (638)`` for a code; an unknown code as it is."""
    if not code:
        return ""
    try:
        return f"{M.lookup(code).name} ({M.normalise_code(code)})"
    except LedgerError:
        return str(code)


# -- parsing the text fields ---------------------------------------------------------------------
def parse_lines(text: str | None, what: str, value: Callable[[str, str], Any]) -> dict[str, Any]:
    """``"638=75\\n753=25"`` as ``{"638": value("638", "75"), ...}``; blank lines and ``#`` comments are skipped."""
    out: dict[str, Any] = {}
    for number, raw in enumerate((text or "").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        sep = "=" if "=" in line else ":" if ":" in line else None
        if sep is None:
            raise InvalidInput(f"{what}, line {number}: {raw.strip()!r} is not CODE=VALUE")
        key, val = (part.strip() for part in line.split(sep, 1))
        if not key or not val:
            raise InvalidInput(f"{what}, line {number}: {raw.strip()!r} is not CODE=VALUE")
        code = M.lookup(key).code
        if code in out:
            raise InvalidInput(f"{what}: {code} is named twice")
        out[code] = value(code, val)
    return out


def _percent(code: str, text: str) -> str:
    return text.rstrip("%").strip().replace(",", ".")


def _amounts(what: str) -> Callable[[str, str], int]:
    return lambda code, text: parse_amount(text, what=f"the {what} of {code}")


def parse_tiers(text: str) -> list[tuple[dt.date | None, int]]:
    """``"2010-10-31=1.00\\nafter=6.00"`` as joining-fee tiers (last date inclusive, cents per resident)."""
    tiers: list[tuple[dt.date | None, int]] = []
    for number, raw in enumerate((text or "").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "=" not in line:
            raise InvalidInput(f"tier line {number}: {raw.strip()!r} is not DATE=PRICE or after=PRICE")
        until_text, price = (part.strip() for part in line.split("=", 1))
        if until_text.lower() in ("after", "later", "*"):
            until = None
        else:
            try:
                until = dt.date.fromisoformat(until_text)
            except ValueError:
                raise InvalidInput(f"tier line {number}: {until_text!r} is not a date (YYYY-MM-DD) or “after”") from None
        tiers.append((until, parse_amount(price, what=f"the price of tier line {number}")))
    if not tiers:
        raise InvalidInput("give at least one tier")
    return tiers


def _lines(mapping: Mapping[str, Any], show: Callable[[Any], str] = str) -> str:
    return "\n".join(f"{code}={show(v)}" for code, v in sorted(mapping.items()))


def _decision(form: FlaskForm) -> str:
    return form.decision.data or ""


# -- the changes, one per form -------------------------------------------------------------------
def _set_rule(slug: str, form: RuleVersionForm) -> changes.Outcome:
    kind = form.kind.data
    uses_population = kind in ("population", "hybrid")
    return changes.set_rule(
        slug, rule=kind, effective=form.effective.data, decision=_decision(form), actor=current_user.actor,
        population_year=form.population_year.data if uses_population else None,
        base_percent=_percent("", form.base_percent.data) if (form.base_percent.data or "").strip() else None,
        percentages=parse_lines(form.percentages.data, "percentages", _percent) or None,
        caps=parse_lines(form.caps.data, "caps", _amounts("cap")) or None,
        floors=parse_lines(form.floors.data, "floors", _amounts("floor")) or None,
    )


def _set_budget_year(slug: str, form: BudgetYearForm) -> changes.Outcome:
    return changes.set_budget(slug, year=form.year.data, amount=parse_amount(form.amount.data, what="the year's budget"),
                              actor=current_user.actor, decision=_decision(form))


def _set_policy(slug: str, form: PolicyForm) -> changes.Outcome:
    return changes.set_policy(slug, policy=form.policy.data, actor=current_user.actor, decision=_decision(form))


def _close_year(slug: str, form: CloseYearForm) -> changes.Outcome:
    return changes.close_year(slug, form.year.data, actor=current_user.actor, decision=_decision(form))


def _add_charge(slug: str, form: ChargeForm) -> changes.Outcome:
    return changes.add_charge(slug, city=form.city.data, amount=parse_amount(form.amount.data, what="the charge"),
                              date=form.date.data, text=form.text.data, actor=current_user.actor, decision=_decision(form))


def _set_joining_fee(slug: str, form: JoiningFeeForm) -> changes.Outcome:
    return changes.set_joining_fee(slug, tiers=parse_tiers(form.tiers.data), population_year=form.population_year.data,
                                   actor=current_user.actor, decision=_decision(form))


def _add_grant(slug: str, form: GrantForm) -> changes.Outcome:
    return changes.add_grant(slug, year=form.year.data, amount=parse_amount(form.amount.data, what="the funding"),
                             text=form.text.data, target=form.target.data or None, actor=current_user.actor,
                             decision=_decision(form))


def _set_subsidy(slug: str, form: SubsidyForm) -> changes.Outcome:
    return changes.set_subsidy(slug, key=form.key.data.strip(), rate=parse_amount(form.rate.data, what="the hourly rate"),
                               text=form.text.data, target=form.target.data or None, actor=current_user.actor,
                               decision=_decision(form))


def _log_hours(slug: str, form: HoursForm) -> changes.Outcome:
    row = {"person": form.person.data, "date": form.date.data.isoformat(), "task": form.task.data, "hours": form.hours.data}
    return changes.log_hours(slug, key=form.key.data, rows=[row], actor=current_user.actor)


# -- choices and current values --------------------------------------------------------------------
def _members(state: ProjectState) -> list[tuple[str, str]]:
    return [(m.code, city_name(m.code)) for m in sorted(state.members, key=lambda m: M.lookup(m.code).name)]


def _years(state: ProjectState, *, open_only: bool = False) -> list[tuple[int, str]]:
    return [(y, str(y)) for y in state.years if not (open_only and y in state.closed)]


def _this_year(state: ProjectState) -> int:
    return min(max(changes.today().year, state.start.year), state.end.year)


def _rule_defaults(project: Project, state: ProjectState) -> dict:
    """The version in force this year, as the form's starting point; from the first day of this year."""
    v = version_for(state, _this_year(state))
    effective = max(dt.date(changes.today().year, 1, 1), state.start)
    out: dict[str, Any] = {"kind": v.kind, "effective": min(effective, state.end),
                           "percentages": _lines(v.percentage_map), "caps": _lines(v.cap_map, fmt),
                           "floors": _lines(v.floor_map, fmt)}
    if v.population_year is not None:
        out["population_year"] = v.population_year
    if v.base_percent is not None:
        out["base_percent"] = str(Decimal(v.base_percent.numerator) / Decimal(v.base_percent.denominator))
    return out


def _budget_year_setup(form: BudgetYearForm, state: ProjectState) -> None:
    form.year.choices = _years(state, open_only=True) or _years(state)


def _close_setup(form: CloseYearForm, state: ProjectState) -> None:
    form.year.choices = _years(state, open_only=True)


def _city_setup(form: ChargeForm, state: ProjectState) -> None:
    form.city.choices = _members(state)


def _cancel_setup(form: CancelChargeForm, state: ProjectState) -> None:
    form.number.choices = [(str(i), f"{i}. {c.date} {c.code} {c.text} ({fmt(c.cents)} EUR)")
                           for i, c in enumerate(state.charges, 1) if i not in state.cancelled and c.date.year not in state.closed]


def _cancel_charge(slug: str, form: CancelChargeForm) -> changes.Outcome:
    try:
        number = int(form.number.data or "")
    except ValueError:
        raise InvalidInput("choose the charge to cancel") from None
    return changes.cancel_charge(slug, number, reason=form.reason.data, decision=form.decision.data, actor=current_user.actor)


def _grant_setup(form: GrantForm | SubsidyForm, state: ProjectState) -> None:
    if hasattr(form, "year"):
        form.year.choices = _years(state, open_only=True)
    form.target.choices = [("", "The whole project (general)")] + [(c, f"{n}'s share only") for c, n in _members(state)]


def _hours_setup(form: HoursForm, state: ProjectState) -> None:
    form.key.choices = [(s.key, f"{s.key}: {s.text}") for s in state.subsidies]


def _fee_defaults(project: Project, state: ProjectState) -> dict:
    out: dict[str, Any] = {}
    if state.tiers:
        out["tiers"] = "\n".join(f"{t.until.isoformat() if t.until else 'after'}={fmt(t.cents_per_resident)}" for t in state.tiers)
    if state.fee_year:
        out["population_year"] = state.fee_year
    return out


class FormSpec(NamedTuple):
    cls: type[FlaskForm]
    roles: tuple[str, ...]
    action: Callable[[str, Any], changes.Outcome]
    setup: Callable[[Any, ProjectState], None] | None = None
    defaults: Callable[[Project, ProjectState], dict] | None = None


# -- what each page shows --------------------------------------------------------------------------
def _rules_context(project: Project, state: ProjectState) -> dict:
    ops = changes.changes_of(project, ["project-created", "rule-set"])
    governs: dict[int, list[int]] = defaultdict(list)
    for year in state.years:
        chosen = version_for(state, year)
        index = next(i for i, v in enumerate(state.versions) if v is chosen)
        governs[index].append(year)
    rows = []
    for i, version in enumerate(state.versions):
        op = ops[i] if i < len(ops) else None
        rows.append({"version": version, "op": op, "years": governs.get(i, []),
                     "closed": [y for y in governs.get(i, []) if y in state.closed]})
    return {"rows": list(reversed(rows)), "in_force": version_for(state, _this_year(state)), "this_year": _this_year(state),
            "members": _members(state)}


def _budget_context(project: Project, state: ProjectState) -> dict:
    ops = changes.changes_of(project, ["budget-set", "policy-set", "year-closed"])
    return {"years": [(y, c, y in state.closed) for y, c in state.budget], "total": state.total,
            "policies": {key: (label, POLICY_HELP[key]) for key, label in POLICY_CHOICES}, "history": list(reversed(ops))}


def _charges_context(project: Project, state: ProjectState) -> dict:
    own = _own_city_only()
    rows = [(i, c, i in state.cancelled) for i, c in enumerate(state.charges, 1) if own is None or c.code == own]
    totals: dict[str, int] = defaultdict(int)
    for _, c, cancelled in rows:
        if not cancelled:
            totals[c.code] += c.cents
    return {"charges": rows, "totals": dict(sorted(totals.items())), "own": own,
            "total": sum(totals.values()), "tiers": state.tiers, "fee_year": state.fee_year}


def _funding_context(project: Project, state: ProjectState) -> dict:
    subsidies = []
    for s in state.subsidies:
        entries = tuple(log.entry for log in state.hours if log.scheme == s.key)
        amount = subsidy_amount(Subsidy(s.rate_cents, entries, s.text, s.target))
        subsidies.append({"scheme": s, "hours": amount.hours, "cents": amount.cents, "by_year": amount.by_year})
    by_year: dict[int, Decimal] = defaultdict(Decimal)
    by_person: dict[str, Decimal] = defaultdict(Decimal)
    for log in state.hours:
        by_year[log.entry.date.year] += log.entry.hours
        by_person[log.entry.person] += log.entry.hours
    return {"grants": state.grants, "subsidies": subsidies, "hours": list(state.hours),
            "hours_by_year": dict(sorted(by_year.items())), "hours_by_person": dict(sorted(by_person.items())),
            "hours_total": sum(by_year.values(), Decimal(0)), "may_see_hours": current_user.has_role(*BOOKKEEPERS)}


def _own_city_only() -> str | None:
    """A contact (without a wider role) sees its own city's line items only."""
    if current_user.has_role("lead", "accountant"):
        return None
    return current_user.city_code or ""


class PageSpec(NamedTuple):
    template: str
    forms: dict[str, FormSpec]
    context: Callable[[Project, ProjectState], dict]


PAGES: dict[str, PageSpec] = {
    "rules": PageSpec("costs/rules.html", {
        "rule": FormSpec(RuleVersionForm, LEAD, _set_rule, defaults=_rule_defaults),
    }, _rules_context),
    "budget": PageSpec("costs/budget.html", {
        "year": FormSpec(BudgetYearForm, LEAD, _set_budget_year, _budget_year_setup,
                         lambda p, s: {"year": _this_year(s) if _this_year(s) not in s.closed else None}),
        "policy": FormSpec(PolicyForm, LEAD, _set_policy, defaults=lambda p, s: {"policy": s.policy}),
        "close": FormSpec(CloseYearForm, LEAD, _close_year, _close_setup),
    }, _budget_context),
    "charges": PageSpec("costs/charges.html", {
        "charge": FormSpec(ChargeForm, BOOKKEEPERS, _add_charge, _city_setup, lambda p, s: {"date": changes.today()}),
        "cancel": FormSpec(CancelChargeForm, BOOKKEEPERS, _cancel_charge, _cancel_setup),
        "fee": FormSpec(JoiningFeeForm, LEAD, _set_joining_fee, defaults=_fee_defaults),
    }, _charges_context),
    "funding": PageSpec("costs/funding.html", {
        "grant": FormSpec(GrantForm, LEAD, _add_grant, _grant_setup, lambda p, s: {"year": _this_year(s)}),
        "subsidy": FormSpec(SubsidyForm, LEAD, _set_subsidy, _grant_setup),
        "hours": FormSpec(HoursForm, BOOKKEEPERS, _log_hours, _hours_setup, lambda p, s: {"date": changes.today()}),
    }, _funding_context),
}


def _error(exc: LedgerError) -> str:
    details = "; ".join(exc.details)
    return exc.message + (f" ({details})" if details else "")


def serve(slug: str, page: str, which: str | None = None) -> ResponseReturnValue:
    """The page with its forms; with ``which``, the POST of that form (a change, or the page with its error)."""
    spec = PAGES[page]
    require(*VIEWERS)
    if which is not None:
        if which not in spec.forms:
            abort(404)
        require(*spec.forms[which].roles)
    project = changes.get_project(slug)
    state = changes.state_for(project)
    forms: dict[str, FlaskForm] = {}
    for name, f in spec.forms.items():
        if not current_user.has_role(*f.roles):
            continue
        if name == which:
            form = f.cls(prefix=name)
        else:  # a form not posted shows the project as it is, not another form's request data
            form = f.cls(prefix=name, formdata=None, **(f.defaults(project, state) if f.defaults else {}))
        if f.setup:
            f.setup(form, state)
        forms[name] = form
    errors: dict[str, str | None] = dict.fromkeys(forms)
    status = 200
    if which is not None:
        form = forms[which]
        if form.validate_on_submit():
            try:
                outcome = spec.forms[which].action(slug, form)
            except LedgerError as exc:
                errors[which], status = _error(exc), exc.status
            else:
                return redirect(url_for("projects.change", slug=project.slug, event_id=outcome.event.id))
        else:
            status = 400
    return render_template(spec.template, project=project, state=state, forms=forms, errors=errors, posted=which,
                           **spec.context(project, state)), status


@bp.get("/p/<slug>/rules")
@login_required
def rules(slug: str) -> ResponseReturnValue:
    return serve(slug, "rules")


@bp.get("/p/<slug>/budget")
@login_required
def budget(slug: str) -> ResponseReturnValue:
    return serve(slug, "budget")


@bp.get("/p/<slug>/charges")
@login_required
def charges(slug: str) -> ResponseReturnValue:
    return serve(slug, "charges")


@bp.get("/p/<slug>/funding")
@login_required
def funding(slug: str) -> ResponseReturnValue:
    return serve(slug, "funding")


@bp.post("/p/<slug>/<any(rules, budget, charges, funding):page>/<which>")
@login_required
def post(slug: str, page: str, which: str) -> ResponseReturnValue:
    return serve(slug, page, which)

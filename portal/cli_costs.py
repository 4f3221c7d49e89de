"""The ``portal`` commands that change how a project's costs are shared.

Projects, budgets by year, rule versions, the policy, closing a year, direct charges, grants,
subsidies on logged hours and joining fees. Each change is one call to ``portal.changes``; the
command prints its summary, every share that moved, what a closed year kept out and the charges
posted. Bad input exits with status 2 and the core's message; nothing is posted then.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from typing import Callable, Iterable, TypeVar

import click
from flask.cli import with_appcontext

from ledger import municipalities as M
from ledger.budget import Subsidy, subsidy_amount
from ledger.errors import LedgerError
from ledger.money import fmt, parse_amount
from ledger.project import version_for, version_from_json
from portal import changes
from portal.cli import DATE, BadInput, _actor, _print_changes, refusing

T = TypeVar("T")
RULES = click.Choice(["equal", "population", "hybrid", "fixed"])
POLICIES = click.Choice(["whole-term", "pro-rata"])
HOURS_COLUMNS = ("person", "date", "task", "hours")


# -- parsing KEY=VALUE options -------------------------------------------------------------------
def _pairs(values: Iterable[str], option: str, example: str, key: Callable[[str], T], value: Callable[[str], object]) -> dict[T, object]:
    """``("638=75", "753=25")`` as ``{key("638"): value("75"), ...}``; a malformed or repeated key exits 2."""
    out: dict[T, object] = {}
    for raw in values:
        left, sep, right = raw.partition("=")
        if not sep or not left.strip() or not right.strip():
            raise BadInput(f"{option} {raw!r}: write it as {example}")
        k = key(left.strip())
        if k in out:
            raise BadInput(f"{option}: {left.strip()} is given twice")
        out[k] = value(right.strip())
    return out


def _amount(what: str) -> Callable[[str], int]:
    return lambda text: parse_amount(text, what=what)


def _year(text: str) -> int:
    if not text.isdigit() or len(text) != 4:
        raise BadInput(f"{text!r} is not a year (write it like 2025)")
    return int(text)


def rule_kw(base_percent: str | None, percents: tuple[str, ...], caps: tuple[str, ...], floors: tuple[str, ...]) -> dict:
    """The rule options as keyword arguments of ``changes.create_project`` and ``changes.set_rule``."""
    return {
        "base_percent": base_percent,
        "percentages": _pairs(percents, "--percent", "CODE=PERCENT, e.g. 638=75", M.normalise_code, str) or None,
        "caps": _pairs(caps, "--cap", "CODE=AMOUNT, e.g. 638=40000.00", M.normalise_code, _amount("the cap")) or None,
        "floors": _pairs(floors, "--floor", "CODE=AMOUNT, e.g. 638=10000.00", M.normalise_code, _amount("the floor")) or None,
    }


def rule_options(fn):
    """The options of a rule version, shared by ``project create`` and ``rule set``."""
    for option in reversed([
        click.option("--population-year", type=int, default=None, help="Whose populations the population and hybrid rules use."),
        click.option("--base-percent", default=None, help="Hybrid: the percentage split equally (the rest by population), e.g. 40."),
        click.option("--percent", "percents", multiple=True, metavar="CODE=PERCENT", help="Fixed: one member's percentage; repeat for every member."),
        click.option("--cap", "caps", multiple=True, metavar="CODE=AMOUNT", help="The most a member pays over the term (EUR); repeatable."),
        click.option("--floor", "floors", multiple=True, metavar="CODE=AMOUNT", help="The least a member pays over the term (EUR); repeatable."),
    ]):
        fn = option(fn)
    return fn


def _report(outcome: changes.Outcome) -> None:
    click.echo(outcome.event.details["summary"])
    _print_changes(outcome)


def _name(code: str) -> str:
    return M.lookup(code).name


# -- project -------------------------------------------------------------------------------------
@click.group("project", help="Create consortium projects.")
def project_group() -> None:
    pass


@project_group.command("create", help="Create a project with its budget (a total or by years), rule and policy.")
@click.argument("slug")
@click.option("--name", required=True, help="The project's name.")
@click.option("--budget", default=None, help="Total budget in EUR, e.g. 520000.00, spread over the years by days.")
@click.option("--year", "years", multiple=True, metavar="YEAR=AMOUNT", help="One year's budget, e.g. 2025=80000.00; repeat for every year.")
@click.option("--start", required=True, type=DATE)
@click.option("--end", required=True, type=DATE)
@click.option("--rule", required=True, type=RULES)
@rule_options
@click.option("--policy", type=POLICIES, default="whole-term", show_default=True,
              help="whole-term: every member pays its share of the whole term; pro-rata: by days of membership each year.")
@click.option("--decision", default="", help="Reference of the decision founding the project.")
@with_appcontext
@refusing
def project_create(slug, name, budget, years, start, end, rule, population_year, base_percent, percents, caps, floors,
                   policy, decision) -> None:
    by_year = _pairs(years, "--year", "YEAR=AMOUNT, e.g. 2025=80000.00", _year, _amount("the budget")) or None
    outcome = changes.create_project(
        slug, name=name, start=start.date(), end=end.date(), rule=rule, population_year=population_year,
        budget=parse_amount(budget, what="budget") if budget is not None else None, years=by_year, policy=policy,
        actor=_actor(), decision=decision, **rule_kw(base_percent, percents, caps, floors),
    )
    details = outcome.event.details
    click.echo(f"created project {slug} ({details['rule']}, {details['policy']}, budget {details['budget']} EUR)")
    state = changes.state_for(changes.get_project(slug))
    click.echo("  budget by year: " + ", ".join(f"{y} {fmt(c)}" for y, c in state.budget))


# -- budget --------------------------------------------------------------------------------------
@click.group("budget", help="A project's budget by year.")
def budget_group() -> None:
    pass


@budget_group.command("set", help="Set one year's budget (--year), or a new total spread over the open years by days.")
@click.argument("slug")
@click.option("--year", type=int, default=None, help="The budget year; without it, --amount is the new total.")
@click.option("--amount", required=True, help="EUR, e.g. 150000.00.")
@click.option("--decision", default="")
@with_appcontext
@refusing
def budget_set(slug, year, amount, decision) -> None:
    cents = parse_amount(amount, what="budget")
    if year is None:
        outcome = changes.set_budget(slug, budget=cents, decision=decision, actor=_actor())
    else:
        outcome = changes.set_budget(slug, year=year, amount=cents, decision=decision, actor=_actor())
    _report(outcome)


@budget_group.command("show", help="The budget of every year, the funding and which years are closed.")
@click.argument("slug")
@with_appcontext
@refusing
def budget_show(slug) -> None:
    project = changes.get_project(slug)
    state = changes.state_for(project)
    grants: dict[int, int] = {}
    for g in state.grants:
        grants[g.year] = grants.get(g.year, 0) + g.cents
    click.echo(f"{state.name}: {state.start} – {state.end}, policy {state.policy}")
    click.echo(f"  {'year':<6} {'budget':>12} {'grants':>12}")
    for year, cents in state.budget:
        closed = "  closed" if year in state.closed else ""
        click.echo(f"  {year:<6} {fmt(cents):>12} {fmt(grants.get(year, 0)):>12}{closed}")
    click.echo(f"  {'total':<6} {fmt(state.total):>12} {fmt(sum(grants.values())):>12}")


# -- rule ----------------------------------------------------------------------------------------
@click.group("rule", help="A project's cost-sharing rule, in versions by effective date.")
def rule_group() -> None:
    pass


@rule_group.command("set", help="A new rule version from --effective (default: 1 January of this year); every share is recalculated.")
@click.argument("slug")
@click.option("--kind", "rule", required=True, type=RULES)
@rule_options
@click.option("--effective", type=DATE, default=None, help="The day the version takes effect; its year and later ones follow it.")
@click.option("--decision", default="")
@with_appcontext
@refusing
def rule_set(slug, rule, population_year, base_percent, percents, caps, floors, effective, decision) -> None:
    outcome = changes.set_rule(slug, rule=rule, population_year=population_year, decision=decision, actor=_actor(),
                               effective=effective.date() if effective else None,
                               **rule_kw(base_percent, percents, caps, floors))
    _report(outcome)


@rule_group.command("list", help="Every rule version, oldest first, with the years it governs.")
@click.argument("slug")
@with_appcontext
@refusing
def rule_list(slug) -> None:
    project = changes.get_project(slug)
    state = changes.state_for(project)
    governs: dict[int, list[int]] = {}
    for year in state.years:
        governs.setdefault(id(version_for(state, year)), []).append(year)
    ops = changes.changes_of(project, ["project-created", "rule-set"])
    click.echo(f"{state.name}: {len(ops)} rule version(s)")
    for op, version in zip(ops, state.versions):
        stored = version_from_json(op.params["rule"] if op.kind == "project-created" else op.params["version"])
        years = governs.get(id(version), [])
        span = (f"years {years[0]}" + (f"–{years[-1]}" if len(years) > 1 else "")) if years else "superseded"
        click.echo(f"  from {stored.effective}  {stored.describe()}  ({span})")
        click.echo(f"      decision: {op.decision or stored.decision or '-'}; recorded {op.recorded:%Y-%m-%d %H:%M} by {op.actor}")


# -- policy and closing years --------------------------------------------------------------------
@click.group("policy", help="Whole term or pro rata temporis.")
def policy_group() -> None:
    pass


@policy_group.command("set", help="whole-term: every member pays its share of the whole term; pro-rata: by days each year.")
@click.argument("slug")
@click.argument("policy", type=POLICIES, metavar="POLICY")
@click.option("--decision", default="")
@with_appcontext
@refusing
def policy_set(slug, policy, decision) -> None:
    _report(changes.set_policy(slug, policy=policy, decision=decision, actor=_actor()))


@click.group("year", help="Close budget years.")
def year_group() -> None:
    pass


@year_group.command("close", help="Close a budget year: later changes keep what was assessed for it.")
@click.argument("slug")
@click.argument("year", type=int)
@click.option("--decision", default="", help="e.g. the approval of the year's accounts.")
@with_appcontext
@refusing
def year_close(slug, year, decision) -> None:
    _report(changes.close_year(slug, year, decision=decision, actor=_actor()))


# -- direct charges and funding ------------------------------------------------------------------
@click.group("charge", help="Costs charged to one member alone (its own devices, travel).")
def charge_group() -> None:
    pass


@charge_group.command("add", help="Charge one member a cost of its own, outside the allocation.")
@click.argument("slug")
@click.option("--city", required=True, help="Municipality code of the member.")
@click.option("--amount", required=True, help="EUR, e.g. 12000.00.")
@click.option("--date", "date_", required=True, type=DATE)
@click.option("--text", required=True, help="What the charge is for.")
@click.option("--decision", default="")
@with_appcontext
@refusing
def charge_add(slug, city, amount, date_, text, decision) -> None:
    _report(changes.add_charge(slug, city=city, amount=parse_amount(amount, what="the charge"), date=date_.date(), text=text,
                               decision=decision, actor=_actor()))


@charge_group.command("cancel", help="Cancel charge NUMBER (as 'charge list' numbers it) by a reversing entry.")
@click.argument("slug")
@click.argument("number", type=int)
@click.option("--reason", required=True, help="Why the charge is cancelled.")
@click.option("--decision", default="")
@with_appcontext
@refusing
def charge_cancel(slug, number, reason, decision) -> None:
    _report(changes.cancel_charge(slug, number, reason=reason, decision=decision, actor=_actor()))


@charge_group.command("list", help="Every direct charge (own costs and joining fees), oldest first.")
@click.argument("slug")
@with_appcontext
@refusing
def charge_list(slug) -> None:
    state = changes.state_for(changes.get_project(slug))
    click.echo(f"{state.name}: {len(state.charges)} direct charge(s)")
    for number, c in enumerate(state.charges, 1):
        mark = "  (cancelled)" if number in state.cancelled else ""
        click.echo(f"  {number:>3}. {c.date}  {c.code} {_name(c.code):<20} {fmt(c.cents):>12}  {c.text}{mark}")
    totals: dict[str, int] = {}
    for c in state.live_charges():
        totals[c.code] = totals.get(c.code, 0) + c.cents
    for code, cents in sorted(totals.items()):
        click.echo(f"  {'total':<10}  {code} {_name(code):<20} {fmt(cents):>12}")


@click.group("grant", help="Funding that reduces what the members co-fund.")
def grant_group() -> None:
    pass


@grant_group.command("add", help="Funding for a year: it reduces the year's co-funded budget, or one member's share (--city).")
@click.argument("slug")
@click.option("--year", required=True, type=int)
@click.option("--amount", required=True, help="EUR, e.g. 10000.00.")
@click.option("--text", required=True, help="e.g. the funder and the decision.")
@click.option("--city", default=None, help="Targeted funding: reduces this member's share only.")
@click.option("--decision", default="")
@with_appcontext
@refusing
def grant_add(slug, year, amount, text, city, decision) -> None:
    _report(changes.add_grant(slug, year=year, amount=parse_amount(amount, what="the grant"), text=text, target=city,
                              decision=decision, actor=_actor()))


@click.group("subsidy", help="State subsidies paid on logged hours.")
def subsidy_group() -> None:
    pass


@subsidy_group.command("set", help="Set up (or change) a subsidy KEY paid at --rate EUR per logged hour.")
@click.argument("slug")
@click.argument("key")
@click.option("--rate", required=True, help="EUR per logged hour, e.g. 45.00.")
@click.option("--text", required=True)
@click.option("--city", default=None, help="Targeted: the subsidy reduces this member's share only.")
@click.option("--decision", default="")
@with_appcontext
@refusing
def subsidy_set(slug, key, rate, text, city, decision) -> None:
    _report(changes.set_subsidy(slug, key=key, rate=parse_amount(rate, what="the hourly rate"), text=text, target=city,
                                decision=decision, actor=_actor()))


# -- hours ---------------------------------------------------------------------------------------
@click.group("hours", help="Hours logged for a subsidy.")
def hours_group() -> None:
    pass


@hours_group.command("log", help="Log one row of hours for subsidy KEY.")
@click.argument("slug")
@click.argument("key")
@click.option("--person", required=True)
@click.option("--date", "date_", required=True, type=DATE)
@click.option("--task", required=True)
@click.option("--hours", required=True, help="e.g. 7.5")
@with_appcontext
@refusing
def hours_log(slug, key, person, date_, task, hours) -> None:
    row = {"person": person, "date": date_.date().isoformat(), "task": task, "hours": hours}
    _report(changes.log_hours(slug, key=key, rows=[row], actor=_actor()))


def read_hours(path: Path) -> tuple[list[dict[str, str]], list[int]]:
    """The rows of an hours CSV file (columns person, date, task, hours) and each row's line number."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput(f"{path.name} is not UTF-8 text") from None
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(text.splitlines(), dialect)
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in HOURS_COLUMNS if c not in header]
    if missing:
        raise BadInput(f"{path.name}: the header needs the columns {', '.join(HOURS_COLUMNS)} (missing: {', '.join(missing)})")
    rows, lines = [], []
    for fields in reader:
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            raise BadInput(f"{path.name}: line {reader.line_num} has {len(fields)} fields, the header {len(header)}")
        record = dict(zip(header, (f.strip() for f in fields)))
        rows.append({c: record[c] for c in HOURS_COLUMNS})
        lines.append(reader.line_num)
    if not rows:
        raise BadInput(f"{path.name} has no rows of hours")
    return rows, lines


@hours_group.command("import", help="Log every row of a CSV file (person,date,task,hours) as one change: all or nothing.")
@click.argument("slug")
@click.argument("key")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@with_appcontext
@refusing
def hours_import(slug, key, file) -> None:
    rows, lines = read_hours(file)
    try:
        outcome = changes.log_hours(slug, key=key, rows=rows, actor=_actor())
    except LedgerError as exc:
        # The core counts the rows from 1; say which line of the file that is.
        message = re.sub(r"^row (\d+):", lambda m: f"{file.name}: row {m[1]} (line {lines[int(m[1]) - 1]}):", str(exc))
        raise BadInput(message) from None
    click.echo(f"{file.name}: {len(rows)} row(s)")
    _report(outcome)


@hours_group.command("list", help="The subsidies, every logged row and what each subsidy pays.")
@click.argument("slug")
@with_appcontext
@refusing
def hours_list(slug) -> None:
    state = changes.state_for(changes.get_project(slug))
    if not state.subsidies:
        click.echo(f"{state.name}: no subsidy")
    for scheme in state.subsidies:
        logged = [log.entry for log in state.hours if log.scheme == scheme.key]
        amount = subsidy_amount(Subsidy(scheme.rate_cents, tuple(logged), scheme.text, scheme.target))
        whom = f", for {scheme.target}'s share" if scheme.target else ""
        click.echo(f"{scheme.key}: {scheme.text}, {fmt(scheme.rate_cents)} EUR per hour{whom}: "
                   f"{amount.hours} h, {fmt(amount.cents)} EUR")
        for e in logged:
            click.echo(f"  {e.date}  {e.person:<20} {e.task:<24} {e.hours:>6}")


# -- joining fee ---------------------------------------------------------------------------------
def _tier_date(text: str) -> dt.date | None:
    if text.lower() == "after":
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"--tier {text!r}: write the tier's last joining date as YYYY-MM-DD, or 'after' for the last tier") from None


@click.group("joining-fee", help="A fee per resident that later joiners pay.")
def joining_fee_group() -> None:
    pass


@joining_fee_group.command("set", help="Set the joining fee: EUR per resident by the date of joining (the last tier 'after').")
@click.argument("slug")
@click.option("--tier", "tiers", multiple=True, required=True, metavar="DATE=AMOUNT",
              help="The price per resident until DATE (inclusive), e.g. 2010-10-31=1.00; the last one after=6.00.")
@click.option("--population-year", type=int, required=True, help="Whose populations the fee uses.")
@click.option("--decision", default="")
@with_appcontext
@refusing
def joining_fee_set(slug, tiers, population_year, decision) -> None:
    pairs = []
    for raw in tiers:
        left, sep, right = raw.partition("=")
        if not sep or not left.strip() or not right.strip():
            raise BadInput(f"--tier {raw!r}: write it as DATE=AMOUNT, e.g. 2010-10-31=1.00 or after=6.00")
        pairs.append((_tier_date(left.strip()), parse_amount(right.strip(), what="the price per resident")))
    _report(changes.set_joining_fee(slug, tiers=pairs, population_year=population_year, decision=decision, actor=_actor()))


COMMANDS = (project_group, budget_group, rule_group, policy_group, year_group, charge_group, grant_group, subsidy_group,
            hours_group, joining_fee_group)

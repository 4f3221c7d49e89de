"""The ``portal`` commands that change how a project's costs are shared.

Budgets by year, rule versions, the policy, closing a year, direct charges, grants, subsidies on
logged hours and joining fees. Each change is one call to ``portal.costs.services``; the command
prints its summary, every share that moved, what a closed year kept out and the charges posted.
Bad input exits with status 2 and the core's message; nothing is posted then.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import click
from flask.cli import with_appcontext

from ledger import municipalities as M
from ledger import parse
from ledger.budget import POLICIES
from ledger.funding import subsidy_amount
from ledger.money import fmt
from ledger.project import fees, governed_years, subsidies, version_from_json
from ledger.rules import KINDS
from ledger.sharing import JOINERS, LEAVERS
from portal.cli import (
    CITY,
    DATE,
    DECISION,
    ID,
    PAIR,
    SLUG,
    YEAR,
    Amount,
    BadInput,
    File,
    Text,
    actor,
    refusing,
    rule_kw,
    rule_options,
)
from portal.costs import services as costs
from portal.errors import REFUSALS
from portal.projects import services as projects
from portal.projects.cli import print_change

HOURS_COLUMNS = ("person", "date", "task", "hours")


def _name(code: str) -> str:
    return M.lookup(code).name


# -- budget --------------------------------------------------------------------------------------
@click.group("budget", help="A project's budget by year.")
def budget_group() -> None:
    pass


@budget_group.command("set", help="Set one year's budget (--year), or a new total spread over the open years by days.")
@click.argument("slug", type=SLUG)
@click.option("--year", type=YEAR, default=None, help="The budget year; without it, --amount is the new total.")
@click.option("--amount", type=Amount("the budget"), required=True, help="EUR, e.g. 150000.00.")
@click.option("--effective", type=DATE, default=None, help="The day the change takes effect (default today), within the term.")
@click.option("--decision", type=DECISION, default="")
@with_appcontext
@refusing
def budget_set(slug, year, amount, effective, decision) -> None:
    cents, when = amount, effective
    if year is None:
        outcome = costs.set_budget(slug, budget=cents, decision=decision, actor=actor(), effective=when)
    else:
        outcome = costs.set_budget(slug, year=year, amount=cents, decision=decision, actor=actor(), effective=when)
    print_change(outcome)


@budget_group.command("show", help="The budget of every year, the funding and which years are closed.")
@click.argument("slug", type=SLUG)
@with_appcontext
@refusing
def budget_show(slug) -> None:
    project = projects.get_project(slug)
    state = projects.state_for(project)
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
@click.argument("slug", type=SLUG)
@click.option("--kind", "rule", required=True, type=click.Choice(KINDS))
@rule_options
@click.option("--effective", type=DATE, default=None, help="The day the version takes effect; its year and later ones follow it.")
@click.option("--decision", type=DECISION, default="")
@with_appcontext
@refusing
def rule_set(slug, rule, population_year, base_percent, percents, caps, floors, effective, decision) -> None:
    outcome = costs.set_rule(slug, rule=rule, population_year=population_year, decision=decision, actor=actor(),
                               effective=effective,
                               **rule_kw(base_percent, percents, caps, floors))
    print_change(outcome)


@rule_group.command("list", help="Every rule version, oldest first, with the years it governs.")
@click.argument("slug", type=SLUG)
@with_appcontext
@refusing
def rule_list(slug) -> None:
    project = projects.get_project(slug)
    state = projects.state_for(project)
    ops = projects.changes_of(project, ["project-created", "rule-set"])
    click.echo(f"{state.name}: {len(ops)} rule version(s)")
    for op, years in zip(ops, governed_years(state), strict=True):
        stored = version_from_json(op.params["rule"] if op.kind == "project-created" else op.params["version"])
        span = (f"years {years[0]}" + (f"–{years[-1]}" if len(years) > 1 else "")) if years else "superseded"
        click.echo(f"  from {stored.effective}  {stored.describe()}  ({span})")
        click.echo(f"      decision: {op.decision or stored.decision or '-'}; recorded {op.recorded:%Y-%m-%d %H:%M} by {op.actor}")


# -- policy and closing years --------------------------------------------------------------------
@click.group("policy", help="Whole term or pro rata temporis.")
def policy_group() -> None:
    pass


@policy_group.command("set", help="whole-term: every member pays its share of the whole term; pro-rata: by days each year.")
@click.argument("slug", type=SLUG)
@click.argument("policy", type=click.Choice(POLICIES), metavar="POLICY")
@click.option("--decision", type=DECISION, default="")
@with_appcontext
@refusing
def policy_set(slug, policy, decision) -> None:
    print_change(costs.set_policy(slug, policy=policy, decision=decision, actor=actor()))


@click.group("settings", help="The choices the agreements leave open: how leavers and joiners share.")
def settings_group() -> None:
    pass


@settings_group.command("set", help="keeps-years: a leaver keeps its share of the years up to the one it leaves; stops: it "
                                    "stops at once. open-years: a joiner shares the open years; catch-up: it also pays for closed years.")
@click.argument("slug", type=SLUG)
@click.option("--leaver", type=click.Choice(LEAVERS), default=None)
@click.option("--joiner", type=click.Choice(JOINERS), default=None)
@click.option("--decision", type=DECISION, default="")
@with_appcontext
@refusing
def settings_set(slug, leaver, joiner, decision) -> None:
    if leaver is None and joiner is None:
        raise BadInput("give --leaver or --joiner (or both)")
    print_change(costs.set_settings(slug, leaver=leaver, joiner=joiner, decision=decision, actor=actor()))


@click.group("year", help="Close budget years.")
def year_group() -> None:
    pass


@year_group.command("close", help="Close a budget year: later changes keep what was assessed for it.")
@click.argument("slug", type=SLUG)
@click.argument("year", type=YEAR)
@click.option("--decision", type=DECISION, default="", help="e.g. the approval of the year's accounts.")
@with_appcontext
@refusing
def year_close(slug, year, decision) -> None:
    print_change(costs.close_year(slug, year, decision=decision, actor=actor()))


# -- direct charges and funding ------------------------------------------------------------------
@click.group("charge", help="Costs charged to one member alone (its own devices, travel).")
def charge_group() -> None:
    pass


@charge_group.command("add", help="Charge one member a cost of its own, outside the allocation.")
@click.argument("slug", type=SLUG)
@click.option("--city", type=CITY, required=True, help="Municipality code of the member.")
@click.option("--amount", type=Amount("the charge"), required=True, help="EUR, e.g. 12000.00.")
@click.option("--date", "date_", required=True, type=DATE)
@click.option("--text", type=Text(what="the charge's text"), required=True, help="What the charge is for.")
@click.option("--decision", type=DECISION, default="")
@with_appcontext
@refusing
def charge_add(slug, city, amount, date_, text, decision) -> None:
    print_change(costs.add_charge(slug, city=city, amount=amount, date=date_, text=text,
                               decision=decision, actor=actor()))


@charge_group.command("cancel", help="Cancel charge NUMBER (as 'charge list' numbers it) by a reversing entry.")
@click.argument("slug", type=SLUG)
@click.argument("number", type=ID)
@click.option("--reason", type=Text(what="the reason"), required=True, help="Why the charge is cancelled.")
@click.option("--decision", type=DECISION, default="")
@with_appcontext
@refusing
def charge_cancel(slug, number, reason, decision) -> None:
    print_change(costs.cancel_charge(slug, number, reason=reason, decision=decision, actor=actor()))


@charge_group.command("list", help="Every direct charge (own costs and joining fees), oldest first.")
@click.argument("slug", type=SLUG)
@with_appcontext
@refusing
def charge_list(slug) -> None:
    state = projects.state_for(projects.get_project(slug))
    click.echo(f"{state.name}: {len(state.charges)} direct charge(s)")
    for number, c in enumerate(state.charges, 1):
        mark = "  (cancelled)" if number in state.cancelled else ""
        click.echo(f"  {number:>3}. {c.date}  {c.code} {_name(c.code):<20} {fmt(c.cents):>12}  {c.text}{mark}")
    totals: dict[str, int] = {}
    for c in state.live_charges():
        totals[c.code] = totals.get(c.code, 0) + c.cents
    for code, cents in sorted(totals.items()):
        click.echo(f"  {'total':<10}  {code} {_name(code):<20} {fmt(cents):>12}")
    if state.catch_ups:
        click.echo(f"{len(state.catch_ups)} catch-up(s) for closed years, set by the rules:")
        for c in state.catch_ups:
            click.echo(f"       {c.date}  {c.code} {_name(c.code):<20} {fmt(c.cents):>12}  {c.text}")
    joining = fees(state)
    if joining:
        click.echo(f"{len(joining)} joining fee(s), each member by its own join date:")
        for c in joining:
            click.echo(f"       {c.date}  {c.code} {_name(c.code):<20} {fmt(c.cents):>12}  {c.text}")


@click.group("grant", help="Funding that reduces what the members co-fund.")
def grant_group() -> None:
    pass


@grant_group.command("add", help="Funding for a year: it reduces the year's co-funded budget, or one member's share (--city).")
@click.argument("slug", type=SLUG)
@click.option("--year", required=True, type=YEAR)
@click.option("--amount", type=Amount("the grant"), required=True, help="EUR, e.g. 10000.00.")
@click.option("--text", type=Text(what="the grant's text"), required=True, help="e.g. the funder and the decision.")
@click.option("--city", type=CITY, default=None, help="Targeted funding: reduces this member's share only.")
@click.option("--decision", type=DECISION, default="")
@with_appcontext
@refusing
def grant_add(slug, year, amount, text, city, decision) -> None:
    print_change(costs.add_grant(slug, year=year, amount=amount, text=text, target=city,
                              decision=decision, actor=actor()))


@click.group("subsidy", help="State subsidies paid on logged hours.")
def subsidy_group() -> None:
    pass


@subsidy_group.command("set", help="Set up (or change) a subsidy KEY paid at --rate EUR per logged hour.")
@click.argument("slug", type=SLUG)
@click.argument("key", type=Text(100, "the subsidy's name"))
@click.option("--rate", type=Amount("the hourly rate"), required=True, help="EUR per logged hour, e.g. 45.00.")
@click.option("--text", type=Text(what="the subsidy's text"), required=True)
@click.option("--city", type=CITY, default=None, help="Targeted: the subsidy reduces this member's share only.")
@click.option("--decision", type=DECISION, default="")
@with_appcontext
@refusing
def subsidy_set(slug, key, rate, text, city, decision) -> None:
    print_change(costs.set_subsidy(slug, key=key, rate=rate, text=text, target=city,
                                decision=decision, actor=actor()))


# -- hours ---------------------------------------------------------------------------------------
@click.group("hours", help="Hours logged for a subsidy.")
def hours_group() -> None:
    pass


@hours_group.command("log", help="Log one row of hours for subsidy KEY.")
@click.argument("slug", type=SLUG)
@click.argument("key", type=Text(100, "the subsidy's name"))
@click.option("--person", type=Text(200, "the person"), required=True)
@click.option("--date", "date_", required=True, type=DATE)
@click.option("--task", type=Text(what="the task"), required=True)
@click.option("--hours", type=Text(20, "the hours"), required=True, help="e.g. 7.5")
@with_appcontext
@refusing
def hours_log(slug, key, person, date_, task, hours) -> None:
    row = {"person": person, "date": date_.isoformat(), "task": task, "hours": hours}
    print_change(costs.log_hours(slug, key=key, rows=[row], actor=actor()))


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
        record = dict(zip(header, (f.strip() for f in fields), strict=True))
        rows.append({c: record[c] for c in HOURS_COLUMNS})
        lines.append(reader.line_num)
    if not rows:
        raise BadInput(f"{path.name} has no rows of hours")
    return rows, lines


@hours_group.command("import", help="Log every row of a CSV file (person,date,task,hours) as one change: all or nothing.")
@click.argument("slug", type=SLUG)
@click.argument("key", type=Text(100, "the subsidy's name"))
@click.argument("file", type=File())
@with_appcontext
@refusing
def hours_import(slug, key, file) -> None:
    file = Path(file)
    rows, lines = read_hours(file)
    try:
        outcome = costs.log_hours(slug, key=key, rows=rows, actor=actor())
    except REFUSALS as exc:
        # The core counts the rows from 1; say which line of the file that is.
        message = re.sub(r"^row (\d+):", lambda m: f"{file.name}: row {m[1]} (line {lines[int(m[1]) - 1]}):", str(exc))
        raise BadInput(message) from None
    click.echo(f"{file.name}: {len(rows)} row(s)")
    print_change(outcome)


@hours_group.command("list", help="The subsidies, every logged row and what each subsidy pays.")
@click.argument("slug", type=SLUG)
@with_appcontext
@refusing
def hours_list(slug) -> None:
    state = projects.state_for(projects.get_project(slug))
    if not state.subsidies:
        click.echo(f"{state.name}: no subsidy")
    for scheme, subsidy in subsidies(state):
        amount = subsidy_amount(subsidy)
        whom = f", for {scheme.target}'s share" if scheme.target else ""
        click.echo(f"{scheme.key}: {scheme.text}, {fmt(scheme.rate_cents)} EUR per hour{whom}: "
                   f"{amount.hours} h, {fmt(amount.cents)} EUR")
        for e in subsidy.hours:
            click.echo(f"  {e.date}  {e.person:<20} {e.task:<24} {e.hours:>6}")


# -- joining fee ---------------------------------------------------------------------------------
@click.group("joining-fee", help="A fee per resident that later joiners pay.")
def joining_fee_group() -> None:
    pass


@joining_fee_group.command("set", help="Set the joining fee: EUR per resident by the date of joining (the last tier 'after').")
@click.argument("slug", type=SLUG)
@click.option("--tier", "tiers", type=PAIR, multiple=True, required=True, metavar="DATE=AMOUNT",
              help="The price per resident until DATE (inclusive), e.g. 2010-10-31=1.00; the last one after=6.00.")
@click.option("--population-year", type=YEAR, required=True, help="Whose populations the fee uses.")
@click.option("--decision", type=DECISION, default="")
@with_appcontext
@refusing
def joining_fee_set(slug, tiers, population_year, decision) -> None:
    pairs = parse.tiers(parse.option_items("--tier", tiers))
    print_change(costs.set_joining_fee(slug, tiers=pairs, population_year=population_year, decision=decision, actor=actor()))


COMMANDS = (budget_group, rule_group, policy_group, settings_group, year_group, charge_group, grant_group, subsidy_group,
            hours_group, joining_fee_group)

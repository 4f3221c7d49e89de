"""``portal project create``, ``portal member add|withdraw`` and ``portal shares`` (with what-if and explain)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ledger import entries as E
from ledger import municipalities as M
from ledger import parse
from ledger.budget import POLICIES, Blocked
from ledger.explain import render_text
from ledger.money import fmt
from ledger.rules import KINDS
from ledger.sharing import JOINERS, LEAVERS
from portal.cli import (
    CITY,
    DATE,
    DECISION,
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
from portal.clock import today
from portal.extensions import column_length
from portal.projects import populations, projections
from portal.projects import services as projects
from portal.projects.models import PopulationFigure, Project
from portal.projects.services import Outcome


def print_blocked(blocked: list[Blocked] | tuple[Blocked, ...]) -> None:
    if blocked:
        click.echo("closed years keep what was assessed for them; not moved:")
    for b in blocked:
        click.echo(f"  {b.year} is closed: kept {fmt(b.kept)} for {b.code} (the rules would now give {fmt(b.would_be)})")


def print_change(outcome: Outcome) -> None:
    """A change's summary, the shares that moved, what closed years kept out and the direct charges posted."""
    click.echo(outcome.event.details["summary"])
    result = outcome.recalculation
    if result is None:
        return
    changed = result.changed
    click.echo(f"{len(changed)} shares changed (posting {outcome.seq}):" if changed else "no share changed")
    for row in changed:
        click.echo(f"  {row.code} {row.name:<24} {fmt(row.before):>12} -> {fmt(row.after):>12}  ({fmt(row.difference)})")
    print_blocked(result.blocked)
    if result.charges:
        click.echo(f"{len(result.charges)} direct charge(s) posted" + (f" (posting {outcome.seq})" if outcome.seq else "") + ":")
    for c in result.charges:
        click.echo(f"  {c.code} {M.lookup(c.code).name:<24} {fmt(c.cents):>12}  {c.date}  {c.text}")


# -- project -------------------------------------------------------------------------------------
@click.group("project", help="Create consortium projects.")
def project_group() -> None:
    pass


@project_group.command("create", help="Create a project with its budget (a total or by years), rule and policy.")
@click.argument("slug", type=SLUG)
@click.option("--name", required=True, type=Text(column_length(Project.name), "the project's name"), help="The project's name.")
@click.option("--budget", type=Amount("the budget"), default=None, help="Total budget in EUR, e.g. 520000.00, spread over the years by days.")
@click.option("--year", "years", type=PAIR, multiple=True, metavar="YEAR=AMOUNT", help="One year's budget, e.g. 2025=80000.00; repeat for every year.")
@click.option("--start", required=True, type=DATE)
@click.option("--end", required=True, type=DATE)
@click.option("--rule", required=True, type=click.Choice(KINDS))
@rule_options
@click.option("--policy", type=click.Choice(POLICIES), default="whole-term", show_default=True,
              help="whole-term: every member pays its share of the whole term; pro-rata: by days of membership each year.")
@click.option("--leaver", type=click.Choice(LEAVERS), default="keeps-years", show_default=True,
              help="whole-term: a leaver keeps its share of the years up to its leave (keeps-years), or stops at once.")
@click.option("--joiner", type=click.Choice(JOINERS), default="open-years", show_default=True,
              help="whole-term: a joiner after a closed year shares the open years (open-years), or also pays for closed ones.")
@click.option("--decision", type=DECISION, default="", help="Reference of the decision founding the project.")
@with_appcontext
@refusing
def project_create(slug, name, budget, years, start, end, rule, population_year, base_percent, percents, caps, floors,
                   policy, leaver, joiner, decision) -> None:
    by_year = parse.budget_years(parse.option_items("--year", years)) or None
    outcome = projects.create_project(
        slug, name=name, start=start, end=end, rule=rule, population_year=population_year,
        budget=budget, years=by_year, policy=policy,
        actor=actor(), decision=decision, settings={"leaver": leaver, "joiner": joiner},
        **rule_kw(base_percent, percents, caps, floors),
    )
    details = outcome.event.details
    click.echo(f"created project {slug} ({details['rule']}, {details['policy']}, budget {details['budget']} EUR)")
    state = projects.state_for(projects.get_project(slug))
    click.echo("  budget by year: " + ", ".join(f"{y} {fmt(c)}" for y, c in state.budget))


# -- members -------------------------------------------------------------------------------------
@click.group("member", help="Add and withdraw member cities.")
def member_group() -> None:
    pass


@member_group.command("add")
@click.argument("slug", type=SLUG)
@click.option("--city", "cities", type=CITY, multiple=True, required=True, help="Municipality code; repeat for several cities.")
@click.option("--joined", required=True, type=DATE)
@click.option("--decision", type=DECISION, default="", help="Reference of the council decision.")
@click.option("--percent", "percents", type=PAIR, multiple=True, metavar="CODE=PERCENT",
              help="Where a fixed rule governs: the new percentages of every member, set with the join; repeatable.")
@click.option("--rule-effective", type=DATE, default=None, help="With --percent: the new version's effective date (default: --joined).")
@with_appcontext
@refusing
def member_add(slug, cities, joined, decision, percents, rule_effective) -> None:
    pct = parse.percentages(parse.option_items("--percent", percents)) or None
    print_change(projects.add_members(slug, list(cities), joined=joined, decision=decision, actor=actor(),
                                      percentages=pct, rule_effective=rule_effective))


@member_group.command("withdraw")
@click.argument("slug", type=SLUG)
@click.option("--city", type=CITY, required=True)
@click.option("--left", required=True, type=DATE)
@click.option("--decision", type=DECISION, default="")
@with_appcontext
@refusing
def member_withdraw(slug, city, left, decision) -> None:
    print_change(projects.withdraw_member(slug, city, left=left, decision=decision, actor=actor()))


# -- shares --------------------------------------------------------------------------------------
@click.command("shares", help="Every member's current share; or a what-if scenario, or one share explained.")
@click.argument("slug", type=SLUG)
@click.option("--format", "fmt_", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--what-if", "what_if", type=Text(2_000, "the scenario"), default=None, metavar="+CODE,-CODE",
              help="Cities joining (+) and leaving (-), e.g. +286,-638: every share before and after, nothing posted.")
@click.option("--on", type=DATE, default=None, help="The date of the what-if scenario (default today).")
@click.option("--explain", type=CITY, default=None, metavar="CODE", help="Explain one city's share step by step, with its ledger entries.")
@with_appcontext
@refusing
def shares_command(slug, fmt_, what_if, on, explain) -> None:
    project = projects.get_project(slug)
    if what_if is not None and explain is not None:
        raise BadInput("use either --what-if or --explain, not both")
    if on is not None and what_if is None:
        raise BadInput("--on goes with --what-if")
    if explain is not None:
        _print_explanation(project, explain, fmt_)
        return
    if what_if is not None:
        _print_what_if(project, what_if, on or today(), fmt_)
        return
    lines = projects.shares(project)
    keys = ["city", "name", "share", "charged", "total", "left"]

    def fields(s: projects.ShareLine) -> list[str]:
        return [s.code, s.name, fmt(s.share), fmt(s.charged), fmt(s.total), s.left.isoformat() if s.left else ""]

    if fmt_ == "json":
        click.echo(json.dumps([{**dict(zip(keys, fields(s), strict=True)), "withdrawn": s.withdrawn, "left": s.left.isoformat()
                                if s.left else None} for s in lines], ensure_ascii=False, indent=2))
    elif fmt_ == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(keys)
        writer.writerows(fields(s) for s in lines)
    else:
        current = sum(not s.withdrawn for s in lines)
        click.echo(f"{project.name}: {current} members, {projects.rule_label(project)}, budget {fmt(projects.state_for(project).total)} EUR")
        click.echo(f"  {'':3}  {'city':<28} {'share':>12} {'charged':>12} {'total':>12}")
        for s in lines:
            mark = f"  withdrawn {s.left}" if s.left else ""
            click.echo(f"  {s.code}  {s.name:<28} {fmt(s.share):>12} {fmt(s.charged):>12} {fmt(s.total):>12}{mark}")
        share, charged = sum(s.share for s in lines), sum(s.charged for s in lines)
        click.echo(f"  {'':3}  {'total':<28} {fmt(share):>12} {fmt(charged):>12} {fmt(share + charged):>12}")


def _print_what_if(project: Project, spec: str, on: dt.date, fmt_: str) -> None:
    joins, leaves = projections.parse_scenario(spec)
    result = projections.what_if(project, joins, leaves, on)
    rows = result.rows
    if fmt_ == "json":
        click.echo(json.dumps([{"city": r.code, "name": r.name, "before": fmt(r.before), "after": fmt(r.after),
                                "difference": fmt(r.difference)} for r in rows], ensure_ascii=False, indent=2))
    elif fmt_ == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["city", "name", "before", "after", "difference"])
        writer.writerows([r.code, r.name, fmt(r.before), fmt(r.after), fmt(r.difference)] for r in rows)
    else:
        click.echo(f"{project.name}, what if {projections.describe(joins, leaves, on)} (nothing posted):")
        click.echo(f"  {'':3}  {'city':<28} {'before':>12} {'after':>12} {'difference':>12}")
        for r in rows:
            click.echo(f"  {r.code}  {r.name:<28} {fmt(r.before):>12} {fmt(r.after):>12} {fmt(r.difference):>12}")
        before, after = sum(r.before for r in rows), sum(r.after for r in rows)
        click.echo(f"  {'':3}  {'total':<28} {fmt(before):>12} {fmt(after):>12} {fmt(after - before):>12}")
        print_blocked(result.blocked)


def _print_explanation(project: Project, code: str, fmt_: str) -> None:
    if fmt_ != "table":
        raise BadInput("--explain prints text only (leave out --format)")
    explained = projections.explain_share(project, code)
    charged = f", direct charges {fmt(explained.charged)} EUR, total {fmt(explained.share + explained.charged)} EUR" if explained.charged else ""
    click.echo(f"{explained.name} ({explained.code}) in {project.name}: share {fmt(explained.share)} EUR{charged}")
    print_blocked(explained.kept)
    click.echo(render_text(explained.steps), nl=False)
    click.echo(f"Ledger entries for {explained.name} ({explained.code}):")
    for e in explained.history:
        decision = f" (decision: {e.meta['decision']})" if e.meta.get("decision") else ""
        kind = "charge" if e.kind == E.CHARGE_TAG else "share"
        running = e.charged if kind == "charge" else e.share  # a share's running total, or the charges' (kept apart)
        click.echo(f"  {e.date}  {kind:<6}  {fmt(e.change):>12}  {fmt(running):>12}  {e.narration}{decision}")
    if not explained.history:
        click.echo("  none")




# -- population figures ----------------------------------------------------------------------------
@click.group("populations", help="The population figures rules and joining fees use: bundled, or loaded by an administrator.")
def populations_group() -> None:
    pass


@populations_group.command("import", help="Load the official figures of YEAR from a CSV file (columns code, population).")
@click.argument("year", type=YEAR)
@click.argument("file", type=File())
@click.option("--source", type=Text(column_length(PopulationFigure.source), "the source"), default=None,
              help="Where the figures come from (default: the file's name).")
@with_appcontext
@refusing
def populations_import(year: int, file: str, source: str | None) -> None:
    path = Path(file)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput(f"{path.name} is not UTF-8 text") from None
    loaded = populations.load(year, text, source=source or path.name, actor=actor())
    click.echo(f"loaded {loaded.rows} municipalities' {loaded.year} populations ({loaded.total:,} residents)")


@populations_group.command("list", help="The years whose figures rules can freeze.")
@with_appcontext
@refusing
def populations_list() -> None:
    figures = populations.Figures()
    for year in figures.years():
        click.echo(f"{year}  {'bundled' if year in M.available_years() else 'loaded'}")


COMMANDS = (project_group, member_group, shares_command, populations_group)

"""The ``portal`` command line, built on Flask's CLI (``flask db`` from Flask-Migrate included).

Bad input gives a one-line message and exit status 2, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.exc import OperationalError, ProgrammingError

from ledger import export as ledger_export
from ledger import municipalities as M
from ledger.errors import LedgerError
from ledger.money import fmt
from portal import changes

DATE = click.DateTime(formats=["%Y-%m-%d"])


class BadInput(click.ClickException):
    """A refusal: the message, and exit status 2 (as for Click's own usage errors)."""

    exit_code = 2

    def format_message(self) -> str:
        return self.message


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name in some containers
        return "cli"


def refusing(fn):
    """Turn the core's typed errors into exit status 2 and database trouble into a clear message."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except LedgerError as exc:
            raise BadInput(str(exc)) from None
        except (OperationalError, ProgrammingError) as exc:
            raise click.ClickException(
                f"the database is not ready ({exc.orig.__class__.__name__}); run 'portal db upgrade' first"
            ) from None

    return wrapper


def _date(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


# -- members -------------------------------------------------------------------------------------
@click.group("member", help="Add and withdraw member cities.")
def member_group() -> None:
    pass


def _print_changes(outcome: changes.Outcome) -> None:
    """The shares that moved, what closed years kept out, and the direct charges posted."""
    result = outcome.recalculation
    if result is None:
        return
    changed = result.changed
    click.echo(f"{len(changed)} shares changed (posting {outcome.seq}):" if changed else "no share changed")
    for row in changed:
        click.echo(f"  {row.code} {row.name:<24} {fmt(row.before):>12} -> {fmt(row.after):>12}  ({fmt(row.difference)})")
    _print_blocked(result.blocked)
    if result.charges:
        click.echo(f"{len(result.charges)} direct charge(s) posted" + (f" (posting {outcome.seq})" if outcome.seq else "") + ":")
    for c in result.charges:
        click.echo(f"  {c.code} {M.lookup(c.code).name:<24} {fmt(c.cents):>12}  {c.date}  {c.text}")


def _print_blocked(blocked) -> None:
    if blocked:
        click.echo("closed years keep what was assessed for them; not moved:")
    for b in blocked:
        click.echo(f"  {b.year} is closed: kept {fmt(b.kept)} for {b.code} (the rules would now give {fmt(b.would_be)})")


@member_group.command("add")
@click.argument("slug")
@click.option("--city", "cities", multiple=True, required=True, help="Municipality code; repeat for several cities.")
@click.option("--joined", required=True, type=DATE)
@click.option("--decision", default="", help="Reference of the council decision.")
@with_appcontext
@refusing
def member_add(slug, cities, joined, decision) -> None:
    outcome = changes.add_members(slug, list(cities), joined=joined.date(), decision=decision, actor=_actor())
    click.echo(outcome.event.details["summary"])
    _print_changes(outcome)


@member_group.command("withdraw")
@click.argument("slug")
@click.option("--city", required=True)
@click.option("--left", required=True, type=DATE)
@click.option("--decision", default="")
@with_appcontext
@refusing
def member_withdraw(slug, city, left, decision) -> None:
    outcome = changes.withdraw_member(slug, city, left=left.date(), decision=decision, actor=_actor())
    click.echo(outcome.event.details["summary"])
    _print_changes(outcome)


# -- shares --------------------------------------------------------------------------------------
@click.command("shares", help="Every member's current share; or a what-if scenario, or one share explained.")
@click.argument("slug")
@click.option("--format", "fmt_", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--what-if", "what_if", default=None, metavar="+CODE,-CODE",
              help="Cities joining (+) and leaving (-), e.g. +286,-638: every share before and after, nothing posted.")
@click.option("--on", type=DATE, default=None, help="The date of the what-if scenario (default today).")
@click.option("--explain", default=None, metavar="CODE", help="Explain one city's share step by step, with its ledger entries.")
@with_appcontext
@refusing
def shares_command(slug, fmt_, what_if, on, explain) -> None:
    project = changes.get_project(slug)
    if what_if is not None and explain is not None:
        raise BadInput("use either --what-if or --explain, not both")
    if on is not None and what_if is None:
        raise BadInput("--on goes with --what-if")
    if explain is not None:
        _print_explanation(project, explain, fmt_)
        return
    if what_if is not None:
        _print_what_if(project, what_if, on.date() if on else changes.today(), fmt_)
        return
    lines = changes.shares(project)
    fields = lambda s: [s.code, s.name, fmt(s.share), fmt(s.charged), fmt(s.total)]  # noqa: E731
    if fmt_ == "json":
        keys = ["city", "name", "share", "charged", "total"]
        click.echo(json.dumps([dict(zip(keys, fields(s))) for s in lines], ensure_ascii=False, indent=2))
    elif fmt_ == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["city", "name", "share", "charged", "total"])
        writer.writerows(fields(s) for s in lines)
    else:
        click.echo(f"{project.name}: {len(lines)} members, {changes.rule_label(project)}, budget {fmt(project.budget_cents)} EUR")
        click.echo(f"  {'':3}  {'city':<28} {'share':>12} {'charged':>12} {'total':>12}")
        for s in lines:
            click.echo(f"  {s.code}  {s.name:<28} {fmt(s.share):>12} {fmt(s.charged):>12} {fmt(s.total):>12}")
        share, charged = sum(s.share for s in lines), sum(s.charged for s in lines)
        click.echo(f"  {'':3}  {'total':<28} {fmt(share):>12} {fmt(charged):>12} {fmt(share + charged):>12}")


def _print_what_if(project, spec: str, on: dt.date, fmt_: str) -> None:
    from portal import projections

    joins, leaves = projections.parse_scenario(spec)
    result = projections.what_if(project, joins, leaves, on)
    rows = result.rows
    if fmt_ == "json":
        click.echo(json.dumps([{"city": r.code, "name": r.name, "before": fmt(r.before), "after": fmt(r.after),
                                "difference": fmt(r.difference)} for r in rows], ensure_ascii=False, indent=2))
    elif fmt_ == "csv":
        import csv

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
        _print_blocked(result.blocked)


def _print_explanation(project, code: str, fmt_: str) -> None:
    from ledger import entries as E
    from ledger.explain import render_text
    from portal import projections

    if fmt_ != "table":
        raise BadInput("--explain prints text only (leave out --format)")
    explained = projections.explain_share(project, code)
    charged = f", direct charges {fmt(explained.charged)} EUR, total {fmt(explained.share + explained.charged)} EUR" if explained.charged else ""
    click.echo(f"{explained.name} ({explained.code}) in {project.name}: share {fmt(explained.share)} EUR{charged}")
    _print_blocked(explained.kept)
    click.echo(render_text(explained.steps), nl=False)
    click.echo(f"Ledger entries for {explained.name} ({explained.code}):")
    for e in explained.history:
        decision = f" (decision: {e.meta['decision']})" if e.meta.get("decision") else ""
        kind = "charge" if e.kind == E.CHARGE_TAG else "share"
        click.echo(f"  {e.date}  {kind:<6}  {fmt(e.change):>12}  {fmt(e.share):>12}  {e.narration}{decision}")
    if not explained.history:
        click.echo("  none")


# -- ledger --------------------------------------------------------------------------------------
@click.group("ledger", help="Export, import and query a project's ledger.")
def ledger_group() -> None:
    pass


@ledger_group.command("export")
@click.argument("slug")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True), help="File to write ('-' for standard output).")
@with_appcontext
@refusing
def ledger_export_command(slug, output) -> None:
    project = changes.get_project(slug)
    text = ledger_export.render(changes.journal_for(project).entries, title=project.name)
    if output == "-":
        click.echo(text, nl=False)
        return
    Path(output).write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}")


@ledger_group.command("import")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@with_appcontext
@refusing
def ledger_import_command(slug, file) -> None:
    try:
        text = Path(file).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"{file} is not UTF-8 text") from None
    outcome = changes.import_ledger(slug, text, filename=Path(file).name, actor=_actor())
    click.echo(outcome.event.details["summary"])


@ledger_group.command("query")
@click.argument("slug")
@click.argument("query")
@click.option("--format", "fmt_", type=click.Choice(["table", "csv"]), default="table")
@with_appcontext
@refusing
def ledger_query_command(slug, query, fmt_) -> None:
    project = changes.get_project(slug)
    result = changes.journal_for(project).query(query)
    click.echo(result.to_csv() if fmt_ == "csv" else result.to_text(), nl=False)


# -- users ---------------------------------------------------------------------------------------
@click.group("users", help="List, approve, disable and invite users (keyed on issuer and subject).")
def users_group() -> None:
    pass


@users_group.command("grant")
@click.option("--issuer", required=True)
@click.option("--sub", required=True)
@click.option("--role", required=True, type=click.Choice(["contact", "lead", "accountant", "admin"]))
@click.option("--city", default=None, help="Municipality code (required for a contact).")
@click.option("--name", default="", help="Display name until the user first logs in.")
@with_appcontext
@refusing
def users_grant(issuer, sub, role, city, name) -> None:
    from portal import users

    user = users.grant(issuer=issuer, sub=sub, role=role, city=city, name=name, actor=_actor())
    click.echo(f"{user.sub}@{user.issuer}: roles {', '.join(sorted(user.roles))}" + (f", city {user.city_code}" if user.city_code else ""))


ROLE = click.Choice(["contact", "lead", "accountant", "admin"])


@users_group.command("list", help="Users, those awaiting approval first.")
@click.option("--status", type=click.Choice(["pending", "active", "disabled"]), default=None)
@with_appcontext
@refusing
def users_list(status) -> None:
    from portal import users

    for u in users.visible(None, status):
        click.echo("\t".join([u.status, u.issuer, u.sub, u.city_code or "-", ",".join(sorted(u.roles)) or "-",
                              u.name, u.email, u.created_at.strftime("%Y-%m-%d %H:%M")]))


@users_group.command("approve", help="Make a user active with exactly these roles (repeat --role).")
@click.option("--issuer", required=True)
@click.option("--sub", required=True)
@click.option("--role", "roles", multiple=True, required=True, type=ROLE)
@click.option("--city", default=None, help="Only for a user whose provider vouches for no city.")
@with_appcontext
@refusing
def users_approve(issuer, sub, roles, city) -> None:
    from portal import users

    user = users.approve(users.find_or_refuse(issuer, sub), roles, by=None, actor=_actor(), city=city)
    click.echo(f"{user.sub}@{user.issuer}: active, roles {', '.join(sorted(user.roles))}, city {user.city_code or '-'}")


@users_group.command("disable", help="Disable a user and end all of their sessions.")
@click.option("--issuer", required=True)
@click.option("--sub", required=True)
@with_appcontext
@refusing
def users_disable(issuer, sub) -> None:
    from portal import users

    ended = users.disable(users.find_or_refuse(issuer, sub), by=None, actor=_actor())
    click.echo(f"{sub}@{issuer}: disabled, {ended} session(s) ended")


@users_group.command("invite", help="Invite an email address into a city with a role.")
@click.option("--email", required=True)
@click.option("--city", required=True)
@click.option("--role", required=True, type=ROLE)
@with_appcontext
@refusing
def users_invite(email, city, role) -> None:
    from portal import access

    invitation = access.invite(email=email, city=city, role=role, by=None, actor=_actor())
    click.echo(f"invited {invitation.email} as {invitation.role} of {invitation.city_code} "
               f"until {invitation.expires_at:%Y-%m-%d}")


@click.group("sessions", help="Server-side sessions.")
def sessions_group() -> None:
    pass


@sessions_group.command("purge", help="Delete sessions that ended more than --days ago (for a daily job).")
@click.option("--days", default=7, type=click.IntRange(min=0))
@with_appcontext
@refusing
def sessions_purge(days) -> None:
    from portal import sessions

    click.echo(f"deleted {sessions.purge(dt.timedelta(days=days))} ended sessions")


# -- demo and run --------------------------------------------------------------------------------
@click.command("demo", help="Migrate, load the demo consortium and serve the portal (development).")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--no-serve", is_flag=True, help="Only migrate and load the demo data.")
@with_appcontext
@refusing
def demo_command(host, port, no_serve) -> None:
    from flask_migrate import upgrade

    from portal import demo

    app = current_app._get_current_object()
    wanted = f"http://{host}:{port}/dev-idp"
    if app.config["DEV_IDP"] and not no_serve and app.config["DEV_IDP_ISSUER"] != wanted:
        # The development provider lives in this very server, so its issuer must be this address.
        raise BadInput(f"set PORTAL_DEV_IDP_ISSUER={wanted} to serve the demo on {host}:{port}")
    upgrade()
    click.echo(demo.load())
    if not no_serve:
        _serve(current_app._get_current_object(), host, port, workers=1)


@click.command("run", help="Serve the portal (gunicorn in production, Flask's server in development).")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--workers", default=2, type=int)
@with_appcontext
def run_command(host, port, workers) -> None:
    app = current_app._get_current_object()
    if app.config.get("_SECRET_GENERATED"):
        raise BadInput("PORTAL_SECRET_KEY is not set: set it to a long random value (or PORTAL_ENV=development)")
    _serve(app, host, port, workers)


def _serve(app: Flask, host: str, port: int, workers: int) -> None:
    if app.config["DEVELOPMENT"]:
        from werkzeug.serving import run_simple

        # Not app.run(): Flask ignores that call inside its own command line.
        click.echo(f"serving the portal on http://{host}:{port}/ (development)")
        run_simple(host, port, app, threaded=True, use_reloader=False)
        return
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)

        def load(self):
            return app

    Server().run()


def register(app: Flask) -> None:
    from portal import cli_costs  # the cost-sharing commands; they import this module's helpers

    for command in (*cli_costs.COMMANDS, member_group, shares_command, ledger_group, users_group, sessions_group, demo_command, run_command):
        app.cli.add_command(command)


def _create_cli_app() -> Flask:
    from portal import create_app

    return create_app(require_secret=False)


def main() -> None:
    group = FlaskGroup(create_app=_create_cli_app, add_default_commands=False, add_version_option=False,
                       load_dotenv=False, set_debug_flag=False, help="The consortium portal's command line.")
    from flask.cli import routes_command, shell_command

    group.add_command(routes_command)
    group.add_command(shell_command)
    group.main(prog_name="portal")

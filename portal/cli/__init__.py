"""What every ``portal`` command shares: refusals as exit status 2, the actor, dates, printing a change.

Each domain keeps its commands in its own ``cli.py`` (``portal.projects.cli``, ``portal.costs.cli``…);
``portal.cli.commands`` registers them all on the app, and ``portal.cli.main`` is the console script.
A refusal of the core or the portal gives its message on one line and exit status 2, as Click's own
usage errors do; a database that cannot be reached or is not migrated gives a clear message.
"""

from __future__ import annotations

import functools
import getpass
from typing import Any, Callable, TypeVar

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from ledger import municipalities as M
from ledger import parse
from ledger.budget import Blocked
from ledger.money import fmt
from portal.errors import REFUSALS
from portal.projects.services import Outcome

F = TypeVar("F", bound=Callable[..., Any])
DATE = click.DateTime(formats=["%Y-%m-%d"])


class BadInput(click.ClickException):
    """A refusal: the message, and exit status 2 (as for Click's own usage errors)."""

    exit_code = 2

    def format_message(self) -> str:
        return self.message


def actor() -> str:
    """Who runs the command, as the audit log and the ledger's metadata name them."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name in some containers
        return "cli"


def refusing(fn: F) -> F:
    """Turn refusals into exit status 2 and database trouble into a clear message."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except REFUSALS as exc:
            raise BadInput(str(exc)) from None
        except (OperationalError, ProgrammingError) as exc:
            raise click.ClickException(
                f"the database is not ready ({exc.orig.__class__.__name__}); run 'portal db upgrade' first"
            ) from None

    return wrapper  # type: ignore[return-value]


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


# -- the options of a rule version, shared by ``project create`` and ``rule set`` ------------------
def rule_options(fn: F) -> F:
    """``--population-year``, ``--base-percent``, ``--percent``, ``--cap``, ``--floor``."""
    for option in reversed([
        click.option("--population-year", type=int, default=None, help="Whose populations the population and hybrid rules use."),
        click.option("--base-percent", default=None, help="Hybrid: the percentage split equally (the rest by population), e.g. 40."),
        click.option("--percent", "percents", multiple=True, metavar="CODE=PERCENT", help="Fixed: one member's percentage; repeat for every member."),
        click.option("--cap", "caps", multiple=True, metavar="CODE=AMOUNT", help="The most a member pays over the term (EUR); repeatable."),
        click.option("--floor", "floors", multiple=True, metavar="CODE=AMOUNT", help="The least a member pays over the term (EUR); repeatable."),
    ]):
        fn = option(fn)
    return fn


def rule_kw(base_percent: str | None, percents: tuple[str, ...], caps: tuple[str, ...], floors: tuple[str, ...]) -> dict[str, Any]:
    """The rule options as keyword arguments of ``create_project`` and ``set_rule``, by the one parser of pairs."""
    return {
        "base_percent": base_percent,
        "percentages": parse.percentages(parse.option_items("--percent", percents)) or None,
        "caps": parse.amounts(parse.option_items("--cap", caps), "the cap") or None,
        "floors": parse.amounts(parse.option_items("--floor", floors), "the floor") or None,
    }
